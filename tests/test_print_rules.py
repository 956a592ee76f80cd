"""The patient copy's print rules, measured on the PDF of every example profile.

Every rule runs on every example profile in normal and in large print, in English and in
Spanish, and on one profile rendered without a clinic file, with the drawings (pending
sign-off) and the Spanish (pending a translator's review) printed. Measurements
come from the PDF itself (pdfplumber reads glyph sizes, positions and the tag tree), not from
the HTML or the stylesheet.
"""

from __future__ import annotations

import io
import itertools
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import pdfplumber
import pdfua
import pytest

from careplan.clinic import Clinic, load_clinic
from careplan.inputs import read_records, single_record, to_profile
from careplan.library import PLACEHOLDER, load_library
from careplan.options import RenderOptions
from careplan.render import Document, render_profile
from conftest import FIXED_DATE, ROOT, normalize_text, page_starts_with

UIS = load_library().ui
UI = UIS["en"]
PROFILES = sorted((ROOT / "profiles").glob("*.yaml"))
CLINIC_FILE = ROOT / "examples" / "clinic.yaml"
NO_CLINIC = PROFILES[0].stem  # also rendered without a clinic file


def _asks_large_print(path: Path) -> bool:
    return to_profile(single_record(read_records(str(path)))).profile.large_print


NORMAL = [
    (p.stem, False, True, language)
    for language in ("en", "es")
    for p in PROFILES
    if not _asks_large_print(p)
]
NORMAL.append((NO_CLINIC, False, False, "en"))
LARGE = [(p.stem, True, True, language) for language in ("en", "es") for p in PROFILES]
LARGE.append((NO_CLINIC, True, False, "en"))
CASES = NORMAL + LARGE
PT = 1.0
INCH = 72 * PT
MM = INCH / 25.4


@dataclass
class Handout:
    """A rendered example: the document, and its PDF opened for measuring."""

    doc: Document
    clinic: Clinic
    large: bool

    @property
    def ui(self) -> dict[str, Any]:
        """The handout's words, in its language."""
        return UIS[self.doc.plan.language]

    @property
    def bottom_margin(self) -> float:
        """The page's bottom margin in points (taller when the footer runs to more lines)."""
        taller = re.search(r"margin-bottom: ([\d.]+)mm !important", self.doc.html)
        return float(taller[1]) * MM if taller else (1.3 * INCH if self.large else 19 * MM)

    @cached_property
    def pdf(self) -> Any:
        return pdfplumber.open(io.BytesIO(self.doc.data))

    @cached_property
    def texts(self) -> list[str]:
        return [normalize_text(p.extract_text() or "") for p in self.pdf.pages]

    def page_with(self, phrase: str) -> int:
        """Return the index of the first page holding ``phrase``."""
        return next(i for i, t in enumerate(self.texts) if phrase in t)

    @cached_property
    def wallet_page(self) -> int:
        """Return the first page of the wallet card (or one past the last page)."""
        intro = normalize_text(self.ui["wallet_intro"])[:40]
        return next((i for i, t in enumerate(self.texts) if intro in t), len(self.texts))

    @cached_property
    def heading_mcids(self) -> list[set[int]]:
        """Return, per page, the marked-content ids of its headings (from the tag tree)."""
        out = []
        for page in self.pdf.pages:
            found: set[int] = set()
            for element in structure(page):
                if element.get("type") in ("H1", "H2", "H3", "H4", "H5", "H6"):
                    found |= mcids_under(element)
            out.append(found)
        return out

    @cached_property
    def write_in_page(self) -> int:
        """Return the page where the pages to write on begin."""
        return self.page_with(self.ui["questions_heading"])


@cache
def handout(
    name: str, large: bool, with_clinic: bool, language: str = "en", copy: str = "patient"
) -> Handout:
    parsed = to_profile(single_record(read_records(str(ROOT / "profiles" / f"{name}.yaml"))))
    clinic = load_clinic(CLINIC_FILE) if with_clinic else Clinic()
    # Drawings are pending a clinician's sign-off: print them, so every rule sees the fullest
    # layout (test_handouts renders every example without --allow-pending).
    options = RenderOptions(
        date=FIXED_DATE, large_print=large, copy=copy, allow_pending=True, language=language
    )
    doc = render_profile(parsed.profile, options=options, clinic=clinic)
    return Handout(doc, clinic, doc.html.count('class="large-print') > 0)


