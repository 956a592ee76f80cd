"""Render one validated profile into a handout: the library entry point behind ``careplan``.

>>> from careplan.profile import load_profile
>>> from careplan.render import render_profile, default_options
>>> parsed = load_profile("profiles/pancreas-whipple-insulinoma.yaml")
>>> result = render_profile(parsed.profile, options=default_options())   # doctest: +SKIP
>>> Path("handout.pdf").write_bytes(result.pdf)                          # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace

from careplan.clinic import Clinic
from careplan.html import RenderOptions, render_html
from careplan.library import Library, load_library
from careplan.plan import Plan, build_plan
from careplan.profile import Profile
from careplan.vocab import load_vocabulary


@dataclass(frozen=True)
class Handout:
    """A rendered handout: the plan, its HTML, the PDF bytes (unless HTML only) and warnings."""

    plan: Plan
    html: str
    pdf: bytes | None
    pages: int
    warnings: tuple[str, ...]


def handout_date(explicit: dt.date | None = None) -> dt.date:
    """Return the printed date: ``explicit``, else SOURCE_DATE_EPOCH, else today."""
    if explicit is not None:
        return explicit
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def default_options(**overrides: object) -> RenderOptions:
    """Return the default render options (US Letter, tagged PDF/UA-1, today's date)."""
    values: dict[str, object] = {"date": handout_date()}
    values.update(overrides)
    return RenderOptions(**values)  # type: ignore[arg-type]


def plan_for(
    profile: Profile, *, today: dt.date | None = None, library: Library | None = None
) -> Plan:
    """Select the content for a profile (no rendering)."""
    return build_plan(
        profile, library or load_library(), load_vocabulary(), today=today or handout_date()
    )


def render_profile(
    profile: Profile,
    *,
    options: RenderOptions,
    clinic: Clinic | None = None,
    html_only: bool = False,
) -> Handout:
    """Select content, render HTML and (unless ``html_only``) the PDF for one profile."""
    clinic = clinic or Clinic()
    # Large print is asked for by the command line or by the profile's own field.
    options = replace(options, large_print=options.large_print or profile.large_print)
    library = load_library()
    plan = plan_for(profile, today=options.date, library=library)
    html = render_html(plan, profile, library, clinic, options)
    pdf, pages = None, 0
    if not html_only:
        from careplan.pdf import renderer  # imports WeasyPrint: only when a PDF is wanted

        pdf, pages = renderer().render(
            html,
            paper=options.paper,
            large_print=options.large_print,
            pdf_variant=options.pdf_variant,
            date=options.date,
            extra_files=(clinic.logo,) if clinic.logo else (),
        )
    return Handout(plan=plan, html=html, pdf=pdf, pages=pages, warnings=plan.warnings)
