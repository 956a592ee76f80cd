"""The exceptions careplan raises for problems a user can fix, and the problems they carry.

Library code raises these; the command line prints each problem on its own line. Messages
never quote what a nurse typed: they name the source, row, field, a value's length and the
allowed values, so no patient text reaches a terminal, a log or report.csv.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_PROBLEMS_SHOWN = 20  # shown per source; the rest become "… and N more"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with (or worth a warning about) one input: where, which field, what."""

    source: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.field}" if self.field else self.source
        return f"{where}: {self.message}"


def capped(problems: Iterable[Problem], limit: int = MAX_PROBLEMS_SHOWN) -> Iterator[Problem]:
    """Yield at most ``limit`` problems per source, then one "… and N more" line for it."""
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for problem in problems:
        count = shown.get(problem.source, 0)
        if count < limit:
            shown[problem.source] = count + 1
            yield problem
        else:
            hidden[problem.source] = hidden.get(problem.source, 0) + 1
    for source, count in hidden.items():
        yield Problem(source, None, f"… and {count} more")


class CareplanError(Exception):
    """Base class: carries one or more problems, each printed on its own line."""

    exit_code = 1

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(source="careplan", field=None, message=problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ProfileError(CareplanError):
    """Raised when a profile (YAML file or CSV row) has invalid or inconsistent values."""


class InputError(CareplanError):
    """Raised when an input file as a whole cannot be read (encoding, size, header)."""


class ClinicError(CareplanError):
    """Raised when the clinic file is unreadable, has an unknown key or a bad value."""


class ContentError(CareplanError):
    """Raised when the content library itself is broken (a developer or reviewer error)."""


class PendingContent(CareplanError):
    """Raised when a handout would print content still pending clinical review."""


class RenderError(CareplanError):
    """Raised when a handout cannot be turned into HTML or PDF."""


class OutputError(CareplanError):
    """Raised when an output cannot or must not be written (it would replace another file)."""


class OutputConflict(OutputError):
    """Raised when the command names the same file twice (an output that is an input)."""

    exit_code = 2
