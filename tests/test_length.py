"""Length discipline: a single-therapy handout's main reading fits in 4 pages (normal print,
US Letter) before any diary or write-in page, and the most complex example stays readable."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from careplan.library import load_library
from careplan.vocab import load_vocabulary

MAIN_READING_PAGES = 4
COMPLEX_PROFILE_PAGES = 10
SURGERY_STATUS = {
    "whipple",
    "distal_pancreatectomy",
    "total_pancreatectomy",
    "central_pancreatectomy",
    "enucleation",
}


def main_reading_pages(pdf: bytes) -> int:
    """Count the pages before the first diary page or write-in page."""
    ui = load_library().ui["en"]
    markers = (f"{ui['how_to_use']}:", ui["dates_heading"])
    pages = PdfReader(io.BytesIO(pdf)).pages
    for number, page in enumerate(pages):
        text = page.extract_text() or ""
        if any(marker in text for marker in markers):
            return number
    return len(pages)


def single_therapy_profiles() -> list[dict[str, Any]]:
    """One profile per therapy id, as a nurse would write it for a patient starting it."""
    profiles = []
    for therapy in load_vocabulary().therapies.ids:
        if therapy in SURGERY_STATUS:
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


@pytest.mark.parametrize(
    "profile",
    single_therapy_profiles(),
    ids=lambda p: (p["therapies"] or [p["pancreatic_surgery_type"]])[0],
)
def test_single_therapy_handout_main_reading_fits_four_pages(
    profile: dict[str, Any], render: Callable[..., Any]
) -> None:
    assert main_reading_pages(render(profile).data) <= MAIN_READING_PAGES


def test_most_complex_example_stays_about_ten_pages(
    render: Callable[..., Any], repo_root: Path
) -> None:
    path = repo_root / "profiles" / "small-bowel-carcinoid-lanreotide-prrt.yaml"
    handout = render(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert handout.pages <= COMPLEX_PROFILE_PAGES
