"""Reading level of the content: every module's English text, measured as a whole, must score
Flesch-Kincaid grade 8 or lower (textstat 0.7.8)."""

from __future__ import annotations

import pytest
import textstat

from careplan.library import Module, load_library
from careplan.review import as_prose, module_text, reading_grade

MODULES = load_library().modules
MAX_GRADE = 8.0


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


@pytest.mark.parametrize("name", ["signs.yaml", "glossary.yaml", "logs.yaml"])
def test_signs_glossary_and_logs_read_plainly(name: str) -> None:
    prose = as_prose(t for where, t in load_library().strings("en") if where.startswith(name))
    grade = textstat.flesch_kincaid_grade(prose)
    assert grade <= MAX_GRADE, f"{name} reads at grade {grade:.1f}"