def case_id(case: tuple[str, bool, bool, str]) -> str:
    name, large, with_clinic, language = case
    clinic = "" if with_clinic else "-no-clinic"
    return f"{name}-{'large' if large else 'normal'}{clinic}-{language}"


@pytest.fixture(params=CASES, ids=[case_id(c) for c in CASES])
def h(request: pytest.FixtureRequest) -> Handout:
    """Every example, in normal and in large print, in both languages, and one without a
    clinic file."""
    return handout(*request.param)


@pytest.fixture(params=NORMAL, ids=[case_id(c) for c in NORMAL])
def normal(request: pytest.FixtureRequest) -> Handout:
    return handout(*request.param)


@pytest.fixture(params=LARGE, ids=[case_id(c) for c in LARGE])
def large(request: pytest.FixtureRequest) -> Handout:
    return handout(*request.param)


def filled(text: str, clinic: Clinic) -> str:
    """Fill clinic placeholders the way the handout prints them (blanks print as nothing)."""
    return PLACEHOLDER.sub(lambda m: clinic.get(m[1]) or "", text)


def sign_starts(h: Handout) -> list[str]:
    """Return the start of each call-box sign, as the PDF text shows it."""
    starts = []
    for sign in h.doc.plan.signs:
        text = filled(sign.text, h.clinic).split("{")[0]
        starts.append(normalize_text(text)[:28])
    return starts


def lines(page: Any, *, body_only: bool = True) -> list[list[dict[str, Any]]]:
    """Group a page's glyphs into lines by baseline; ``body_only`` drops header and footer."""
    chars = [c for c in page.chars if c["text"].strip()]
    if body_only:
        chars = [c for c in chars if c.get("mcid") is not None]
    rows: dict[float, list[dict[str, Any]]] = {}
    for c in sorted(chars, key=lambda c: (baseline(c), c["x0"])):
        key = next((k for k in rows if abs(k - baseline(c)) < 2), baseline(c))
        rows.setdefault(key, []).append(c)
    return [rows[k] for k in sorted(rows)]


def baseline(char: dict[str, Any]) -> float:
    """Return a glyph's baseline, growing down the page (PDF y grows up)."""
    return -float(char["matrix"][5])


def structure(page: Any) -> Iterator[dict[str, Any]]:
    """Yield every element of a page's tag tree, depth first."""
    stack = list(reversed(page.structure_tree))
    while stack:
        element = stack.pop()
        yield element
        stack.extend(reversed(element.get("children", [])))


def mcids_under(element: dict[str, Any]) -> set[int]:
    found = set(element.get("mcids") or ())
    for child in element.get("children", []):
        found |= mcids_under(child)
    return found


# -- page 1: the numbers, the fill-in box and the map -----------------------------------------


def test_numbers_to_call_are_on_page_one(h: Handout) -> None:
    first = h.texts[0]
    assert h.clinic.get("emergency_number") in first
    if h.clinic.missing_numbers:
        assert h.ui["fill_in_heading"] in first
    else:
        assert h.ui["fill_in_heading"] not in " ".join(h.texts)
        for name in ("phone", "after_hours_phone"):
            assert h.clinic.get(name) in first


def test_no_blank_action_field_without_the_fill_in_box(h: Handout) -> None:
    blanks = h.doc.html.count('class="write-line"') + h.doc.html.count('class="blank')
    if any(h.clinic.get(n) is None for n in ("phone", "after_hours_phone")):
        assert h.ui["fill_in_heading"] in h.texts[0]
    else:
        assert 'class="blank"' not in h.doc.html or blanks  # a write-on line for a clinic value
        assert h.ui["fill_in_heading"] not in h.texts[0]


