"""The controlled vocabulary: every profile key and every value it may hold.

The data is ``content/vocabulary.yaml``: the profile's keys (their kinds, spellings, limits and
help, the one source of the README's profile table and of any form), each coded field's
values with plain labels and aliases, therapy statuses and groups, and optional standard codes
(SNOMED CT, ICD-O-3, RxNorm) for coded input. This module turns what a nurse typed
("Lutathera", "Sandostatin LAR", "watch and wait") into an id, or explains why it cannot.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from careplan.errors import ContentError, Problem
from careplan.resources import CONTENT_DIR
from careplan.translations import Translation, WordDict, i18n_path, read_translation
from careplan.yamlio import read_yaml

THERAPIES = "therapies"
STATUSES = "statuses"
KINDS = ("text", "coded", "therapies", "flag")
CODE_SYSTEMS = ("snomed_ct", "icd_o_3", "rxnorm")
MAX_NORMALIZED = 200  # longer input is never an id or alias; don't search it for near misses


def normalize(raw: str) -> str:
    """Fold case and read every run of spaces, hyphens or punctuation as one underscore."""
    text = unicodedata.normalize("NFKC", raw[: MAX_NORMALIZED * 4]).casefold()
    text = text.replace("®", "").replace("™", "")
    return re.sub(r"[\W_]+", "_", text).strip("_")


@dataclass(frozen=True)
class Term:
    """One allowed value: its id, plain label per language, aliases, groups and codes."""

    id: str
    label: dict[str, str]
    aliases: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    help: str | None = None
    name: dict[str, str] = field(default_factory=dict)  # what a patient calls it: "lanreotide"


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
    """A coded field and its allowed values."""

    name: str
    terms: dict[str, Term]
    default: str | None = None
    is_list: bool = False
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lookup: dict[str, str] = field(init=False, repr=False, compare=False)
    by_code: dict[tuple[str, str], str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Map every normalised id and alias, and every code, to its id (ids first)."""
        table: dict[str, str] = {normalize(t): t for t in self.terms}
        for term in self.terms.values():
            for alias in term.aliases:
                table.setdefault(normalize(alias), term.id)
        codes = {
            (system, code): term.id
            for term in self.terms.values()
            for system, values in term.codes.items()
            for code in values
        }
        object.__setattr__(self, "lookup", table)
        object.__setattr__(self, "by_code", codes)

    @property
    def ids(self) -> list[str]:
        """Return the allowed ids in their documented order."""
        return list(self.terms)

    def resolve(self, raw: str) -> str:
        """Return the id ``raw`` stands for; raise UnknownValue or AmbiguousValue."""
        key = normalize(raw)
        if key in self.ambiguous:
            raise AmbiguousValue(raw, list(self.ambiguous[key]))
        if key in self.lookup:
            return self.lookup[key]
        close = (
            difflib.get_close_matches(key, list(self.lookup), n=5, cutoff=0.75)
            if len(key) <= MAX_NORMALIZED
            else []
        )
        suggestions = list(dict.fromkeys(self.lookup[c] for c in close))[:3]
        raise UnknownValue(raw, suggestions)

    def resolve_code(self, system: str, code: str) -> str | None:
        """Return the id a standard code (``snomed_ct``, ``icd_o_3``, ``rxnorm``) stands for."""
        return self.by_code.get((system, code.strip()))

    def label(self, term_id: str, language: str) -> str:
        """Return the plain label of ``term_id`` in ``language``."""
        return self.terms[term_id].label[language]


@dataclass(frozen=True)
class ProfileKey:
    """One key of the profile: what kind of value it takes, its spellings, limits and help."""

    name: str
    kind: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool | str = False  # True, False, or a condition in words
    max_length: int | None = None
    multiline: bool = False
    help: str | None = None


@dataclass(frozen=True)
class ProfileWord:
    """A profile placeholder such as ``{analog_name}``: the names of this patient's therapies
    in one group, or ``default`` (per language) when the profile names none of them."""

    name: str
    group: str
    default: dict[str, str]


