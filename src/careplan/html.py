"""Turn a ``Plan`` into HTML with one strict, autoescaping Jinja2 environment.

Profile text (name, notes) only ever reaches element content, where autoescaping makes it
inert: it is never placed in a URL, an attribute that loads something, or CSS. This module
also lays out what depends on print mode: the call box in parts (large print), wallet cards
sized to a bank card, and the drawings with their words.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup, escape

from careplan.clinic import LOGO_TYPES, PRRT_MEASURES, Clinic
from careplan.errors import RenderError
from careplan.library import PLACEHOLDER, Library
from careplan.measure import PT_PER_MM, line_count
from careplan.options import RenderOptions
from careplan.plan import Line, Plan, SelectedFigure, SignLine
from careplan.resources import handout_dir
from careplan.vocab import load_vocabulary

NOTE_LINES = 4
NOTE_LINES_LARGE = 6
LARGE_LOG_ENTRIES = 2  # entries per diary in large print (copy the page for more)
RUNNING_NAME = 32  # characters of the name in the page header; longer names end in "…"
# Large print: how much of a page the signs of one call-box part and their group headings may
# fill, in lines of 18 pt text (the box heading and the numbers take the rest), and how many
# characters fit on a line 6 inches wide.
CALL_PART_LINES = 18.0
LARGE_LINE_CHARS = 36
GROUP_HEADING_LINES = {"emergency": 1.2, "call": 2.4}  # "Call your care team ..." takes two
BLANK_NUMBER_LINES = 3.0  # care-team numbers as lines to write on, with their labels
CALL_NOTE_LINES = 2.6  # "Not sure if it is serious? Call anyway. ..." at the foot of the box
# Normal print: the call box goes before the plan at a glance when the estimate of page 1
# stays within this many points (US Letter holds 690 under its margins).
PAGE_ONE_POINTS = 660
# A wallet card face (3.37 x 2.13 in) holds this many 12 pt lines of this many characters
# under its title.
CARD_LINES = 7
CARD_LINE_CHARS = 38
# The large-print alert card (half letter, 18 pt) holds this many lines of this many characters
# besides the name and numbers; more lines make another card.
ALERT_LINES = 10
ALERT_LINE_CHARS = 24
# The page footer sits in the bottom margin, which the stylesheets size for two lines; a longer
# footer (a copy's mark, another language's words) gets a taller margin, never a smaller type.
FOOTER_LINE_MM = 5.6
FOOTER_LINE_MM_LARGE = 9.6
BOTTOM_MARGIN_MM = 19.0  # handout.css
BOTTOM_MARGIN_MM_LARGE = 33.0  # large-print.css (1.3 in)
# A clinic value this short ("100.4 °F (38 °C)", "70 mg/dL (3.9 mmol/L)") prints on one line.
WHOLE_VALUE_CHARS = 24


# Normal print, in points: the width of the text on each paper (handout.css and pdf.py), the
# height under the top and bottom margins, and the call box's own sizes (handout.css).
TEXT_WIDTH = {"letter": 149.9 * PT_PER_MM, "a4": 148.0 * PT_PER_MM}
TEXT_HEIGHT = {
    "letter": (279.4 - 14 - BOTTOM_MARGIN_MM) * PT_PER_MM,
    "a4": (297 - 14 - BOTTOM_MARGIN_MM) * PT_PER_MM,
}
LARGE_TEXT_WIDTH = {"letter": 6 * 72, "a4": (210 - 63.5) * PT_PER_MM}  # large-print.css
CALL_BOX_SLACK = 15  # points kept free under a call box estimated to fit a page


@dataclass(frozen=True)
class CallPart:
    """One page of the call box: the emergency signs and the care-team signs on it."""

    emergency: tuple[SignLine, ...]
    team: tuple[SignLine, ...]


def running_name(name: str | None) -> str:
    """Return the name for the page header, cut to fit with "…"."""
    if not name or len(name) <= RUNNING_NAME:
        return name or ""
    return name[: RUNNING_NAME - 1].rstrip() + "…"


def call_box_parts(
    signs: Sequence[SignLine],
    large_print: bool,
    *,
    missing_numbers: bool = False,
    height: Callable[[Sequence[SignLine]], float] | None = None,
    page_points: float = 0.0,
) -> list[CallPart]:
    """Split the call box into parts of a page each, never inside a sign.

    Large print counts lines; numbers to write in (no clinic value) take more of each page.
    Normal print keeps the box whole when ``height`` (its estimate in points) says it fits
    ``page_points``, else cuts it the same way by that estimate.
    """
    if not large_print:
        if height is None or height(signs) <= page_points:
            return [_part(list(signs))]
        pages: list[list[SignLine]] = [[]]
        for sign in signs:
            if pages[-1] and height([*pages[-1], sign]) > page_points:
                pages.append([])
            pages[-1].append(sign)
        return [_part(p) for p in pages]
    capacity = CALL_PART_LINES - (BLANK_NUMBER_LINES if missing_numbers else 0)
    parts: list[list[SignLine]] = [[]]
    used = 0.0
    for sign in signs:
        heading = GROUP_HEADING_LINES["emergency" if sign.level == "emergency" else "call"]
        lines = len(textwrap.wrap(sign.text, LARGE_LINE_CHARS)) + 0.35  # and the space after it
        first_of_group = not any(s.level == sign.level for s in parts[-1])
        if parts[-1] and used + lines + (heading if first_of_group else 0) > capacity:
            parts.append([])
            used, first_of_group = 0.0, True
        parts[-1].append(sign)
        used += lines + (heading if first_of_group else 0)  # a group's heading opens it here
    if len(parts[-1]) > 1 and used + CALL_NOTE_LINES > capacity:  # the note closes the box
        parts.append([parts[-1].pop()])
    return [_part(p) for p in parts]


def box_fits_page_one(
    signs: Sequence[SignLine],
    large_print: bool,
    *,
    title: str,
    key_points: Sequence[Line],
    missing_numbers: bool,
) -> bool:
    """Estimate whether the call box fits on page 1 under "things to remember" (normal print).

    Then it goes before the plan at a glance; otherwise after it, at the top of page 2. The
    numbers print on page 1 either way, so a wrong guess costs only space, never the numbers.
    """
    if large_print:
        return False
    used = 60 + 27 * len(textwrap.wrap(title, 30)) + 25 + 55  # masthead, map, numbers
    used += 160 if missing_numbers else 0  # the box asking the nurse to write them in
    used += 45 + 17 * sum(len(textwrap.wrap(p.text, 56)) for p in key_points)
    used += 35 + 50 + 45  # call-box heading, its numbers, the note at its foot
    for group in (
        [s for s in signs if s.level == "emergency"],
        [s for s in signs if s.level != "emergency"],
    ):
        column = group[: (len(group) + 1) // 2]  # the first, longer column of two
        used += 30 + sum(16 * len(textwrap.wrap(s.text, 34)) + 5 for s in column)
    return used <= PAGE_ONE_POINTS


def call_box_points(
    signs: Sequence[SignLine],
    ui: dict[str, Any],
    paper: str,
    *,
    missing_numbers: bool,
    printed: Callable[[str], str] = str,
) -> float:
    """Estimate the height of the call box in normal print, in points (handout.css).

    ``printed`` turns a text into the words the handout prints (clinic values filled in).
    Measured on the examples and every single-therapy handout in both languages, the estimate
    is within 15 points of the laid-out box, more often over than under.
    """
    inner = TEXT_WIDTH[paper] - 6 - 10 * PT_PER_MM  # 3 pt frame and 5 mm padding each side
    points = 6 + 3 * PT_PER_MM + 3 * PT_PER_MM  # frame, bottom padding and margin
    heading = line_count(ui["call_heading"], inner - 13 * PT_PER_MM, 19, bold=True)
    points += 22.8 * heading + 7 * PT_PER_MM  # 19 pt lines, 2 mm padding twice, 3 mm below
    label_width = (inner - 10 * PT_PER_MM - 60) / 2  # two phone columns beside "Emergency"
    labels = max(line_count(ui[k], label_width, 12) for k in ("call_phone_day", "call_phone_night"))
    points += 15 * labels + (26 if missing_numbers else 20) + 2 * PT_PER_MM
    column = (inner - 7 * PT_PER_MM) / 2 - 6 * PT_PER_MM  # two columns, each list indented 6 mm
    for level, key in (("emergency", "call_emergency_heading"), ("call", "call_team_heading")):
        group = [s for s in signs if (s.level == "emergency") == (level == "emergency")]
        if not group:
            continue
        points += 4 * PT_PER_MM + 1.5  # the rule above the group and the space around it
        points += 18 * line_count(printed(ui[key]), inner, 15, bold=True) + 1.5 * PT_PER_MM
        half = (len(group) + 1) // 2  # the template's slice(2): the first column is longer
        points += max(
            sum(15 * line_count(printed(s.text), column, 12) + 1.2 * PT_PER_MM for s in part)
            for part in (group[:half], group[half:])
        )
    return points + 3 * PT_PER_MM + 15 * line_count(ui["call_note"], inner, 12, bold=True)


def _part(signs: list[SignLine]) -> CallPart:
    emergency = tuple(s for s in signs if s.level == "emergency")
    return CallPart(emergency, tuple(s for s in signs if s.level != "emergency"))


def wallet_cards(
    lines: Sequence[Line], card_lines: int = CARD_LINES, line_chars: int = CARD_LINE_CHARS
) -> list[list[Line]]:
    """Share the wallet lines over as many cards as they need (usually one)."""
    cards: list[list[Line]] = []
    used = card_lines
    for line in lines:
        cost = len(textwrap.wrap(line.text, line_chars))
        if used + cost > card_lines:
            cards.append([])
            used = 0
        cards[-1].append(line)
        used += cost
    return cards


def prrt_days(clinic: Clinic) -> dict[str, int]:
    """Return the clinic's PRRT home-safety day counts, by measure (empty when not given)."""
    days = {m: clinic.get(f"prrt_days_{m}") for m in PRRT_MEASURES}
    return {m: int(d) for m, d in days.items() if d}