def test_page_one_map_names_the_real_pages(h: Handout) -> None:
    first = h.texts[0]
    target = re.search(rf"{re.escape(h.ui['map_call'])} (\d+)", first)
    assert target, first[:400]
    page = int(target[1]) - 1
    assert h.ui["call_heading"] in h.texts[page]
    if h.doc.plan.wallet_card:
        wallet = re.search(rf"{re.escape(h.ui['map_wallet'])} (\d+)", first)
        assert wallet
        assert int(wallet[1]) - 1 == h.wallet_page
    if h.doc.plan.logs:
        diary = re.search(rf"{re.escape(h.ui['map_diary'])} (\d+)", first)
        assert diary
        title = h.doc.plan.logs[0].title[h.doc.plan.language]
        assert normalize_text(title) in h.texts[int(diary[1]) - 1]


# -- the call box ----------------------------------------------------------------------------


def test_call_box_groups_are_worded_verbatim(h: Handout) -> None:
    text = " ".join(h.texts)
    emergency = h.ui["call_emergency_heading"].replace(
        "{emergency_number}", h.clinic.get("emergency_number") or ""
    )
    assert UI["call_emergency_heading"] == "Call {emergency_number} now"
    assert UI["call_team_heading"] == "Call your care team right away — day or night"
    if any(s.level == "emergency" for s in h.doc.plan.signs):
        assert emergency in text
    assert normalize_text(h.ui["call_team_heading"]) in text


def test_call_box_pages_repeat_heading_and_numbers(h: Handout) -> None:
    starts = sign_starts(h)
    pages = sorted({i for i, t in enumerate(h.texts) for s in starts if s in t})
    assert pages, "no call-box sign found"
    assert pages == list(range(pages[0], pages[-1] + 1)), "the call box skips a page"
    for i in pages:
        assert h.ui["call_heading"] in h.texts[i]
        assert h.clinic.get("emergency_number") in h.texts[i]
        for name in ("phone", "after_hours_phone"):
            value = h.clinic.get(name)
            assert value is None or value in h.texts[i]
    if len(pages) > 1:  # too big for one page: each part starts a page of its own
        assert all(page_starts_with(h.texts[i], h.ui["call_heading"], h.ui) for i in pages)
    note = normalize_text(h.ui["call_note"])[:30]
    closing = [i for i, t in enumerate(h.texts) if note in t]
    assert closing == [pages[-1]], "the box's closing note runs on to a page of its own"


def test_numbers_never_wrap(h: Handout) -> None:
    """Every phone number, and every clinic number with its unit, sits on one line."""
    names = ("phone", "after_hours_phone", "emergency_number", "fever_threshold", "glucose_low")
    values = [h.clinic.get(n) for n in names]
    for value in filter(None, values):
        for i, page in enumerate(h.pdf.pages):
            if value not in h.texts[i]:
                continue
            joined = [normalize_text("".join(c["text"] for c in row)) for row in lines(page)]
            squeezed = value.replace(" ", "")
            assert any(squeezed in row.replace(" ", "") for row in joined), (value, i + 1)


# -- large print -------------------------------------------------------------------------------


def test_large_print_glyphs_are_18_pt_or_more(large: Handout) -> None:
    h = large
    for i, page in enumerate(h.pdf.pages[: h.wallet_page]):
        small = {c["text"] for c in page.chars if c["size"] < 17.95}
        assert not small, f"page {i + 1}: glyphs under 18 pt: {sorted(small)[:10]}"


def test_large_print_alert_cards_are_18_pt_and_one_page_each(large: Handout) -> None:
    """Large print adds half-letter alert cards at 18 pt after the wallet card; none runs
    over its page."""
    h = large
    cards = h.doc.html.count('class="alert-card"')
    assert (cards > 0) == bool(h.doc.plan.wallet_card)
    title = normalize_text(h.doc.plan.wallet_title)
    after = range(h.wallet_page + 1, len(h.texts))
    pages = [  # a wallet card that runs on to a page also starts with the title, in 12 pt
        i
        for i in after
        if page_starts_with(h.texts[i], title, h.ui)
        and min(c["size"] for c in h.pdf.pages[i].chars) >= 17.95
    ]
    assert len(pages) == cards
    assert not pages or pages == list(range(len(h.texts) - cards, len(h.texts)))


