"""The exceptions careplan raises for problems a user can fix.

Library code raises these; the command line prints each problem on its own line and exits 1.
Messages quote coded fields only, never a patient's name or the nurse's notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: where it is, which field, and what to do."""

    source: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.field}" if self.field else self.source
        return f"{where}: {self.message}"


class CareplanError(Exception):
    """Base class: carries one or more problems, each printed on its own line."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(source="careplan", field=None, message=problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ProfileError(CareplanError):
    """Raised when a profile (YAML file or CSV row) has invalid or inconsistent values."""


class ClinicError(CareplanError):
    """Raised when the clinic file is unreadable, has an unknown key or a bad value."""


class ContentError(CareplanError):
    """Raised when the content library itself is broken (a developer or reviewer error)."""


class RenderError(CareplanError):
    """Raised when a handout cannot be turned into HTML or PDF."""
