"""Turn a ``Plan`` into HTML with one strict, autoescaping Jinja2 environment.

Profile text (name, notes) only ever reaches element content, where autoescaping makes it
inert: it is never placed in a URL, an attribute that loads something, or CSS. This module
also lays out what depends on the printed size of the words: the call box (whole, or in parts
of a page each), the footer's margin, wallet and alert cards, and the drawings with their words.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from html import unescape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup, escape

from careplan.clinic import LOGO_TYPES, PRRT_MEASURES, Clinic
from careplan.errors import RenderError
from careplan.library import PLACEHOLDER, Library
from careplan.measure import PT_PER_MM, line_count, text_width
from careplan.options import RenderOptions
from careplan.plan import Line, Plan, SelectedFigure, SignLine
from careplan.resources import handout_dir
from careplan.vocab import load_vocabulary

NOTE_LINES = 4
NOTE_LINES_LARGE = 6
LARGE_LOG_ENTRIES = 2  # entries per diary in large print (copy the page for more)
RUNNING_NAME = 32  # characters of the name in the page header; longer names end in "…"
# Normal print: the call box goes before the plan at a glance when the estimate of page 1
# stays within this many points (US Letter holds 690 under its margins).
PAGE_ONE_POINTS = 660
# A wallet card face (3.37 x 2.13 in) holds this many 12 pt lines of this many characters
# under its title.
CARD_LINES = 7
CARD_LINE_CHARS = 38
# The large-print alert card (large-print.css): 5.5 in wide, 8 mm padding inside a 1.5 pt frame;
# the wallet lines that do not fit one card's page start another card.
ALERT_WIDTH = 5.5 * 72 - 16 * PT_PER_MM - 3
# The page footer sits in the bottom margin, which the stylesheets size for two lines; a longer
# footer (a copy's mark, another language's words) gets a taller margin, never a smaller type.
FOOTER_LINE_MM = 5.6
FOOTER_LINE_MM_LARGE = 9.6
BOTTOM_MARGIN_MM = 19.0  # handout.css
BOTTOM_MARGIN_MM_LARGE = 33.0  # large-print.css (1.3 in)
# A clinic value this short ("100.4 °F (38 °C)", "70 mg/dL (3.9 mmol/L)") prints on one line.
WHOLE_VALUE_CHARS = 24


# In points: the width of the text on each paper and the height between the top and bottom
# margins, in normal print (handout.css, pdf.py) and large print (large-print.css).
TEXT_WIDTH = {"letter": 149.9 * PT_PER_MM, "a4": 148.0 * PT_PER_MM}
TEXT_HEIGHT = {
    "letter": (279.4 - 14 - BOTTOM_MARGIN_MM) * PT_PER_MM,
    "a4": (297 - 14 - BOTTOM_MARGIN_MM) * PT_PER_MM,
}
LARGE_TEXT_WIDTH = {"letter": 6 * 72, "a4": (210 - 63.5) * PT_PER_MM}
LARGE_TEXT_HEIGHT = {
    "letter": (11 - 1 - 1.3) * 72,
    "a4": (297 - 25.4 - BOTTOM_MARGIN_MM_LARGE) * PT_PER_MM,
}


@dataclass(frozen=True)
class BoxStyle:
    """The call box's type sizes (points), line heights and spacing, from a stylesheet."""

    text: float  # a sign, the note, a number's label
    leading: float  # line height, times the type size
    heading: float  # "When to get help"
    heading_leading: float
    continued: float  # "(continued)" after the heading of a later part
    level: float  # "Call 911 now", "Call your care team ..."
    columns: int  # of signs
    indent: float  # a list's left padding
    sign_gap: float  # space under each sign
    bold: bool  # the body text is bold
    slack: float  # kept free under each page of the box: the estimate's largest error here


NORMAL_BOX = BoxStyle(12, 1.25, 19, 1.2, 19, 15, 2, 6 * PT_PER_MM, 1.2 * PT_PER_MM, False, 12)
LARGE_BOX = BoxStyle(18, 1.5, 24, 1.3, 18, 20, 1, 8 * PT_PER_MM, 3 * PT_PER_MM, True, 12)


Column = tuple[SignLine, ...]


@dataclass(frozen=True)
class CallPart:
    """One page of the call box: the emergency signs and the care-team signs on it, each
    group as the columns it prints in."""

    emergency: tuple[Column, ...]
    team: tuple[Column, ...]