def test_large_print_margins_and_line_length(large: Handout) -> None:
    h = large
    for i, page in enumerate(h.pdf.pages[: h.wallet_page]):
        for row in lines(page, body_only=False):
            left, right = min(c["x0"] for c in row), max(c["x1"] for c in row)
            assert left >= INCH - 0.5, f"page {i + 1}"
            assert right <= page.width - INCH + 0.5, f"page {i + 1}"
            assert right - left <= 6 * INCH + 0.5, f"page {i + 1}: line longer than 6 in"
        for c in page.chars:
            assert c["bottom"] <= page.height - 0.25 * INCH, f"page {i + 1}: text off the page"


def test_large_print_line_pitch_is_one_and_a_half(large: Handout) -> None:
    """Consecutive lines are at least 1.5 times the type size apart (headings, set larger
    and tighter, excepted), in the header and footer too."""
    h = large
    for i, page in enumerate(h.pdf.pages[: h.wallet_page]):
        rows = lines(page, body_only=False)
        for above, below in itertools.pairwise(rows):
            size = max(c["size"] for c in below)
            if any(all(c.get("mcid") in h.heading_mcids[i] for c in r) for r in (above, below)):
                continue
            pitch = baseline(below[0]) - baseline(above[0])
            assert pitch >= 1.45 * size, f"page {i + 1}: lines {pitch:.1f} pt apart at {size} pt"


# -- normal print ------------------------------------------------------------------------------


def one_column(chars: list[dict[str, Any]]) -> bool:
    """True when a line runs as one piece of text: no gap wider than two spaces (table cells,
    two columns, the running header)."""
    return all(b["x0"] - a["x1"] < 2 * a["size"] for a, b in itertools.pairwise(chars))


def test_normal_print_lines_are_about_65_to_75_characters(normal: Handout) -> None:
    """Full lines of body text (12 pt, spanning the text column) hold about 65-75 characters."""
    h = normal
    full = []
    footer = normalize_text(h.ui["footer_disclaimer"])[:30]
    for page in h.pdf.pages[: h.wallet_page]:
        width = max(c["x1"] for c in page.chars) - min(c["x0"] for c in page.chars)
        for line in page.extract_text_lines():
            body = 11.5 < line["chars"][0]["size"] < 13 and not line["text"].startswith(footer)
            if body and line["x1"] - line["x0"] > 0.85 * width and one_column(line["chars"]):
                full.append(len(line["text"]))
    assert len(full) >= 10, "too few full-width body lines to measure"
    assert 65 <= statistics.median(full) <= 76, statistics.median(full)


# -- pagination ---------------------------------------------------------------------------------


def test_no_heading_is_the_last_line_of_a_page(h: Handout) -> None:
    for i, page in enumerate(h.pdf.pages[: h.wallet_page]):
        rows = lines(page)
        if not rows or i == len(h.pdf.pages) - 1:
            continue
        last = rows[-1]
        assert not all(c.get("mcid") in h.heading_mcids[i] for c in last), (
            f"page {i + 1} ends with a heading: {''.join(c['text'] for c in last)}"
        )


def test_no_reading_page_is_mostly_empty(h: Handout) -> None:
    """Before the pages to write on, no page is more than about 70 % empty (the call box's
    own page excepted, and in large print the page before a drawing: at 18-pt labels a
    drawing fills most of a page, and WeasyPrint moves the text after it along with it)."""
    call_pages = {i for i, t in enumerate(h.texts) for s in sign_starts(h) if s in t}
    drawing_pages = {
        i
        for i, page in enumerate(h.pdf.pages)
        if h.large
        and any(
            "Caption" in [k.get("type") for k in element.get("children", [])]
            for element in structure(page)
        )
    }
    for i, page in enumerate(h.pdf.pages[: h.write_in_page - 1]):
        if i in call_pages or i + 1 in call_pages or i + 1 in drawing_pages:
            continue
        # The running header and footer sit in the margins: measure the body between them.
        top_margin, bottom_margin = (1 * INCH if h.large else 14 * MM), h.bottom_margin
        rows = [
            r
            for r in lines(page)
            if min(c["top"] for c in r) > top_margin
            and max(c["bottom"] for c in r) < page.height - bottom_margin
        ]
        top = min(c["top"] for c in rows[0])
        bottom = max(c["bottom"] for c in rows[-1])
        body = page.height - top_margin - bottom_margin
        assert (bottom - top) / body >= 0.3, f"page {i + 1} is {(bottom - top) / body:.0%} full"


# -- the wallet card ---------------------------------------------------------------------------


