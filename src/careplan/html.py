"""Turn a ``Plan`` into HTML with one strict, autoescaping Jinja2 environment.

Profile text (name, notes) only ever reaches element content, where autoescaping makes it
inert: it is never placed in a URL, an attribute that loads something, or CSS.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup, escape

from careplan.clinic import Clinic
from careplan.errors import RenderError
from careplan.library import PLACEHOLDER, Library
from careplan.options import RenderOptions
from careplan.plan import Plan
from careplan.resources import handout_dir

NOTE_LINES = 4
NOTE_LINES_LARGE = 6
FRONT_PAGE_SIGNS = 14  # a call box with more signs than this opens page 2 instead
LOG_SHARED_ROWS = 7  # rows per diary table when two share a page
RUNNING_NAME = 32  # characters of the name in the page header; longer names end in "…"


def running_name(name: str | None) -> str:
    """Return the name for the page header, cut to fit with "…"."""
    if not name or len(name) <= RUNNING_NAME:
        return name or ""
    return name[: RUNNING_NAME - 1].rstrip() + "…"


@cache
def environment() -> Environment:
    """Build the Jinja2 environment once per process."""
    env = Environment(
        loader=FileSystemLoader(handout_dir()),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    return env


def _filler(clinic: Clinic, ui: dict[str, Any]) -> Callable[[str], Markup]:
    """Return a filter that escapes text, then fills clinic placeholders or blank lines.

    A missing value prints as a line to write on, followed by its label in brackets.
    """

    def fill(text: str) -> Markup:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            value = clinic.get(name)
            if value is not None:
                return str(Markup('<span class="filled">{}</span>').format(value))
            short = name.startswith("prrt_days")
            label = ui["blank_label"]["prrt_days" if short else name]
            return str(
                Markup(
                    '<span class="blank{}"></span> <span class="blank-label">({})</span>'
                ).format(" blank-short" if short else "", label)
            )

        return Markup(PLACEHOLDER.sub(replace, str(escape(text))))  # noqa: S704 - escaped first

    return fill


def _fielder(clinic: Clinic) -> Callable[[str], Markup]:
    """Return a filter for a value after its own label: the clinic's value or a line to write on."""

    def field(name: str) -> Markup:
        value = clinic.get(name)
        if value is not None:
            return Markup('<span class="filled">{}</span>').format(value)
        return Markup('<span class="write-line"></span>')

    return field


def css_string(text: str) -> str:
    """Quote trusted text as a CSS string, escaping everything but letters, digits and spaces."""
    escaped = (c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text)
    return '"' + "".join(escaped) + '"'


def page_number_css(ui: dict[str, Any]) -> str:
    """Return the "Page X of Y" margin rule for one language, from ui.yaml (never profile data)."""
    parts = re.split(r"(\{page\}|\{pages\})", ui["page_number"])
    counters = {"{page}": "counter(page)", "{pages}": "counter(pages)"}
    content = " ".join(counters.get(p) or css_string(p) for p in parts if p)
    return f"@page {{ @top-right {{ content: {content}; }} }}"


def render_html(
    plan: Plan, library: Library, clinic: Clinic, options: RenderOptions, *, id_digest: str
) -> str:
    """Render the handout's HTML; ``options`` are the effective ones (see ``render_profile``).

    ``id_digest`` (a hash of the profile's id, never the id) is recorded in the document, so
    that a later render can tell whether a file holds a handout for the same patient.
    """
    ui = library.ui[plan.language]
    large_print = options.large_print

    def long_date(date: dt.date) -> str:
        return str(ui["date_format"]).format(
            day=date.day, month=ui["months"][date.month - 1], year=date.year
        )

    template = environment().get_template("handout.html.j2")
    try:
        return template.render(
            plan=plan,
            ui=ui,
            fill=_filler(clinic, ui),
            field=_fielder(clinic),
            patient_name=plan.patient_name,
            running_name=running_name(plan.patient_name),
            id_digest=id_digest,
            notes=plan.notes,
            clinic=clinic,
            logo_url=clinic.logo.as_uri() if clinic.logo else None,
            large_print=large_print,
            paper=options.paper,
            made_on=long_date(options.date),
            long_date=long_date,
            front_page_signs=FRONT_PAGE_SIGNS,
            note_lines=NOTE_LINES_LARGE if large_print else NOTE_LINES,
            log_shared_rows=LOG_SHARED_ROWS,
        )
    except TemplateError as error:  # a bug in careplan's templates, never in the profile
        where = getattr(error, "name", None) or "handout template"
        line = getattr(error, "lineno", None)
        raise RenderError(
            f"template error in {where}{f' line {line}' if line else ''}: {type(error).__name__}"
        ) from error