@dataclass(frozen=True, eq=False)  # hashable by identity: lookups built from it are cached
class Vocabulary:
    """The profile's keys, every coded field (including ``therapies``), statuses and groups."""

    keys: dict[str, ProfileKey]
    fields: dict[str, Field]
    statuses: Field
    groups: dict[str, dict[str, str]]
    profile_words: dict[str, ProfileWord] = field(default_factory=dict)
    translations: dict[str, Translation] = field(default_factory=dict)  # by language

    @property
    def therapies(self) -> Field:
        """Return the therapies field."""
        return self.fields[THERAPIES]

    @property
    def required(self) -> tuple[str, ...]:
        """Return the keys every profile must have."""
        return tuple(k.name for k in self.keys.values() if k.required is True)

    def therapy_groups(self, therapy_id: str) -> tuple[str, ...]:
        """Return the groups a therapy id belongs to."""
        return self.therapies.terms[therapy_id].groups

    def as_dict(self, language: str = "en") -> dict[str, Any]:
        """Return every key with its kind, spellings and allowed values (``careplan vocab``)."""
        out: dict[str, Any] = {}
        for key in self.keys.values():
            spec: dict[str, Any] = {
                "kind": key.kind,
                "label": key.label,
                "required": key.required,
                "aliases": list(key.aliases),
            }
            if key.max_length:
                spec["max_length"] = key.max_length
            if key.help:
                spec["help"] = key.help
            if key.name in self.fields:
                spec.update(_field_dict(self.fields[key.name], language))
            out[key.name] = spec
        out[STATUSES] = _field_dict(self.statuses, language)
        return out

    def profile_table(self) -> str:
        """Return the README's Markdown table of profile keys (kept in step by a test)."""
        lines = ["| key | required | values |", "|---|---|---|"]
        for key in self.keys.values():
            f = self.fields.get(key.name)
            if key.required is True:
                required = "yes"
            elif isinstance(key.required, str):
                required = key.required
            elif f is not None and f.default is not None:
                required = f"no (`{f.default}`)"
            else:
                required = "no"
            if key.kind == "coded" and f is not None:
                values = ", ".join(f"`{i}`" for i in f.ids)
                values += "; a list is allowed" if f.is_list else ""
            else:
                values = key.help or ""
            lines.append(f"| `{key.name}` | {required} | {values} |")
        statuses = "; ".join(f"`{t.id}`: {t.help}" for t in self.statuses.terms.values() if t.help)
        return "\n".join(lines) + f"\n\nTreatment status: {statuses}.\n"


def _field_dict(f: Field, language: str) -> dict[str, Any]:
    return {
        "default": f.default,
        "list": f.is_list,
        "values": {
            t.id: {
                "label": t.label[language],
                "aliases": list(t.aliases),
                **({"groups": list(t.groups)} if t.groups else {}),
                **({"help": t.help} if t.help else {}),
                **({"codes": {s: list(c) for s, c in t.codes.items()}} if t.codes else {}),
            }
            for t in f.terms.values()
        },
        "ambiguous": {k: list(v) for k, v in f.ambiguous.items()},
    }


