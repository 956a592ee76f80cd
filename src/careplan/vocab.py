"""The controlled vocabulary: every value a profile may hold, its plain labels and aliases.

The data is ``content/vocabulary.yaml``; this module turns what a nurse typed ("Lutathera",
"Sandostatin LAR", "watch and wait") into an id, or explains why it cannot.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from careplan.errors import ContentError
from careplan.resources import CONTENT_DIR
from careplan.yamlio import read_yaml

THERAPIES = "therapies"
STATUSES = "statuses"


def normalize(raw: str) -> str:
    """Fold case and read every run of spaces, hyphens or punctuation as one underscore."""
    text = unicodedata.normalize("NFKC", raw).casefold().replace("®", "").replace("™", "")
    return re.sub(r"[\W_]+", "_", text).strip("_")


@dataclass(frozen=True)
class Term:
    """One allowed value: its id, plain label per language, aliases and therapy groups."""

    id: str
    label: dict[str, str]
    aliases: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


class UnknownValue(ValueError):
    """The value matches no id or alias; ``suggestions`` holds near misses."""

    def __init__(self, value: str, suggestions: list[str]) -> None:
        super().__init__(value)
        self.suggestions = suggestions


class AmbiguousValue(ValueError):
    """The value is an alias of several ids; careplan will not guess between ``choices``."""

    def __init__(self, value: str, choices: list[str]) -> None:
        super().__init__(value)
        self.choices = choices


@dataclass(frozen=True)
class Field:
    """A coded profile field and its allowed values."""

    name: str
    terms: dict[str, Term]
    aliases: tuple[str, ...] = ()
    default: str | None = None
    is_list: bool = False
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lookup: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Map every normalised id and alias to its id, ids first."""
        table: dict[str, str] = {normalize(t): t for t in self.terms}
        for term in self.terms.values():
            for alias in term.aliases:
                table.setdefault(normalize(alias), term.id)
        object.__setattr__(self, "lookup", table)

    @property
    def ids(self) -> list[str]:
        """Return the allowed ids in their documented order."""
        return list(self.terms)

    def resolve(self, raw: str) -> str:
        """Return the id ``raw`` stands for; raise UnknownValue or AmbiguousValue."""
        key = normalize(raw)
        if key in self.ambiguous:
            raise AmbiguousValue(raw, list(self.ambiguous[key]))
        table = self.lookup
        if key in table:
            return table[key]
        close = difflib.get_close_matches(key, list(table), n=5, cutoff=0.75)
        suggestions = list(dict.fromkeys(table[c] for c in close))[:3]
        raise UnknownValue(raw, suggestions)

    def label(self, term_id: str, language: str) -> str:
        """Return the plain label of ``term_id`` in ``language``."""
        return self.terms[term_id].label[language]


@dataclass(frozen=True, eq=False)  # hashable by identity: lookups built from it are cached
class Vocabulary:
    """All coded fields (including ``therapies``), therapy statuses and therapy groups."""

    fields: dict[str, Field]
    statuses: Field
    groups: dict[str, dict[str, str]]

    @property
    def therapies(self) -> Field:
        """Return the therapies field."""
        return self.fields[THERAPIES]

    def therapy_groups(self, therapy_id: str) -> tuple[str, ...]:
        """Return the groups a therapy id belongs to."""
        return self.therapies.terms[therapy_id].groups

    def as_dict(self, language: str = "en") -> dict[str, Any]:
        """Return every field's allowed values with labels and aliases (for ``careplan vocab``)."""
        out: dict[str, Any] = {}
        for name, f in [*self.fields.items(), (STATUSES, self.statuses)]:
            out[name] = {
                "aliases": list(f.aliases),
                "default": f.default,
                "list": f.is_list,
                "values": {
                    t.id: {
                        "label": t.label[language],
                        "aliases": list(t.aliases),
                        **({"groups": list(t.groups)} if t.groups else {}),
                    }
                    for t in f.terms.values()
                },
                "ambiguous": {k: list(v) for k, v in f.ambiguous.items()},
            }
        return out


def _terms(values: dict[str, Any]) -> dict[str, Term]:
    terms = {}
    for term_id, spec in values.items():
        aliases = tuple(spec.get("aliases") or ())
        odd = [a for a in aliases if not isinstance(a, str)]
        if odd:  # YAML reads an unquoted no/on/yes as a boolean
            raise ContentError(f"vocabulary.yaml: {term_id}: aliases {odd!r} must be quoted")
        terms[term_id] = Term(
            id=term_id,
            label={"en": str(spec["label"])},
            aliases=aliases,
            groups=tuple(spec.get("groups") or ()),
        )
    return terms


@cache
def load_vocabulary() -> Vocabulary:
    """Load ``vocabulary.yaml`` once per process."""
    data = read_yaml(CONTENT_DIR / "vocabulary.yaml")
    ambiguous = data.get("ambiguous") or {}
    fields: dict[str, Field] = {}
    specs = {**data["fields"], THERAPIES: data[THERAPIES]}
    for name, spec in specs.items():
        fields[name] = Field(
            name=name,
            terms=_terms(spec["values"]),
            aliases=tuple(spec.get("aliases") or ()),
            default=spec.get("default"),
            is_list=bool(spec.get("list", name == THERAPIES)),
            ambiguous={normalize(k): tuple(v) for k, v in (ambiguous.get(name) or {}).items()},
        )
    statuses = Field(name=STATUSES, terms=_terms(data[STATUSES]), default="planned")
    groups = {name: {"en": str(label)} for name, label in data["groups"].items()}
    return Vocabulary(fields=fields, statuses=statuses, groups=groups)