def test_wallet_card_faces_are_bank_card_size(h: Handout) -> None:
    """Each card folds to 85.6 x 54 mm (3.37 x 2.13 in): two faces inside a cut line."""
    cards = h.doc.html.count('class="wallet-card"')
    assert cards == (1 if h.doc.plan.wallet_card else 0) * max(cards, 1)
    pages = h.pdf.pages[h.wallet_page :]
    faces = [
        r
        for page in pages
        for r in page.rects
        if abs(r["width"] - 85.6 * MM) < 1.5 and abs(r["height"] - 54 * MM) < 1.5
    ]
    outlines = [
        line
        for page in pages
        for line in page.lines
        if abs(line["width"] - 171.2 * MM) < 2.5 * MM and line["height"] < 1
    ]
    assert len(faces) >= cards
    assert len(outlines) == 2 * cards
    for page in pages:
        for line in page.lines:
            assert line["x0"] >= 0.5 * INCH
            assert line["x1"] <= page.width - 0.5 * INCH


# -- figures and sources -----------------------------------------------------------------------


def test_figures_are_tagged_with_alt_text_and_a_caption(h: Handout) -> None:
    shown = [f for m in h.doc.plan.modules() for f in m.figures if f.kind == "drawing"]
    logo = {h.clinic.get("clinic_name"), h.ui["logo_alt"]}
    tagged = []
    for page in h.pdf.pages:
        for element in structure(page):
            kids = element.get("children", [])
            types = [k.get("type") for k in kids]
            if "Figure" in types and kids[types.index("Figure")].get("alt_text") not in logo:
                figure = kids[types.index("Figure")]
                assert figure.get("alt_text"), "a Figure without /Alt"
                assert "Caption" in types, "a Figure without a sibling Caption"
                tagged.append(figure["alt_text"])
    printed = [f for f in shown if f.id in h.doc.html]
    assert len(tagged) >= len(printed)


def test_patient_copy_lists_only_trusted_sources(h: Handout) -> None:
    """At most six trusted sources, never the evidence trail; a Spanish copy lists only
    Spanish editions, so it may list none (and then prints no heading for them)."""
    text = " ".join(h.texts)
    assert h.ui["sources_heading"] not in text
    assert f"{h.ui['module_sources']}:" not in text
    trusted = h.doc.plan.trusted
    assert (1 if h.doc.plan.language == "en" else 0) <= len(trusted) <= 6
    assert all(s.kind == "original" for s in trusted)
    assert (h.ui["trusted_heading"] in text) == bool(trusted)


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_clinician_copy_shows_every_sections_sources_and_reasons(path: Path) -> None:
    h = handout(path.stem, False, True, copy="clinician")
    text = " ".join(h.texts)
    assert UI["trusted_heading"] not in text
    assert UI["sources_heading"] in text
    for module in h.doc.plan.modules():
        for reason in module.reasons:
            assert normalize_text(reason)[:40] in text, (module.id, reason)
        for key in module.sources:
            assert key in text, (module.id, key)


# -- an outside checker --------------------------------------------------------------------------


def test_pdfua_reports_no_errors_and_no_warnings(h: Handout, tmp_path: Path) -> None:
    """pdfua (the machine-checkable part of PDF/UA-1) finds nothing at all."""
    path = tmp_path / "handout.pdf"
    path.write_bytes(h.doc.data)
    report = pdfua.validate(str(path))
    findings = [f"{f.severity}: {f.message}" for f in report.findings]
    assert findings == []
    assert report.outcomes, "pdfua ran no rules"


def test_pdfua_would_see_header_cells_without_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checker is live: without careplan's /Scope step, it warns about table headers."""
    import careplan.pdf

    monkeypatch.setattr(careplan.pdf, "_scope_header_cells", lambda document, pdf: None)
    parsed = to_profile(single_record(read_records(str(PROFILES[0]))))
    options = RenderOptions(date=FIXED_DATE)
    doc = render_profile(parsed.profile, options=options, clinic=load_clinic(CLINIC_FILE))
    path = tmp_path / "unscoped.pdf"
    path.write_bytes(doc.data)
    messages = " ".join(f.message for f in pdfua.validate(str(path)).findings)
    assert "Scope" in messages
