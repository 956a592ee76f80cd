"""The domain types every step shares: a validated profile and its therapies.

They live apart from the validator (``profile.py``) so that the rule language and the plan can
use them without importing input handling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from careplan.errors import Problem


@dataclass(frozen=True)
class Therapy:
    """One planned, current or completed therapy; ``explicit`` when the nurse wrote a status."""

    id: str
    status: str = "planned"
    explicit: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Profile:
    """A validated patient profile. ``therapies`` already includes the pancreatic operation."""

    tumor_site: str
    therapies: tuple[Therapy, ...]
    pancreatic_surgery: str
    pancreatic_surgery_type: str | None = None
    extent: str = "unknown"
    grade: str = "unknown"
    hormone_syndrome: tuple[str, ...] = ("none",)
    diabetes: str = "unknown"
    large_print: bool = False
    language: str = "en"
    id: str | None = None
    patient_name: str | None = None
    notes: str | None = None

    @property
    def therapy_ids(self) -> tuple[str, ...]:
        """Return the ids of all therapies, in the order given."""
        return tuple(t.id for t in self.therapies)

    def status_of(self, therapy_id: str) -> str | None:
        """Return the status of ``therapy_id``, or None when the patient does not have it."""
        return next((t.status for t in self.therapies if t.id == therapy_id), None)


@dataclass
class ParsedProfile:
    """A valid profile and the warnings the nurse should see (never printed in the handout)."""

    profile: Profile
    warnings: list[Problem] = field(default_factory=list)
    given: frozenset[str] = frozenset()  # the keys the profile set (the rest are defaults)
