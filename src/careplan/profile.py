"""Validate a profile: a mapping of keys to values (from YAML, a CSV row or a form) -> Profile.

No I/O happens here. Every problem is collected before anything stops, and each message names
the source, the field, the allowed values and a "did you mean" where one is close. Messages
never quote what was typed: a rejected value is described by its position and its length, so
a name typed into the wrong column never reaches a terminal or report. Clinically odd but
possible combinations are content (``content/checks.yaml``), checked by the plan step.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from typing import Any

from careplan.errors import Problem, ProfileError
from careplan.model import ParsedProfile, Profile, Therapy
from careplan.vocab import (
    THERAPIES,
    AmbiguousValue,
    Field,
    UnknownValue,
    Vocabulary,
    load_vocabulary,
    normalize,
)

PANCREATIC_GROUP = "pancreatic_surgery"
# Status each pancreatic_surgery value gives its operation, and the statuses a listed one may have.
OPERATION_STATUS = {"planned": "planned", "done": "completed"}
LISTED_STATUSES = {"planned": ("planned",), "done": ("completed", "current")}
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on", "x"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off", ""})
MAX_THERAPIES = 30
MAX_COMBINING = 3  # combining marks kept on one letter; more are drawn over neighbouring lines
# Characters that reorder or hide text: bidirectional overrides and isolates.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def describe(value: Any) -> str:
    """Describe a rejected value without quoting it: its length, or its kind."""
    if isinstance(value, str):
        return f"{len(value)} character{'s' if len(value) != 1 else ''}"
    return f"a {type(value).__name__}"


def _allowed(f: Field) -> str:
    return ", ".join(f.ids)


def clean_text(text: str, *, multiline: bool) -> tuple[str, int]:
    """Remove invisible controls and runaway combining marks; return (text, how many removed)."""
    kept: list[str] = []
    removed = 0
    marks = 0
    for ch in BIDI_CONTROLS.sub("\x00", text):
        category = unicodedata.category(ch)
        if ch == "\n" and multiline:
            marks = 0
            kept.append(ch)
        elif ch == "\t":
            kept.append(" ")
        elif category in ("Cc", "Cs") or ch == "\x00":
            removed += 1
        elif category == "Mn":
            marks += 1
            if marks > MAX_COMBINING:
                removed += 1
            else:
                kept.append(ch)
        else:
            marks = 0
            kept.append(ch)
    return "".join(kept), removed


@cache
def key_table(vocab: Vocabulary) -> dict[str, str]:
    """Map every accepted spelling of a profile key (normalised) to the key."""
    table: dict[str, str] = {normalize(k): k for k in vocab.keys}
    for key in vocab.keys.values():
        for alias in key.aliases:
            table.setdefault(normalize(alias), key.name)
    return table


def match_key(raw_key: str, vocab: Vocabulary) -> tuple[str | None, str | None]:
    """Return (key, None) for a known key, (None, near miss) or (None, None) for neither."""
    table = key_table(vocab)
    norm = normalize(raw_key)
    if norm in table:
        return table[norm], None
    if len(norm) > 60:
        return None, None
    close = difflib.get_close_matches(norm, list(table), n=1, cutoff=0.75)
    return None, (table[close[0]] if close else None)


def split_list(value: Any) -> list[Any]:
    """Read a list cell: a YAML list, or text separated by ';', ',' or line breaks."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    text = str(value)
    for separator in (",", "\n", "\r"):
        text = text.replace(separator, ";")
    return [part.strip() for part in text.split(";") if part.strip()]


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