class _Reader:
    """Reads vocabulary.yaml, collecting every problem."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.path.name, where, message))

    def terms(self, name: str, values: Any) -> dict[str, Term]:
        if not isinstance(values, Mapping) or not values:
            self.error(name, "needs a mapping of values")
            return {}
        terms = {}
        for term_id, spec in values.items():
            where = f"{name}.{term_id}"
            spec = spec if isinstance(spec, Mapping) else {}
            if not isinstance(spec.get("label"), str):
                self.error(where, "needs a label")
                continue
            aliases = tuple(spec.get("aliases") or ())
            odd = [a for a in aliases if not isinstance(a, str)]
            if odd:  # YAML reads an unquoted no/on/yes as a boolean
                self.error(where, f"aliases {odd!r} must be quoted")
            terms[str(term_id)] = Term(
                id=str(term_id),
                label={"en": spec["label"]},
                aliases=tuple(str(a) for a in aliases),
                groups=tuple(spec.get("groups") or ()),
                codes=self.codes(where, spec.get("codes") or {}),
                help=spec.get("help"),
                name={"en": str(spec["name"])} if spec.get("name") else {},
            )
        return terms

    def codes(self, where: str, raw: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(raw, Mapping):
            self.error(f"{where}.codes", f"needs a mapping of {', '.join(CODE_SYSTEMS)} to lists")
            return {}
        out = {}
        for system, values in raw.items():
            if system not in CODE_SYSTEMS:
                self.error(f"{where}.codes", f"unknown code system {system!r}")
            elif not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                self.error(f"{where}.codes.{system}", "needs a list of quoted codes")
            else:
                out[system] = tuple(values)
        return out

    def unique_codes(self, f: Field) -> None:
        seen: dict[tuple[str, str], str] = {}
        for term in f.terms.values():
            for system, values in term.codes.items():
                for code in values:
                    other = seen.setdefault((system, code), term.id)
                    if other != term.id:
                        self.error(
                            f.name, f"{system} code {code} is given to {other} and {term.id}"
                        )

    def profile_words(
        self, raw: Any, therapies: Field, groups: Mapping[str, Any]
    ) -> dict[str, ProfileWord]:
        words = {}
        for name, spec in (raw or {}).items():
            where = f"profile_words.{name}"
            spec = spec if isinstance(spec, Mapping) else {}
            group, default = spec.get("group"), spec.get("default")
            if group not in groups or not isinstance(default, str):
                self.error(where, "needs a known `group` and a `default`")
                continue
            for term in therapies.terms.values():
                if group in term.groups and not term.name:
                    self.error(f"therapies.{term.id}", f"needs a `name` for {{{name}}}")
            words[str(name)] = ProfileWord(str(name), str(group), {"en": default})
        return words

    def translate(
        self,
        root: Path,
        language: str,
        fields: Mapping[str, Field],
        words: Mapping[str, ProfileWord],
    ) -> Translation | None:
        """Give every label, medicine name and default its words in ``language``."""
        path = i18n_path(root, language, self.path)
        raw = read_yaml(path) if path.exists() else None
        where = str(path.relative_to(root.parent))
        done = read_translation(
            raw,
            path=where,
            language=language,
            english=vocabulary_words(fields, words),
            problems=self.problems,
        )
        if done is None:
            return None
        for name, f in fields.items():
            for term in f.terms.values():
                term.label[language] = str(done.words[f"{name}.{term.id}"])
                if term.name:
                    term.name[language] = str(done.words[f"{name}.{term.id}.name"])
        for word in words.values():
            word.default[language] = str(done.words[f"profile_words.{word.name}"])
        return done

    def keys(self, raw: Any, fields: dict[str, Field]) -> dict[str, ProfileKey]:
        keys = {}
        for name, spec in (raw or {}).items():
            spec = spec if isinstance(spec, Mapping) else {}
            kind = spec.get("kind")
            if kind not in KINDS:
                self.error(f"profile.{name}", f"kind must be one of {', '.join(KINDS)}")
                continue
            if kind in ("coded", "therapies") and name not in fields:
                self.error(f"profile.{name}", "is coded but has no values under `fields`")
            keys[str(name)] = ProfileKey(
                name=str(name),
                kind=kind,
                label=str(spec.get("label") or name),
                aliases=tuple(str(a) for a in spec.get("aliases") or ()),
                required=spec.get("required", False),
                max_length=spec.get("max_length"),
                multiline=bool(spec.get("multiline", False)),
                help=" ".join(str(spec["help"]).split()) if spec.get("help") else None,
            )
        return keys


@cache
def load_vocabulary(root: Path = CONTENT_DIR, *, english_only: bool = False) -> Vocabulary:
    """Load and check ``vocabulary.yaml`` once per process; raise ContentError on problems.

    ``english_only`` skips the other languages' words (for the tool that starts them).
    """
    reader = _Reader(root / "vocabulary.yaml")
    data = read_yaml(reader.path)
    ambiguous = data.get("ambiguous") or {}
    fields: dict[str, Field] = {}
    specs = {**data["fields"], THERAPIES: data[THERAPIES]}
    for name, spec in specs.items():
        fields[name] = Field(
            name=name,
            terms=reader.terms(name, spec.get("values")),
            default=spec.get("default"),
            is_list=bool(spec.get("list", name == THERAPIES)),
            ambiguous={normalize(k): tuple(v) for k, v in (ambiguous.get(name) or {}).items()},
        )
        reader.unique_codes(fields[name])
    statuses = Field(name=STATUSES, terms=reader.terms(STATUSES, data[STATUSES]), default="planned")
    groups = {name: {"en": str(label)} for name, label in data["groups"].items()}
    keys = reader.keys(data.get("profile"), fields)
    words = reader.profile_words(data.get("profile_words"), fields[THERAPIES], groups)
    translations = {
        language: reader.translate(root, language, fields, words)
        for language in fields["language"].ids
        if language != "en" and not english_only
    }
    if reader.problems:
        raise ContentError(reader.problems)
    return Vocabulary(
        keys=keys,
        fields=fields,
        statuses=statuses,
        groups=groups,
        profile_words=words,
        translations={k: v for k, v in translations.items() if v is not None},
    )


def vocabulary_words(fields: Mapping[str, Field], words: Mapping[str, ProfileWord]) -> WordDict:
    """Return the vocabulary's patient-facing words by id: labels, medicine names, defaults."""
    table: WordDict = {}
    for name, f in fields.items():
        for term in f.terms.values():
            table[f"{name}.{term.id}"] = term.label["en"]
            if term.name:
                table[f"{name}.{term.id}.name"] = term.name["en"]
    table.update((f"profile_words.{w.name}", w.default["en"]) for w in words.values())
    return table
