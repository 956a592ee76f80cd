"""Turn a ``Plan`` into HTML with one strict, autoescaping Jinja2 environment.

Profile text (name, notes) only ever reaches element content, where autoescaping makes it
inert: it is never placed in a URL, an attribute that loads something, or CSS.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup, escape

from careplan.clinic import Clinic
from careplan.errors import RenderError
from careplan.library import PLACEHOLDER, Library
from careplan.plan import Plan
from careplan.profile import Profile
from careplan.resources import templates_dir

PAPER_SIZES = ("letter", "a4")


@dataclass(frozen=True)
class RenderOptions:
    """How to print: paper, large print, PDF variant and the date printed on the handout."""

    date: dt.date
    paper: str = "letter"
    large_print: bool = False
    pdf_variant: str | None = "pdf/ua-1"


@cache
def environment() -> Environment:
    """Build the Jinja2 environment once per process."""
    env = Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    return env


def _filler(clinic: Clinic, ui: dict[str, Any]):
    """Return a filter that escapes text, then fills clinic placeholders or blank lines."""

    def fill(text: str) -> Markup:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            value = clinic.get(name)
            if value is not None:
                return str(escape(value))
            label = ui["blank_label"]["prrt_days" if name.startswith("prrt_days") else name]
            return str(Markup('<span class="blank" aria-label="{0}">{0}</span>').format(label))

        return Markup(PLACEHOLDER.sub(replace, str(escape(text))))  # noqa: S704 - escaped first

    return fill


def render_html(
    plan: Plan, profile: Profile, library: Library, clinic: Clinic, options: RenderOptions
) -> str:
    """Render the handout's HTML."""
    ui = library.ui[plan.language]
    template = environment().get_template("handout.html.j2")
    try:
        return template.render(
            plan=plan,
            ui=ui,
            fill=_filler(clinic, ui),
            patient_name=profile.patient_name,
            notes=profile.notes,
            clinic=clinic,
            logo_url=clinic.logo.as_uri() if clinic.logo else None,
            large_print=options.large_print or profile.large_print,
            paper=options.paper,
            made_on=options.date.isoformat(),
        )
    except TemplateError as error:
        raise RenderError(f"template error: {error}") from error