@cache
def environment() -> Environment:
    """Build the Jinja2 environment once per process."""
    return Environment(
        loader=FileSystemLoader(handout_dir()),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


class _ClinicReader:
    """The clinic as the template reads it, noting each value the handout prints."""

    def __init__(self, clinic: Clinic, used: set[str]) -> None:
        self.clinic = clinic
        self.used = used
        self.missing_numbers = clinic.missing_numbers
        self.logo = clinic.logo

    def get(self, name: str) -> str | None:
        self.used.add(name)
        return self.clinic.get(name)


def _filler(clinic: Clinic | _ClinicReader, ui: dict[str, Any]) -> Callable[[object], Markup]:
    """Return a filter that escapes text, then fills clinic placeholders or blank lines.

    A missing PRRT day count reads "the number of days your team tells you" (never a default
    number); any other missing value prints as a line to write on, with its label in brackets.
    """

    # "{prrt_days_toilet} days" with no count from the clinic reads "the number of days your team
    # tells you" (the unit word is the language's own, from ui.yaml).
    prrt_days = re.compile(r"\{(prrt_days_[a-z_]+)\} " + re.escape(ui["prrt_days_unit"]))

    def fill(item: object) -> Markup:
        text = str(getattr(item, "text", item))  # a printed Line, or plain text
        text = prrt_days.sub(
            lambda m: m.group(0) if clinic.get(m.group(1)) else ui["prrt_days_unknown"], text
        )

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            value = clinic.get(name)
            if value is not None:  # a short value (a number with its unit) never wraps
                kind = "filled whole" if len(value) <= WHOLE_VALUE_CHARS else "filled"
                return str(Markup('<span class="{}">{}</span>').format(kind, value))
            short = name.startswith("prrt_days")
            label = ui["blank_label"]["prrt_days" if short else name]
            return str(
                Markup(
                    '<span class="blank{}"></span> <span class="blank-label">({})</span>'
                ).format(" blank-short" if short else "", label)
            )

        return Markup(PLACEHOLDER.sub(replace, str(escape(text))))  # noqa: S704 - escaped first

    return fill


def _fielder(clinic: Clinic | _ClinicReader, css: str = "filled") -> Callable[[str], Markup]:
    """Return a filter for a value after its own label: the clinic's value or a line to write on."""

    def field(name: str) -> Markup:
        value = clinic.get(name)
        if value is not None:
            return Markup('<span class="{}">{}</span>').format(css, value)
        return Markup('<span class="write-line"></span>')

    return field


def _drawer(clinic: Clinic | _ClinicReader) -> Callable[[SelectedFigure], Markup]:
    """Return a function that inlines a drawing with its words filled in and escaped."""

    def drawing(figure: SelectedFigure) -> Markup:
        def word(match: re.Match[str]) -> str:
            name = match.group(1)
            return str(escape(figure.labels.get(name) or clinic.get(name) or ""))

        svg = PLACEHOLDER.sub(word, figure.svg.strip())
        opening = svg.index(">") + 1
        title = Markup("<title>{}</title>").format(PLACEHOLDER.sub(word, figure.alt))
        # Our own SVG (checked when the library loads), with its words escaped above.
        return Markup(svg[:opening]) + title + Markup(svg[opening:])  # noqa: S704

    return drawing


def footer_bottom_margin(
    meta: str, disclaimer: str, *, large_print: bool, paper: str, bold_meta: bool
) -> float | None:
    """Return the bottom margin (mm) a footer of more than two lines needs, else None.

    Large print prints the disclaimer once under the title, so only ``meta`` counts there;
    ``bold_meta`` says the meta line starts with a mark in bold (counted bold throughout)."""
    if large_print:
        lines = line_count(meta, LARGE_TEXT_WIDTH[paper], 18, bold=True)
    else:
        width = TEXT_WIDTH[paper]
        lines = line_count(meta, width, 12, bold=bold_meta) + line_count(disclaimer, width, 12)
    if lines <= 2:
        return None
    base, step = (
        (BOTTOM_MARGIN_MM_LARGE, FOOTER_LINE_MM_LARGE)
        if large_print
        else (BOTTOM_MARGIN_MM, FOOTER_LINE_MM)
    )
    return base + step * (lines - 2)


def logo_data_url(path: Path) -> str:
    """Return the clinic's logo as a ``data:`` URL: the PDF then depends on the image, never
    on the folder it was read from (WeasyPrint names an image after its URL)."""
    data = path.read_bytes()
    kind = next((t for magic, t in LOGO_TYPES.items() if data.startswith(magic)), "image/png")
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def chart_language(language: str | None) -> str | None:
    """Return the English name of the language a chart copy's handout is in."""
    if language is None:
        return None
    return load_vocabulary().fields["language"].label(language, "en")


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
    plan: Plan,
    library: Library,
    clinic: Clinic,
    options: RenderOptions,
    *,
    id_digest: str,
    figures_shown: frozenset[str] = frozenset(),
    used: set[str] | None = None,
    translation_pending: bool = False,
) -> str:
    """Render the handout's HTML; ``options`` are the effective ones (see ``render_profile``).

    ``id_digest`` (a hash of the profile's id, never the id) is recorded in the document, so
    that a later render can tell whether a file holds a handout for the same patient.
    ``figures_shown`` are the plan's figures that may print (reviewed, signed off or allowed).
    ``used`` collects the names of the clinic values the handout printed (or left blank).
    ``translation_pending`` marks page 1 and every footer: the words await a translator's review.
    """
    ui = library.ui[plan.language]
    reader = _ClinicReader(clinic, used if used is not None else set())
    large_print = options.large_print

    def long_date(date: dt.date) -> str:
        return str(ui["date_format"]).format(
            day=date.day, month=ui["months"][date.month - 1], year=date.year
        )

    chart_of = chart_language(options.chart_of)
    chart_mark = str(ui["chart_copy"]).replace("{language}", chart_of) if chart_of else None
    # The footer's marks, (text, bold): the template prints them and the margin is sized on them.
    footer_marks = [
        *([(ui["translation_pending"], True)] if translation_pending else []),
        *([(chart_mark, True)] if chart_mark else []),
        *([(ui["clinician_copy"], False)] if options.copy == "clinician" else []),
    ]
    made_on = f"{ui['prepared_on']} {long_date(options.date)}"
    version = f"{ui['content_version']} {plan.content_version}"
    # The version and the date print unbroken (no-break spaces, for the line count only).
    unbroken = [part.replace(" ", "\N{NO-BREAK SPACE}") for part in (version, made_on)]
    meta = " · ".join([*(text for text, _ in footer_marks), *unbroken])
    footer_margin = footer_bottom_margin(
        meta,
        ui["footer_disclaimer"],
        large_print=large_print,
        paper=options.paper,
        bold_meta=any(bold for _, bold in footer_marks),
    )
    fill = _filler(reader, ui)

    def box_height(signs: Sequence[SignLine]) -> float:
        return call_box_points(
            signs,
            ui,
            options.paper,
            missing_numbers=clinic.missing_numbers,
            printed=lambda text: fill(text).striptags(),
        )

    taller_footer = ((footer_margin or BOTTOM_MARGIN_MM) - BOTTOM_MARGIN_MM) * PT_PER_MM
    call_box = call_box_parts(
        plan.signs,
        large_print,
        missing_numbers=clinic.missing_numbers,
        height=box_height,
        page_points=TEXT_HEIGHT[options.paper] - taller_footer - CALL_BOX_SLACK,
    )
    template = environment().get_template("handout.html.j2")
    try:
        return template.render(
            plan=plan,
            ui=ui,
            copy=options.copy,
            translation_pending=translation_pending,
            chart_mark=chart_mark,
            footer_marks=footer_marks,
            footer_margin=footer_margin,
            fill=fill,
            field=_fielder(reader),
            number=_fielder(reader, "number"),
            drawing=_drawer(reader),
            patient_name=plan.patient_name,
            running_name=running_name(plan.patient_name),
            id_digest=id_digest,
            notes=plan.notes,
            clinic=reader,
            logo_url=logo_data_url(clinic.logo) if clinic.logo else None,
            large_print=large_print,
            paper=options.paper,
            made_on=long_date(options.date),
            long_date=long_date,
            key_points_heading=ui["key_points_heading"][len(plan.key_points) - 1]
            if plan.key_points
            else "",
            call_box=call_box,
            box_first=len(call_box) == 1
            and box_fits_page_one(
                plan.signs,
                large_print,
                title=plan.title,
                key_points=plan.key_points,
                missing_numbers=clinic.missing_numbers,
            ),
            wallet_cards=wallet_cards(plan.wallet_card),
            alert_cards=wallet_cards(plan.wallet_card, ALERT_LINES, ALERT_LINE_CHARS),
            figures_shown=figures_shown,
            prrt_days=prrt_days(clinic),
            sources=library.sources,
            note_lines=NOTE_LINES_LARGE if large_print else NOTE_LINES,
            large_log_entries=LARGE_LOG_ENTRIES,
        )
    except TemplateError as error:  # a bug in careplan's templates, never in the profile
        where = getattr(error, "name", None) or "handout template"
        line = getattr(error, "lineno", None)
        raise RenderError(
            f"template error in {where}{f' line {line}' if line else ''}: {type(error).__name__}"
        ) from error
