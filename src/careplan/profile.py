"""Validate a patient profile (a YAML file or one CSV row) into a ``Profile``.

Every problem is collected before anything stops, and each message names the source, the
field, the bad value, the allowed values and a "did you mean" where one is close. Messages
never quote ``patient_name`` or ``notes``. Clinically odd but possible combinations become
warnings for the nurse; they are never printed in the handout.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from careplan.errors import Problem, ProfileError
from careplan.vocab import (
    THERAPIES,
    AmbiguousValue,
    Field,
    UnknownValue,
    Vocabulary,
    load_vocabulary,
    normalize,
)
from careplan.yamlio import parse_yaml

# Keys that are not coded values, with the other spellings a spreadsheet might use.
FREE_KEYS: dict[str, tuple[str, ...]] = {
    "id": ("patient_id", "clinic_number", "mrn", "record_number", "identifier"),
    "patient_name": ("name", "patient", "full_name"),
    "large_print": ("large_print_handout", "big_print", "large_type"),
    "notes": ("note", "nurse_notes", "comments", "comment"),
}
PROFILE_KEYS = (
    "id",
    "patient_name",
    "tumor_site",
    "extent",
    "grade",
    "hormone_syndrome",
    THERAPIES,
    "pancreatic_surgery",
    "pancreatic_surgery_type",
    "diabetes",
    "large_print",
    "language",
    "notes",
)
REQUIRED_KEYS = ("tumor_site", THERAPIES, "pancreatic_surgery")
PRIVATE_KEYS = frozenset({"patient_name", "notes"})
PANCREATIC_STATUS_OF_SURGERY = {"planned": "planned", "done": "completed"}
MAX_LENGTH = {"id": 64, "patient_name": 100, "notes": 2000}
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on", "x"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off", ""})
SHOWN_VALUE_LENGTH = 40


@dataclass(frozen=True)
class Therapy:
    """One planned, current or completed therapy."""

    id: str
    status: str = "planned"


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
    warnings: list[str] = field(default_factory=list)


def _show(value: Any) -> str:
    """Quote a coded value for an error message: printable, short."""
    text = str(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    if len(text) > SHOWN_VALUE_LENGTH:
        text = text[: SHOWN_VALUE_LENGTH - 1] + "…"
    return repr(text)


def _allowed(f: Field) -> str:
    return ", ".join(f.ids)


@cache
def key_table(vocab: Vocabulary) -> dict[str, str]:
    """Map every accepted spelling of a profile key (normalised) to the key."""
    table: dict[str, str] = {normalize(k): k for k in PROFILE_KEYS}
    for key in PROFILE_KEYS:
        aliases = FREE_KEYS.get(key) or vocab.fields[key].aliases
        for alias in aliases:
            table.setdefault(normalize(alias), key)
    table[normalize("tumour_site")] = "tumor_site"
    return table


def match_key(raw_key: str, vocab: Vocabulary) -> tuple[str | None, str | None]:
    """Return (key, None) for a known key, (None, near miss) or (None, None) for neither."""
    table = key_table(vocab)
    norm = normalize(raw_key)
    if norm in table:
        return table[norm], None
    close = difflib.get_close_matches(norm, list(table), n=1, cutoff=0.75)
    return None, (table[close[0]] if close else None)


def _split_list(value: Any) -> list[Any]:
    """Read a list cell: a YAML list, or text separated by ';', ',' or line breaks."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, bool):  # YAML reads an unquoted no/yes as false/true
        return ["yes" if value else "no"]
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
        self.warnings: list[str] = []

    def error(self, field_name: str | None, message: str) -> None:
        self.problems.append(Problem(self.source, field_name, message))

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.source}: {message}")

    def coded(self, field_name: str, raw: Any, label: str | None = None) -> str | None:
        """Resolve one coded value, recording a problem when it is not allowed."""
        f = self.vocab.fields[field_name]
        name = label or field_name
        if isinstance(raw, bool):  # YAML reads an unquoted no/yes as false/true
            raw = "yes" if raw else "no"
        if isinstance(raw, (dict, list)):
            self.error(
                name,
                f"expected one value, got a {type(raw).__name__}. Allowed values: {_allowed(f)}",
            )
            return None
        try:
            return f.resolve(str(raw))
        except AmbiguousValue as exc:
            self.error(
                name,
                f"{_show(raw)} could mean {' or '.join(map(repr, exc.choices))}; "
                "write the one you mean",
            )
        except UnknownValue as exc:
            hint = (
                f" Did you mean {' or '.join(map(repr, exc.suggestions))}?"
                if exc.suggestions
                else ""
            )
            extra = " (run 'careplan vocab' for labels and aliases)" if f.name == THERAPIES else ""
            self.error(
                name,
                f"{_show(raw)} is not an allowed value.{hint} Allowed values: {_allowed(f)}{extra}",
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
        items = _split_list(data.get("hormone_syndrome"))
        if not items:
            return ("none",)
        resolved = [self.coded("hormone_syndrome", item) for item in items]
        values = tuple(dict.fromkeys(v for v in resolved if v))
        for solo in ("none", "unknown"):
            if solo in values and len(values) > 1:
                self.error("hormone_syndrome", f"{solo!r} cannot be combined with other values")
        return values or ("none",)

    def flag(self, data: Mapping[str, Any], key: str) -> bool:
        raw = data.get(key)
        if isinstance(raw, bool):
            return raw
        text = "" if raw is None else str(raw).strip().casefold()
        if text in TRUE_WORDS:
            return True
        if text not in FALSE_WORDS:
            self.error(
                key,
                f"{_show(raw)} is not true or false. Allowed values: "
                "true, false (also yes/no, 1/0)",
            )
        return False

    def text(self, data: Mapping[str, Any], key: str) -> str | None:
        raw = data.get(key)
        if _is_blank(raw):
            return None
        if isinstance(raw, (dict, list)):
            self.error(key, f"expected text, got a {type(raw).__name__}")
            return None
        text = str(raw).replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(text) > MAX_LENGTH[key]:
            self.error(key, f"is too long ({len(text)} characters; at most {MAX_LENGTH[key]})")
        elif key != "notes" and "\n" in text:
            self.error(key, "must be on one line")
        return text

    def therapy(self, raw: Any) -> Therapy | None:
        """Parse one therapy item: 'id', 'id:status' or a mapping {id, status}."""
        status_raw: Any = None
        if isinstance(raw, Mapping):
            unknown = set(raw) - {"id", "status"}
            if unknown or "id" not in raw:
                self.error(
                    THERAPIES,
                    f"a therapy written as a mapping needs 'id' and may have "
                    f"'status'; got keys {sorted(map(str, raw))}",
                )
                return None
            raw, status_raw = raw["id"], raw.get("status")
        text = str(raw).strip()
        if status_raw is None and ":" in text:
            text, status_raw = (part.strip() for part in text.rsplit(":", 1))
        therapy_id = self.coded(THERAPIES, text)
        status = "planned"
        if status_raw is not None and str(status_raw).strip():
            try:
                status = self.vocab.statuses.resolve(str(status_raw))
            except (UnknownValue, AmbiguousValue):
                self.error(
                    THERAPIES,
                    f"{_show(status_raw)} is not a therapy status (in "
                    f"{_show(str(raw))}). Allowed values: "
                    f"{_allowed(self.vocab.statuses)}",
                )
                return None
        return Therapy(therapy_id, status) if therapy_id else None


def _explicit_status(raw_items: list[Any], vocab: Vocabulary, therapy_id: str) -> bool:
    """Tell whether the nurse wrote a status on the item for ``therapy_id``."""
    for raw in raw_items:
        if isinstance(raw, Mapping):
            name, has_status = str(raw.get("id", "")), raw.get("status") is not None
        else:
            name, _, status = str(raw).rpartition(":")
            name, has_status = (name, True) if name else (str(raw), False)
            has_status = has_status and bool(status.strip())
        try:
            if vocab.therapies.resolve(name) == therapy_id:
                return has_status
        except ValueError:
            continue
    return False


def _pancreatic(
    v: _Validator, data: Mapping[str, Any], therapies: list[Therapy], raw_items: list[Any]
) -> tuple[str | None, str | None, list[Therapy]]:
    """Check the pancreatic-surgery fields against the therapies; add the derived operation."""
    surgery = v.single(data, "pancreatic_surgery")
    type_raw = data.get("pancreatic_surgery_type")
    surgery_type = None if _is_blank(type_raw) else v.coded("pancreatic_surgery_type", type_raw)
    listed = [t for t in therapies if "pancreatic_surgery" in v.vocab.therapy_groups(t.id)]
    if surgery is None:
        return None, surgery_type, therapies
    if surgery == "none":
        if surgery_type not in (None, "unknown"):
            v.error(
                "pancreatic_surgery_type",
                f"is {surgery_type!r} but pancreatic_surgery is "
                "'none'; set pancreatic_surgery to 'planned' or 'done', or clear the type",
            )
        for op in listed:
            v.error(
                THERAPIES,
                f"lists {op.id!r} but pancreatic_surgery is 'none'; set "
                "pancreatic_surgery to 'planned' or 'done' and pancreatic_surgery_type to "
                f"{op.id!r}",
            )
        return surgery, None, therapies
    if _is_blank(type_raw):
        allowed = _allowed(v.vocab.fields["pancreatic_surgery_type"])
        v.error(
            "pancreatic_surgery_type",
            f"is required when pancreatic_surgery is {surgery!r}. Allowed values: {allowed}",
        )
        return surgery, None, therapies
    if surgery_type is None:
        return surgery, None, therapies
    expected_status = PANCREATIC_STATUS_OF_SURGERY[surgery]
    if len(listed) > 1:
        v.error(
            THERAPIES,
            "lists more than one pancreatic operation "
            f"({', '.join(t.id for t in listed)}); list only the one in "
            "pancreatic_surgery_type",
        )
        return surgery, surgery_type, therapies
    result = list(therapies)
    for op in listed:
        if surgery_type != op.id:
            v.error(
                THERAPIES,
                f"lists {op.id!r} but pancreatic_surgery_type is {surgery_type!r}; they must agree",
            )
        elif op.status != expected_status:
            if _explicit_status(raw_items, v.vocab, op.id):
                v.error(
                    THERAPIES,
                    f"lists {op.id}:{op.status} but pancreatic_surgery is "
                    f"{surgery!r} (status {expected_status!r}); they must agree",
                )
            result[result.index(op)] = Therapy(op.id, expected_status)
    if not listed and surgery_type != "unknown":
        result.append(Therapy(surgery_type, expected_status))
    return surgery, surgery_type, result


def parse_profile(data: Any, source: str, *, vocab: Vocabulary | None = None) -> ParsedProfile:
    """Validate a mapping of profile keys; raise ProfileError listing every problem."""
    vocab = vocab or load_vocabulary()
    v = _Validator(source, vocab)
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ProfileError(
            [
                Problem(
                    source,
                    None,
                    f"a profile must be a mapping of keys to "
                    f"values (key: value), but this is {kind}",
                )
            ]
        )
    clean: dict[str, Any] = {}
    for raw_key, value in data.items():
        key, suggestion = match_key(str(raw_key), vocab)
        if key is None:
            if suggestion:
                v.error(
                    str(raw_key)[:SHOWN_VALUE_LENGTH],
                    f"unknown field. Did you mean {suggestion!r}?",
                )
            else:
                v.warn(f"unknown field {_show(raw_key)} ignored")
        elif key in clean:
            v.error(key, f"given twice (as {_show(raw_key)} too)")
        else:
            clean[key] = value

    for key in REQUIRED_KEYS:
        if key not in clean:
            f = vocab.fields[key]
            allowed = "" if key == THERAPIES else f" Allowed values: {_allowed(f)}"
            v.error(key, f"is required.{allowed}")

    tumor_site = v.single(clean, "tumor_site") if "tumor_site" in clean else None
    raw_items = _split_list(clean.get(THERAPIES))
    therapies: list[Therapy] = []
    for item in raw_items:
        therapy = v.therapy(item)
        if therapy is None:
            continue
        if any(t.id == therapy.id for t in therapies):
            v.error(THERAPIES, f"{therapy.id!r} is listed twice")
            continue
        therapies.append(therapy)
    surgery, surgery_type, therapies = (
        _pancreatic(v, clean, therapies, raw_items)
        if "pancreatic_surgery" in clean
        else (None, None, therapies)
    )
    if THERAPIES in clean and not raw_items and surgery not in ("planned", "done"):
        v.error(
            THERAPIES,
            "is empty; list the planned therapies, or 'active_surveillance' "
            "when no treatment is planned (it may be empty only when pancreatic_surgery "
            "is 'planned' or 'done')",
        )

    values = {
        "extent": v.single(clean, "extent"),
        "grade": v.single(clean, "grade"),
        "hormone_syndrome": v.syndromes(clean),
        "diabetes": v.single(clean, "diabetes"),
        "language": v.single(clean, "language"),
        "large_print": v.flag(clean, "large_print"),
        "id": v.text(clean, "id"),
        "patient_name": v.text(clean, "patient_name"),
        "notes": v.text(clean, "notes"),
    }
    if v.problems:
        raise ProfileError(v.problems)
    profile = Profile(
        tumor_site=tumor_site,  # type: ignore[arg-type]  # checked above
        therapies=tuple(therapies),
        pancreatic_surgery=surgery,  # type: ignore[arg-type]
        pancreatic_surgery_type=surgery_type,
        **values,  # type: ignore[arg-type]
    )
    v.warnings.extend(f"{source}: {w}" for w in clinical_warnings(profile, vocab))
    return ParsedProfile(profile, v.warnings)


def clinical_warnings(profile: Profile, vocab: Vocabulary | None = None) -> list[str]:
    """Return odd but possible combinations (clinical-facts §1.7) for the nurse to check."""
    vocab = vocab or load_vocabulary()
    ids = set(profile.therapy_ids)
    groups = {g for t in ids for g in vocab.therapy_groups(t)}
    syndromes = set(profile.hormone_syndrome)
    warnings = []
    if "everolimus" in ids and "carcinoid_syndrome" in syndromes:
        warnings.append(
            "everolimus with carcinoid_syndrome: the maker says everolimus is not "
            "for carcinoid tumors that are making hormones; check with the prescriber"
        )
    if "sunitinib" in ids and profile.tumor_site != "pancreas":
        warnings.append(
            f"sunitinib with tumor_site {profile.tumor_site!r}: its approved NET use "
            "is for pancreatic NETs; check with the prescriber"
        )
    if profile.grade == "nec" and groups & {"somatostatin_analog", "radioligand"}:
        warnings.append(
            "a somatostatin analog or PRRT with grade 'nec': these are not usually "
            "used for neuroendocrine carcinoma; check the grade and the plan"
        )
    if "prrt_lu177" in ids and profile.tumor_site == "lung":
        warnings.append(
            "prrt_lu177 with tumor_site 'lung': the US label covers "
            "gastroenteropancreatic NETs; check with the prescriber"
        )
    if "telotristat" in ids and "somatostatin_analog" not in groups:
        warnings.append(
            "telotristat without a somatostatin analog: it is approved as an add-on "
            "to one; check the therapy list"
        )
    if "active_surveillance" in ids and len(ids - {"active_surveillance", "pert", "ppi"}) > 0:
        active = [
            t.id
            for t in profile.therapies
            if t.id != "active_surveillance" and t.status != "completed"
        ]
        if active:
            warnings.append(
                "active_surveillance together with planned or current treatment "
                f"({', '.join(active)}); check the therapy list"
            )
    return warnings


def load_profile(path: str | Path, *, vocab: Vocabulary | None = None) -> ParsedProfile:
    """Read and validate a YAML profile file; ``-`` reads standard input."""
    if str(path) == "-":
        source, text = "<stdin>", sys.stdin.read()
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ProfileError([Problem(source, None, "file not found")]) from None
        except UnicodeDecodeError:
            raise ProfileError(
                [Problem(source, None, "is not UTF-8 text; save it as UTF-8")]
            ) from None
        except OSError as error:
            raise ProfileError(
                [Problem(source, None, f"cannot be read ({error.strerror})")]
            ) from None
    try:
        data = parse_yaml(text)
    except ValueError as error:
        raise ProfileError([Problem(source, None, str(error))]) from None
    return parse_profile(data, source, vocab=vocab)