class _Validator:
    """Collects problems and warnings for one profile."""

    def __init__(self, source: str, vocab: Vocabulary) -> None:
        self.source = source
        self.vocab = vocab
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, field_name: str | None, message: str) -> None:
        self.problems.append(Problem(self.source, field_name, message))

    def warn(self, field_name: str | None, message: str) -> None:
        self.warnings.append(Problem(self.source, field_name, message))

    def coded(self, field_name: str, raw: Any, where: str = "") -> str | None:
        """Resolve one coded value, recording a problem when it is not allowed."""
        f = self.vocab.fields[field_name]
        if isinstance(raw, dict | list):
            self.error(
                field_name,
                f"{where}expected one value, got {describe(raw)}. Allowed values: {_allowed(f)}",
            )
            return None
        try:
            return f.resolve(str(raw))
        except AmbiguousValue as exc:
            choices = " or ".join(map(repr, exc.choices))
            self.error(field_name, f"{where}could mean {choices}; write the one you mean")
        except UnknownValue as exc:
            hint = (
                f" Did you mean {' or '.join(map(repr, exc.suggestions))}?"
                if exc.suggestions
                else ""
            )
            extra = " (run 'careplan vocab' for labels and aliases)" if f.name == THERAPIES else ""
            self.error(
                field_name,
                f"{where}not an allowed value ({describe(str(raw))}).{hint} "
                f"Allowed values: {_allowed(f)}{extra}",
            )
        return None

    def single(self, data: Mapping[str, Any], key: str) -> str | None:
        raw = data.get(key)
        f = self.vocab.fields[key]
        if _is_blank(raw):
            if f.default is None:
                self.error(key, f"is required. Allowed values: {_allowed(f)}")
            return f.default
        return self.coded(key, raw)

    def syndromes(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        items = split_list(data.get("hormone_syndrome"))
        if not items:
            return ("none",)
        where = len(items) > 1
        resolved = [
            self.coded("hormone_syndrome", item, f"item {n}: " if where else "")
            for n, item in enumerate(items[:MAX_THERAPIES], 1)
        ]
        values = tuple(dict.fromkeys(v for v in resolved if v))
        for solo in ("none", "unknown"):
            if solo in values and len(values) > 1:
                self.error("hormone_syndrome", f"{solo!r} cannot be combined with other values")
        return values or ("none",)

    def flag(self, data: Mapping[str, Any], key: str) -> bool:
        raw = data.get(key)
        if isinstance(raw, bool):  # from Python callers; files and forms give text
            return raw
        text = "" if raw is None else str(raw).strip().casefold()
        if isinstance(raw, str) and text in TRUE_WORDS:
            return True
        if raw is not None and (not isinstance(raw, str) or text not in FALSE_WORDS):
            self.error(
                key,
                f"not true or false ({describe(raw)}). Allowed values: "
                "true, false (also yes/no, 1/0)",
            )
        return False

    def text(self, data: Mapping[str, Any], key: str) -> str | None:
        spec = self.vocab.keys[key]
        raw = data.get(key)
        if _is_blank(raw):
            return None
        if not isinstance(raw, str):
            self.error(key, f"expected text, got {describe(raw)}")
            return None
        text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
        limit = spec.max_length or 0
        if limit and len(text) > limit:
            self.error(key, f"is too long ({len(text)} characters; at most {limit})")
            return None
        if not spec.multiline and "\n" in text:
            self.error(key, "must be on one line")
            return None
        text, removed = clean_text(text, multiline=spec.multiline)
        if removed:
            noun = "character was" if removed == 1 else "characters were"
            self.warn(key, f"{removed} invisible or stacked {noun} removed")
        return text.strip() or None

    def therapy(self, raw: Any, n: int) -> Therapy | None:
        """Parse one therapy item: 'id', 'id:status' or a mapping {id, status}."""
        where = f"item {n}: "
        status_raw: Any = None
        if isinstance(raw, Mapping):
            unknown = set(raw) - {"id", "status"}
            if unknown or "id" not in raw:
                self.error(THERAPIES, f"{where}is a mapping: it needs 'id' and may have 'status'")
                return None
            raw, status_raw = raw["id"], raw.get("status")
        if not isinstance(raw, str):
            self.error(THERAPIES, f"{where}expected a therapy id, got {describe(raw)}")
            return None
        text = raw.strip()
        if status_raw is None and ":" in text:
            text, status_raw = (part.strip() for part in text.rsplit(":", 1))
        therapy_id = self.coded(THERAPIES, text, where)
        explicit = status_raw is not None and bool(str(status_raw).strip())
        status = "planned"
        if explicit:
            try:
                status = self.vocab.statuses.resolve(str(status_raw))
            except (UnknownValue, AmbiguousValue):
                self.error(
                    THERAPIES,
                    f"{where}has a status that is not allowed ({describe(str(status_raw))}). "
                    f"Allowed values: {_allowed(self.vocab.statuses)}",
                )
                return None
        return Therapy(therapy_id, status, explicit) if therapy_id else None

    def therapies(self, data: Mapping[str, Any]) -> list[Therapy]:
        raw = data.get(THERAPIES)
        limit = self.vocab.keys[THERAPIES].max_length or 0
        if isinstance(raw, str) and limit and len(raw) > limit:
            self.error(THERAPIES, f"is too long ({len(raw)} characters; at most {limit})")
            return []
        items = split_list(raw)
        if len(items) > MAX_THERAPIES:
            self.error(THERAPIES, f"lists {len(items)} items; at most {MAX_THERAPIES}")
            return []
        therapies: list[Therapy] = []
        for n, item in enumerate(items, 1):
            therapy = self.therapy(item, n)
            if therapy is None:
                continue
            if any(t.id == therapy.id for t in therapies):
                self.error(THERAPIES, f"{therapy.id!r} is listed twice")
                continue
            therapies.append(therapy)
        return therapies

    def pancreatic(
        self, data: Mapping[str, Any], therapies: list[Therapy]
    ) -> tuple[str | None, str | None, list[Therapy]]:
        """Check the pancreatic-surgery fields against the therapies; add the operation."""
        surgery = self.single(data, "pancreatic_surgery")
        type_raw = data.get("pancreatic_surgery_type")
        kind = None if _is_blank(type_raw) else self.coded("pancreatic_surgery_type", type_raw)
        groups = self.vocab.therapy_groups
        listed = [t for t in therapies if PANCREATIC_GROUP in groups(t.id)]
        if surgery is None:
            return None, kind, therapies
        if surgery == "none":
            if kind not in (None, "unknown"):
                self.error(
                    "pancreatic_surgery_type",
                    f"is {kind!r} but pancreatic_surgery is 'none'; set pancreatic_surgery "
                    "to 'planned' or 'done', or clear the type",
                )
            for op in listed:
                self.error(
                    THERAPIES,
                    f"lists {op.id!r} but pancreatic_surgery is 'none'; set pancreatic_surgery "
                    f"to 'planned' or 'done' and pancreatic_surgery_type to {op.id!r}",
                )
            return surgery, None, therapies
        if _is_blank(type_raw):
            allowed = _allowed(self.vocab.fields["pancreatic_surgery_type"])
            self.error(
                "pancreatic_surgery_type",
                f"is required when pancreatic_surgery is {surgery!r}. Allowed values: {allowed}",
            )
            return surgery, None, therapies
        if kind is None:
            return surgery, None, therapies
        if len(listed) > 1:
            names = ", ".join(t.id for t in listed)
            self.error(
                THERAPIES,
                f"lists more than one pancreatic operation ({names}); list only the one in "
                "pancreatic_surgery_type",
            )
            return surgery, kind, therapies
        result = list(therapies)
        for op in listed:
            if kind != op.id:
                self.error(
                    THERAPIES,
                    f"lists {op.id!r} but pancreatic_surgery_type is {kind!r}; they must agree",
                )
            elif op.status not in LISTED_STATUSES[surgery]:
                if op.explicit:
                    allowed = " or ".join(f"{op.id}:{s}" for s in LISTED_STATUSES[surgery])
                    self.error(
                        THERAPIES,
                        f"lists {op.id}:{op.status} but pancreatic_surgery is {surgery!r}; "
                        f"write {allowed}",
                    )
                result[result.index(op)] = Therapy(op.id, OPERATION_STATUS[surgery])
        if not listed and kind != "unknown":
            result.append(Therapy(kind, OPERATION_STATUS[surgery]))
        return surgery, kind, result


def _keys(data: Mapping[Any, Any], v: _Validator) -> dict[str, Any]:
    """Map the given keys to profile keys, reporting unknown and repeated ones by position."""
    clean: dict[str, Any] = {}
    where: dict[str, int] = {}
    for n, (raw_key, value) in enumerate(data.items(), 1):
        key, suggestion = match_key(str(raw_key), v.vocab)
        if key is None:
            what = f"key {n} ({describe(str(raw_key))}) is not a profile field"
            if suggestion:
                v.error(None, f"{what}. Did you mean {suggestion!r}?")
            else:
                v.warn(None, f"{what}; ignored")
        elif key in clean:
            v.error(key, f"given twice (keys {where[key]} and {n})")
        else:
            clean[key], where[key] = value, n
    return clean


def parse_profile(data: Any, source: str, *, vocab: Vocabulary | None = None) -> ParsedProfile:
    """Validate a mapping of profile keys; raise ProfileError listing every problem."""
    vocab = vocab or load_vocabulary()
    v = _Validator(source, vocab)
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else describe(data)
        raise ProfileError(
            [
                Problem(
                    source,
                    None,
                    f"a profile must be a mapping of keys to values "
                    f"(key: value), but this is {kind}",
                )
            ]
        )
    clean = _keys(data, v)
    for key in vocab.required:
        if key not in clean:
            f = vocab.fields.get(key)
            allowed = f" Allowed values: {_allowed(f)}" if f and key != THERAPIES else ""
            v.error(key, f"is required.{allowed}")

    tumor_site = v.single(clean, "tumor_site") if "tumor_site" in clean else None
    therapies = v.therapies(clean)
    surgery, surgery_type, therapies = (
        v.pancreatic(clean, therapies) if "pancreatic_surgery" in clean else (None, None, therapies)
    )
    if (
        THERAPIES in clean
        and not split_list(clean[THERAPIES])
        and surgery not in ("planned", "done")
    ):
        v.error(
            THERAPIES,
            "is empty; list the planned therapies, or 'active_surveillance' when no treatment "
            "is planned (it may be empty only when pancreatic_surgery is 'planned' or 'done')",
        )
    extent = v.single(clean, "extent")
    grade = v.single(clean, "grade")
    syndromes = v.syndromes(clean)
    diabetes = v.single(clean, "diabetes")
    language = v.single(clean, "language")
    large_print = v.flag(clean, "large_print")
    texts = {key: v.text(clean, key) for key in ("id", "patient_name", "notes")}
    if (
        v.problems
        or tumor_site is None
        or surgery is None
        or extent is None
        or grade is None
        or diabetes is None
        or language is None
    ):
        raise ProfileError(v.problems)
    profile = Profile(
        tumor_site=tumor_site,
        therapies=tuple(therapies),
        pancreatic_surgery=surgery,
        pancreatic_surgery_type=surgery_type,
        extent=extent,
        grade=grade,
        hormone_syndrome=syndromes,
        diabetes=diabetes,
        large_print=large_print,
        language=language,
        **texts,
    )
    given = frozenset(k for k, value in clean.items() if value not in (None, ""))
    return ParsedProfile(profile, v.warnings, given)
