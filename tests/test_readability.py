"""Reading level of the content: every module's English text, measured as a whole, must score
Flesch-Kincaid grade 8 or lower (textstat 0.7.8)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import textstat
import yaml

from careplan.library import Module, load_library
from careplan.review import as_prose, module_text, reading_grade

CONTENT = Path(__file__).resolve().parents[1] / "src" / "careplan" / "content"
MODULES = load_library().modules
MAX_GRADE = 8.0


def english_strings(node: Any) -> Iterator[str]:
    """Yield every string under a ``text.en`` block (rules under ``when`` are skipped)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "when":
                yield from english_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from english_strings(value)


def test_there_are_modules_to_measure() -> None:
    assert len(MODULES) > 50


def test_measure_flags_hard_text() -> None:
    hard = (
        "Pancreaticoduodenectomy necessitates comprehensive postoperative nutritional "
        "rehabilitation incorporating pancreatic enzyme supplementation."
    )
    assert textstat.flesch_kincaid_grade(hard) > MAX_GRADE


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.id)
def test_module_reads_at_grade_8_or_lower(module: Module) -> None:
    # The same measure `careplan modules` reports to the clinical reviewer.
    grade = reading_grade(module_text(module))
    assert grade is not None
    assert grade <= MAX_GRADE, f"{module.path} reads at grade {grade:.1f}"


def test_signs_and_glossary_read_plainly() -> None:
    for name in ("signs.yaml", "glossary.yaml", "logs.yaml"):
        data = yaml.safe_load((CONTENT / name).read_text())
        prose = as_prose(t for spec in data.values() for t in english_strings(spec["text"]["en"]))
        grade = textstat.flesch_kincaid_grade(prose)
        assert grade <= MAX_GRADE, f"{name} reads at grade {grade:.1f}"
