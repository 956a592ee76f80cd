"""``careplan validate``: check every profile of an input and render nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from careplan.errors import Problem, ProfileError
from careplan.fonts import font_problems
from careplan.formats import FORMATS
from careplan.inputs import Record, Records, read_records, to_profile
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


@dataclass
class RecordCheck:
    """One record checked: the file name ``batch`` gives it, its problems and warnings."""

    record: Record
    name: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def check_records(records: Records) -> Iterator[RecordCheck]:
    """Validate each record in turn (as ``validate`` and the web page's batch report do)."""
    vocab = load_vocabulary()
    library = load_library()
    names = OutputNames(FORMATS["pdf"].suffix)
    for record in records.rows():
        name, earlier = names.assign(record)
        check = RecordCheck(record, name)
        if earlier:
            check.warnings.append(
                Problem(
                    record.source,
                    "id",
                    f"is also the id of {earlier}; this handout will be saved as {name}",
                )
            )
        try:
            parsed = to_profile(record, vocab=vocab)
        except ProfileError as error:
            check.problems.extend(error.problems)
            yield check
            continue
        check.warnings.extend(parsed.warnings)
        check.warnings.extend(
            Problem(record.source, None, text)
            for text in clinical_checks(parsed.profile, library, vocab)
        )
        check.warnings.extend(font_problems(parsed.profile, record.source))
        yield check


def validate_input(path: str | Path) -> ValidationReport:
    """Read and validate every record of ``path``; list every problem, render nothing."""
    records = read_records(path, vocab=load_vocabulary())
    report = ValidationReport(records.name, records.kind, list(records.warnings))
    for check in check_records(records):
        report.warnings.extend(check.warnings)
        report.problems.extend(check.problems)
        report.valid += not check.problems
        report.invalid += bool(check.problems)
    report.problems[:0] = records.problems
    return report
