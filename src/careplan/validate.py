"""``careplan validate``: check every profile of an input and render nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from careplan.errors import Problem, ProfileError
from careplan.fonts import font_problems
from careplan.formats import FORMATS
from careplan.inputs import read_records, to_profile
from careplan.library import load_library
from careplan.output import OutputNames
from careplan.plan import clinical_checks
from careplan.vocab import load_vocabulary


@dataclass
class ValidationReport:
    """Every problem and warning of one input, and how many profiles were valid."""

    name: str
    kind: str
    warnings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    valid: int = 0
    invalid: int = 0

    @property
    def exit_code(self) -> int:
        """1 when any profile, or the input as a whole, is invalid; else 0."""
        return 1 if self.problems else 0

    def summary(self) -> str:
        """Return the closing line: ``FILE: valid`` for one profile, counts for a table."""
        if self.kind == "yaml":
            return f"{self.name}: {'invalid' if self.problems else 'valid'}"
        return f"{self.valid} valid, {self.invalid} invalid"


def validate_input(path: str | Path) -> ValidationReport:
    """Read and validate every record of ``path``; list every problem, render nothing."""
    vocab = load_vocabulary()
    library = load_library()
    records = read_records(path, vocab=vocab)
    report = ValidationReport(records.name, records.kind, list(records.warnings))
    names = OutputNames(FORMATS["pdf"].suffix)
    for record in records.rows():
        name, earlier = names.assign(record)
        if earlier:
            report.warnings.append(
                Problem(
                    record.source,
                    "id",
                    f"is also the id of {earlier}; this handout will be saved as {name}",
                )
            )
        try:
            parsed = to_profile(record, vocab=vocab)
        except ProfileError as error:
            report.problems.extend(error.problems)
            report.invalid += 1
            continue
        report.valid += 1
        report.warnings.extend(parsed.warnings)
        report.warnings.extend(
            Problem(record.source, None, text)
            for text in clinical_checks(parsed.profile, library, vocab)
        )
        report.warnings.extend(font_problems(parsed.profile, record.source))
    report.problems[:0] = records.problems
    return report