def running_name(name: str | None) -> str:
    """Return the name for the page header, cut to fit with "…"."""
    if not name or len(name) <= RUNNING_NAME:
        return name or ""
    return name[: RUNNING_NAME - 1].rstrip() + "…"


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


@dataclass(frozen=True)
class CallBoxLayout:
    """Lays out the call box before the PDF engine does: its columns, its height and its
    parts. Measured on the examples and the single-therapy handouts in both languages, with and
    without a clinic file, the height is 5 points under to 24 over the laid-out box.
    """

    ui: dict[str, Any]
    paper: str
    large_print: bool
    missing_numbers: bool
    printed: Callable[[str], str] = str  # the words the handout prints (clinic values filled)

    @property
    def style(self) -> BoxStyle:
        return LARGE_BOX if self.large_print else NORMAL_BOX

    @property
    def inner(self) -> float:
        """The width inside the frame and its padding, in points."""
        width = (LARGE_TEXT_WIDTH if self.large_print else TEXT_WIDTH)[self.paper]
        return width - 6 - 10 * PT_PER_MM

    def lines(self, text: str, width: float, size: float, bold: bool = False) -> int:
        return line_count(self.printed(text), width, size, bold=self.style.bold or bold)

    def sign_points(self, sign: SignLine) -> float:
        style = self.style
        width = (self.inner - 7 * PT_PER_MM * (style.columns - 1)) / style.columns - style.indent
        text_lines = self.lines(sign.text, width, style.text)
        return style.text * style.leading * text_lines + style.sign_gap

    def columns(self, group: Sequence[SignLine]) -> tuple[Column, ...]:
        """Cut a group into its columns, in reading order, as even in height as can be (two
        in normal print, one in large print); the first is the longer when it must be."""
        if self.style.columns == 1 or len(group) < 2:
            return (tuple(group),)
        heights = [self.sign_points(s) for s in group]
        cut = min(
            range(1, len(group)),
            key=lambda k: (max(sum(heights[:k]), sum(heights[k:])), -k),
        )
        return tuple(group[:cut]), tuple(group[cut:])

    def part(self, signs: Sequence[SignLine]) -> CallPart:
        emergency = [s for s in signs if s.level == "emergency"]
        team = [s for s in signs if s.level != "emergency"]
        return CallPart(
            self.columns(emergency) if emergency else (), self.columns(team) if team else ()
        )

    def height(self, signs: Sequence[SignLine], *, first: bool = True, last: bool = True) -> float:
        """Estimate the height of one part holding ``signs``, in points: a part after the
        ``first`` says "(continued)", the ``last`` ends with the note."""
        style, ui, inner = self.style, self.ui, self.inner
        line = style.text * style.leading
        points = 6 + 6 * PT_PER_MM  # the frame, the padding under the last line, the margin
        heading = text_width(ui["call_heading"], style.heading, bold=True)
        if not first:
            heading += text_width(f" ({ui['continued']})", style.continued, bold=True)
        # The heading runs 5 mm into the padding each side, leaving room for the phone icon.
        room = inner - (11 if self.large_print else 13) * PT_PER_MM
        heading_lines = 1 + int(heading // room)
        points += style.heading * style.heading_leading * heading_lines
        points += 7 * PT_PER_MM  # the heading's padding and the space under it
        labels = [ui[k] for k in ("number_emergency", "call_phone_day", "call_phone_night")]
        if self.large_print:  # each number after its label: 22 pt on a line 1.75 times as tall,
            # or a 70 mm line to write on
            number = 70 * PT_PER_MM if self.missing_numbers else text_width("(555) 555-5555", 22)
            for label in labels:
                wide = text_width(f"{label} ", style.text, bold=True) + number
                points += line * int(wide // inner) + 22 * 1.75 + 1.5 * PT_PER_MM
        else:  # three columns: a label over each number
            width = (inner - 10 * PT_PER_MM - 60) / 2
            label_lines = max(self.lines(label, width, 12) for label in labels[1:])
            points += line * label_lines + (26 if self.missing_numbers else 20) + 2 * PT_PER_MM
        part = self.part(signs)
        for key, columns in (
            ("call_emergency_heading", part.emergency),
            ("call_team_heading", part.team),
        ):
            if not columns:
                continue
            points += 4 * PT_PER_MM + 1.5  # the rule above the group and the space around it
            points += style.level * 1.3 * self.lines(ui[key], inner, style.level, True)
            points += 1.5 * PT_PER_MM + max(sum(map(self.sign_points, c)) for c in columns)
        if last:
            points += 3 * PT_PER_MM + line * self.lines(ui["call_note"], inner, style.text, True)
        return points

    def parts(self, signs: Sequence[SignLine], page_points: float) -> list[CallPart]:
        """Keep the box whole when it fits ``page_points``, else cut it into parts of a page
        each, never inside a sign; the note ends the last part."""
        if self.height(signs) <= page_points:
            return [self.part(signs)]
        pages: list[list[SignLine]] = [[]]
        for sign in signs:
            first = len(pages) == 1
            if pages[-1] and self.height([*pages[-1], sign], first=first, last=False) > page_points:
                pages.append([])
            pages[-1].append(sign)
        if len(pages[-1]) > 1 and self.height(pages[-1], first=len(pages) == 1) > page_points:
            pages.append([pages[-1].pop()])  # the note needs the room of the last sign
        return [self.part(p) for p in pages]


def wallet_cards(lines: Sequence[Line]) -> list[list[Line]]:
    """Share the wallet lines over as many cards as they need (usually one)."""
    cards: list[list[Line]] = []
    used = CARD_LINES
    for line in lines:
        cost = len(textwrap.wrap(line.text, CARD_LINE_CHARS))
        if used + cost > CARD_LINES:
            cards.append([])
            used = 0
        cards[-1].append(line)
        used += cost
    return cards


def alert_cards(
    lines: Sequence[Line],
    ui: dict[str, Any],
    *,
    title: str,
    page_points: float,
    printed: Callable[[str], str] = str,
) -> list[list[Line]]:
    """Share the wallet lines over large-print alert cards, each no taller than a page."""
    line = 18 * 1.5
    gap = 3 * PT_PER_MM  # under each paragraph and list item
    fixed = 16 * PT_PER_MM + 3 + 24 * 1.3 * line_count(title, ALERT_WIDTH, 24, bold=True) + gap
    for text in (
        f"{ui['wallet_name']}: ______________",
        f"{ui['call_phone_day']}: (555) 555-5555",
        f"{ui['call_phone_night']}: (555) 555-5555",
        ui["wallet_emergency_note"],
    ):
        fixed += line * line_count(text, ALERT_WIDTH, 20, bold=True) + gap
    cards: list[list[Line]] = []
    used = page_points
    for item in lines:
        cost = line * line_count(printed(item.text), ALERT_WIDTH - 8 * PT_PER_MM, 18, bold=True)
        if used + cost + gap > page_points:
            cards.append([])
            used = fixed
        cards[-1].append(item)
        used += cost + gap
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


WHOLE_VALUE = re.compile(r'<span class="filled whole">(.*?)</span>')
BLANK = re.compile(r'<span class="blank[^"]*"></span>')
TAG = re.compile(r"<[^>]*>")


def printed_words(html: Markup) -> str:
    """Return the words a filled text prints, for measuring: a short clinic value joined by
    no-break spaces (it never wraps), a line to write on as wide as a dozen letters."""
    text = WHOLE_VALUE.sub(lambda m: m[1].replace(" ", "\N{NO-BREAK SPACE}"), str(html))
    return unescape(TAG.sub("", BLANK.sub("_" * 12, text)))


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

    Large print prints the disclaimer once, on page 1, so only ``meta`` counts there;
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

    def printed(text: str) -> str:
        return printed_words(fill(text))

    box = CallBoxLayout(ui, options.paper, large_print, clinic.missing_numbers, printed)
    base = BOTTOM_MARGIN_MM_LARGE if large_print else BOTTOM_MARGIN_MM
    taller_footer = ((footer_margin or base) - base) * PT_PER_MM
    page = (LARGE_TEXT_HEIGHT if large_print else TEXT_HEIGHT)[options.paper] - taller_footer
    room = page - box.style.slack  # for a part of the call box, or an alert card
    call_box = box.parts(plan.signs, room)
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
            alert_cards=alert_cards(
                plan.wallet_card, ui, title=plan.wallet_title, page_points=room, printed=printed
            )
            if large_print
            else [],
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
