"""Reading level of the content: every module's English text, measured as a whole, must score
Flesch-Kincaid grade 8 or lower (textstat 0.7.8)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import textstat
import yaml

CONTENT = Path(__file__).resolve().parents[1] / "src" / "careplan" / "content"
MODULE_FILES = sorted((CONTENT / "modules").rglob("*.yaml"))
MAX_GRADE = 8.0


def english_strings(node: Any) -> Iterator[str]:
    """Yield every string under a module's ``text.en`` (rules under ``when`` are skipped)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "when":
                yield from english_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from english_strings(value)


def as_prose(texts: Iterator[str]) -> str:
    """Join strings into prose, ending each with a full stop (headings and bullets have none)."""
    parts = [t.strip() for t in texts if t.strip()]
    return " ".join(p if p[-1] in ".!?" else f"{p}." for p in parts)


def module_prose(path: Path) -> str:
    """Return all of a module's English patient text as one piece of prose."""
    return as_prose(english_strings(yaml.safe_load(path.read_text())["text"]["en"]))


def test_there_are_modules_to_measure() -> None:
    assert len(MODULE_FILES) > 50


def test_measure_flags_hard_text() -> None:
    hard = ("Pancreaticoduodenectomy necessitates comprehensive postoperative nutritional "
            "rehabilitation incorporating pancreatic enzyme supplementation.")
    assert textstat.flesch_kincaid_grade(hard) > MAX_GRADE


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.stem)
def test_module_reads_at_grade_8_or_lower(path: Path) -> None:
    grade = textstat.flesch_kincaid_grade(module_prose(path))
    assert grade <= MAX_GRADE, f"{path.name} reads at grade {grade:.1f}"


def test_signs_and_glossary_read_plainly() -> None:
    for name in ("signs.yaml", "glossary.yaml", "logs.yaml"):
        data = yaml.safe_load((CONTENT / name).read_text())
        prose = as_prose(t for spec in data.values() for t in english_strings(spec["text"]["en"]))
        grade = textstat.flesch_kincaid_grade(prose)
        assert grade <= MAX_GRADE, f"{name} reads at grade {grade:.1f}"
