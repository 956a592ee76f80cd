"""Render one validated profile into a handout: the library entry point behind ``careplan``.

>>> from careplan.inputs import read_records, single_record, to_profile
>>> from careplan.options import default_options
>>> from careplan.render import render_profile
>>> record = single_record(read_records("profiles/pancreas-whipple-insulinoma.yaml"))
>>> document = render_profile(to_profile(record).profile, options=default_options())
>>> Path("handout.pdf").write_bytes(document.data)                    # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from careplan.clinic import Clinic
from careplan.errors import Problem
from careplan.fonts import font_problems
from careplan.formats import FORMATS, Format
from careplan.html import page_number_css, render_html
from careplan.library import Library, load_library
from careplan.model import Profile
from careplan.options import RenderOptions, handout_date
from careplan.output import id_digest
from careplan.plan import Plan, build_plan
from careplan.vocab import load_vocabulary


@dataclass(frozen=True)
class Document:
    """A rendered handout: its plan and HTML, the bytes in ``format``, pages, nurse warnings."""

    plan: Plan
    html: str
    data: bytes
    format: Format
    pages: int
    warnings: tuple[Problem, ...]


def plan_for(
    profile: Profile, *, today: dt.date | None = None, library: Library | None = None
) -> Plan:
    """Select the content for a profile (no rendering)."""
    return build_plan(
        profile, library or load_library(), load_vocabulary(), today=today or handout_date()
    )


def effective_options(profile: Profile, options: RenderOptions) -> RenderOptions:
    """Return the options this profile prints with (large print: the option or the profile)."""
    return replace(options, large_print=options.large_print or profile.large_print)


def render_profile(
    profile: Profile,
    *,
    options: RenderOptions,
    clinic: Clinic | None = None,
    fmt: str = "pdf",
    source: str = "profile",
) -> Document:
    """Select content, render HTML and write it in ``fmt`` (``pdf`` or ``html``).

    ``source`` names the input in the nurse warnings the document carries.
    """
    clinic = clinic or Clinic()
    options = effective_options(profile, options)
    library = load_library()
    plan = plan_for(profile, today=options.date, library=library)
    html = render_html(plan, library, clinic, options, id_digest=id_digest(profile.id))
    page_css = page_number_css(library.ui[plan.language])
    extra = (clinic.logo,) if clinic.logo else ()
    data, pages = FORMATS[fmt].write(html, options, page_css, extra)
    warnings = (*(Problem(source, None, w) for w in plan.warnings), *font_problems(profile, source))
    return Document(plan, html, data, FORMATS[fmt], pages, tuple(warnings))
