"""End to end: every example profile renders, says what it must and nothing it must not.

Checks read the rendered PDF's text, the way a patient reads the handout.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from careplan.library import load_library
from careplan.plan import Plan

PROFILES = sorted((Path(__file__).resolve().parent.parent / "profiles").glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    """Read an example profile as a mapping."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_there_are_at_least_eight_example_profiles() -> None:
    assert len(PROFILES) >= 8


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_example_profile_renders_a_multipage_pdf(path: Path, render: Callable[..., Any]) -> None:
    handout = render(load(path))
    assert handout.data.startswith(b"%PDF-")
    assert handout.data.rstrip().endswith(b"%%EOF")
    assert handout.pages >= 2


def unselected_titles(plan: Plan) -> list[str]:
    """Titles of modules this plan left out that could not appear inside a chosen title."""
    chosen = {m.id for s in plan.sections for m in s.modules}
    chosen_titles = [m.title for s in plan.sections for m in s.modules]
    return [
        m.text[plan.language].title
        for m in load_library().modules
        if m.id not in chosen
        and not any(m.text[plan.language].title in title for title in chosen_titles)
    ]


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_nothing_from_a_module_that_does_not_apply_is_printed(
    path: Path, render: Callable[..., Any], pdf_text: Callable[[bytes], str]
) -> None:
    handout = render(load(path))
    text = pdf_text(handout.data)
    leaked = [title for title in unselected_titles(handout.plan) if title in text]
    assert leaked == []


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_every_selected_module_title_is_printed(
    path: Path, render: Callable[..., Any], pdf_text: Callable[[bytes], str]
) -> None:
    handout = render(load(path))
    text = pdf_text(handout.data)
    missing = [m.title for s in handout.plan.sections for m in s.modules if m.title not in text]
    assert missing == []


def concepts(text: str, *patterns: str) -> list[str]:
    """Return the patterns (regular expressions, case-insensitive) missing from text."""
    return [p for p in patterns if not re.search(p, text, re.IGNORECASE)]


WHIPPLE_DONE = {
    "tumor_site": "pancreas",
    "therapies": ["lanreotide:current"],
    "pancreatic_surgery": "done",
    "pancreatic_surgery_type": "whipple",
}
CARCINOID = {
    "tumor_site": "small_intestine",
    "hormone_syndrome": "carcinoid_syndrome",
    "therapies": ["active_surveillance"],
    "pancreatic_surgery": "none",
}


@pytest.mark.parametrize("surgery_type", ["whipple", "total_pancreatectomy"])
def test_after_whipple_or_total_pancreatectomy_enzymes_with_every_meal_and_snack(
    surgery_type: str, render_text: Callable[..., str]
) -> None:
    text = render_text({**WHIPPLE_DONE, "pancreatic_surgery_type": surgery_type})
    assert (
        concepts(
            text,
            r"enzyme capsules?",
            r"every meal",
            r"snack",
            r"vitamin B12",
            r"vitamin D",
            r"calcium",
        )
        == []
    )


def test_carcinoid_syndrome_diet_niacin_and_crisis(render_text: Callable[..., str]) -> None:
    text = render_text(CARCINOID)
    assert (
        concepts(
            text,
            r"trigger",
            r"diary",
            r"niacin",
            r"carcinoid crisis",
            r"before any (procedure|operation|test)|before (a|any) procedure",
        )
        == []
    )


def test_lung_surgery_handout_has_no_pancreas_or_radiation_advice(
    render_text: Callable[..., str],
) -> None:
    text = render_text(
        {
            "tumor_site": "lung",
            "therapies": ["lung_resection:completed"],
            "pancreatic_surgery": "none",
        }
    )
    for absent in (
        r"enzyme capsule",
        r"\bPRRT\b",
        r"grapefruit",
        r"lanreotide",
        r"octreotide",
        r"carcinoid crisis",
        r"Whipple",
    ):
        assert not re.search(absent, text, re.IGNORECASE), absent


def test_surgery_fields_alone_bring_the_operation_content(render: Callable[..., Any]) -> None:
    plan = render(WHIPPLE_DONE).plan
    assert {"pancreatic_surgery_done", "after_whipple_eating"} <= set(plan.module_ids)


def test_each_treatment_says_whether_it_is_planned_current_or_finished(
    render: Callable[..., Any],
) -> None:
    plan = render(
        {
            "tumor_site": "small_intestine",
            "pancreatic_surgery": "none",
            "therapies": [
                "lanreotide:current",
                "prrt_lu177:planned",
                "small_bowel_resection:completed",
            ],
        }
    ).plan
    treatments = {m.id: m.status for s in plan.sections if s.id == "treatment" for m in s.modules}
    assert treatments["somatostatin_analog"] == "Having now"
    assert treatments["prrt"] == "Planned"
    assert set(treatments.values()) >= {"Having now", "Planned", "Finished"}


def test_wound_signs_only_while_an_operation_is_ahead(render: Callable[..., Any]) -> None:
    base = {"tumor_site": "lung", "pancreatic_surgery": "none"}
    planned = render({**base, "therapies": ["lung_resection:planned"]}).plan
    done = render({**base, "therapies": ["lung_resection:completed"]}).plan
    assert "wound_problem" in {s.id for s in planned.signs}
    assert "wound_problem" not in {s.id for s in done.signs}
    assert "bowel_blockage" not in {s.id for s in done.signs}
    bowel = render(
        {**base, "tumor_site": "small_intestine", "therapies": ["small_bowel_resection:completed"]}
    ).plan
    assert "bowel_blockage" in {s.id for s in bowel.signs}
