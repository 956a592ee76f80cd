"""The page budget: a single-therapy handout's main reading (every page before the pages to
write on) fits in 4 pages of normal print on US Letter, figures included, and the most complex
example (small bowel, carcinoid syndrome, lanreotide, PRRT) is at most 12 pages in all. The
Spanish handouts keep the same budget, though Spanish runs 15-25 % longer.

Measured with the example clinic file, and with pending content, figures and translations
printed (``allow_pending``): the longest handout a clinic can get once it has signed everything
off (a pending translation adds its mark to every footer)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from careplan.clinic import load_clinic
from careplan.library import load_library
from careplan.vocab import load_vocabulary
from conftest import page_starts_with

CLINIC = load_clinic(Path(__file__).resolve().parent.parent / "examples" / "clinic.yaml")
MAIN_READING_PAGES = 4
COMPLEX_PROFILE_PAGES = 12
LANGUAGES = ("en", "es")


def main_reading_pages(pdf: bytes, language: str = "en") -> int:
    """Count the pages up to the one where the pages to write on begin.

    The questions start the write-in part and share a page with the end of the reading, so
    that page counts as reading unless it starts with them.
    """
    ui = load_library().ui[language]
    heading = ui["questions_heading"]
    pages = PdfReader(io.BytesIO(pdf)).pages
    for number, page in enumerate(pages):
        text = " ".join((page.extract_text() or "").split())
        if heading in text:
            return number if page_starts_with(text, heading, ui) else number + 1
    return len(pages)


def single_therapy_profiles() -> list[dict[str, Any]]:
    """One profile per therapy id, as a nurse would write it for a patient starting it."""
    profiles = []
    vocab = load_vocabulary()
    for therapy in vocab.therapies.ids:
        if "pancreatic_surgery" in vocab.therapy_groups(therapy):
            profiles.append(
                {
                    "tumor_site": "pancreas",
                    "therapies": [],
                    "pancreatic_surgery": "planned",
                    "pancreatic_surgery_type": therapy,
                }
            )
        else:
            profiles.append(
                {
                    "tumor_site": "small_intestine",
                    "therapies": [therapy],
                    "pancreatic_surgery": "none",
                }
            )
    return profiles


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "profile",
    single_therapy_profiles(),
    ids=lambda p: (p["therapies"] or [p["pancreatic_surgery_type"]])[0],
)
def test_single_therapy_handout_main_reading_fits_four_pages(
    profile: dict[str, Any], language: str, render: Callable[..., Any]
) -> None:
    handout = render(profile, allow_pending=True, clinic=CLINIC, language=language)
    assert main_reading_pages(handout.data, language) <= MAIN_READING_PAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_most_complex_example_is_at_most_twelve_pages(
    language: str, render: Callable[..., Any], repo_root: Path
) -> None:
    path = repo_root / "profiles" / "small-bowel-carcinoid-lanreotide-prrt.yaml"
    profile = yaml.safe_load(path.read_text(encoding="utf-8"))
    handout = render(profile, allow_pending=True, clinic=CLINIC, language=language)
    assert handout.pages <= COMPLEX_PROFILE_PAGES
