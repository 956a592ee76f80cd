"""Words in other languages: bilingual files beside the English content, checked and governed.

Every rule is written once, in the English content file. Another language supplies only the
words, keyed by the ids of the English file, in ``content/i18n/<language>/<same path>.yaml``::

    translation:
      source_sha256: 9f2c...      # the English words this file was made from (words_digest)
      method: machine_draft       # or professional_forward, expert_review, back_translation
      translator_role: machine translation, first draft
      reviewer_role: ""           # who reviewed it, by role (never a name)
      date: 2026-11-29
      status: pending_review      # or draft, approved
    strings:
      title: {en: "Eating well during your care", es: "Comer bien durante su tratamiento"}
      kp-mix: {en: "...", es: "..."}

Each entry keeps the English it was translated from beside the translation, so a reviewer reads
both, and an English edit shows exactly which ids went stale. A file is printable only when it
is approved and not stale; anything else prints only with ``--allow-pending``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from careplan.errors import Problem

METHODS = ("machine_draft", "professional_forward", "expert_review", "back_translation")
STATUSES = ("draft", "pending_review", "approved")
META_KEYS = frozenset(
    {"source_sha256", "method", "translator_role", "reviewer_role", "date", "status"}
)
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
SHA256 = re.compile(r"[0-9a-f]{64}")

Words = Mapping[str, str | tuple[str, ...]]  # a file's words by id
WordDict = dict[str, str | tuple[str, ...]]


def words_digest(words: Words) -> str:
    """Return the SHA-256 of a file's English words (ids and texts), independent of rules,
    comments, spacing and key order: a rule edit leaves translations current, a word edit
    does not."""
    canonical = {
        k: _normal(v) if isinstance(v, str) else [_normal(t) for t in v] for k, v in words.items()
    }
    encoded = json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class Translation:
    """One file's words in one language, and where its translation stands."""

    path: str  # relative, for messages: content/i18n/es/modules/...
    language: str
    method: str
    translator_role: str
    reviewer_role: str
    date: dt.date
    status: str
    source_sha256: str
    current_sha256: str  # of the English words today
    words: dict[str, str | tuple[str, ...]]
    stale_ids: tuple[str, ...]  # English changed (or appeared) since the translation

    @property
    def stale(self) -> bool:
        """Tell whether the English changed after this translation was made."""
        return self.source_sha256 != self.current_sha256 or bool(self.stale_ids)

    @property
    def printable(self) -> bool:
        """Tell whether it may print without ``--allow-pending``: approved and current."""
        return self.status == "approved" and not self.stale

    def why_pending(self) -> str:
        """Say, for the nurse, why this file needs ``--allow-pending``."""
        if self.stale:
            ids = ", ".join(self.stale_ids[:8]) or "its English"
            return f"{self.path} is out of date with the English (changed: {ids})"
        return f"{self.path} is {self.status.replace('_', ' ')} ({self.method.replace('_', ' ')})"


def _normal(text: str) -> str:
    return " ".join(text.split())


def _value(raw: Any) -> str | tuple[str, ...] | None:
    """Return a translated value: a string, or a list of strings (glossary matches, columns)."""
    if isinstance(raw, str) and raw.strip():
        return _normal(raw)
    if isinstance(raw, list) and raw and all(isinstance(v, str) and v.strip() for v in raw):
        return tuple(_normal(v) for v in raw)
    return None


def _placeholders(value: str | Sequence[str]) -> set[str]:
    texts = [value] if isinstance(value, str) else list(value)
    return {name for text in texts for name in PLACEHOLDER.findall(text)}


def read_translation(
    raw: Any, *, path: str, language: str, english: Words, problems: list[Problem]
) -> Translation | None:
    """Check a bilingual file against today's English words; add one problem per defect.

    ``raw`` is the parsed file (None when it is missing). Every English id needs a
    translation with the same ``{placeholders}``; no other id may appear.
    """
    if raw is None:
        problems += [Problem(path, key, f"missing {language} text") for key in english]
        return None
    if not isinstance(raw, dict) or set(raw) != {"translation", "strings"}:
        problems.append(Problem(path, None, "needs exactly two keys: translation and strings"))
        return None
    meta, strings = raw["translation"], raw["strings"]
    if not isinstance(meta, dict) or set(meta) != META_KEYS:
        keys = ", ".join(sorted(META_KEYS))
        problems.append(Problem(path, "translation", f"needs exactly these keys: {keys}"))
        return None
    before = len(problems)
    if meta["method"] not in METHODS:
        problems.append(Problem(path, "translation.method", f"must be one of {', '.join(METHODS)}"))
    if meta["status"] not in STATUSES:
        allowed = ", ".join(STATUSES)
        problems.append(Problem(path, "translation.status", f"must be one of {allowed}"))
    if not SHA256.fullmatch(str(meta["source_sha256"])):
        problems.append(Problem(path, "translation.source_sha256", "needs a SHA-256 (64 hex)"))
    date = meta["date"]
    if not isinstance(date, dt.date):
        problems.append(Problem(path, "translation.date", "needs a date written YYYY-MM-DD"))
    if not isinstance(strings, dict):
        problems.append(Problem(path, "strings", "needs a mapping of ids to {en, <language>}"))
        return None
    words: dict[str, str | tuple[str, ...]] = {}
    stale: list[str] = []
    for key, source in english.items():
        entry = strings.get(key)
        if not isinstance(entry, dict) or _value(entry.get(language)) is None:
            problems.append(Problem(path, key, f"missing {language} text"))
            continue
        value = _value(entry[language])
        assert value is not None
        recorded = _value(entry.get("en"))
        current = _normal(source) if isinstance(source, str) else tuple(map(_normal, source))
        if recorded != current:
            stale.append(key)
        if _placeholders(value) != _placeholders(source):
            names = ", ".join(f"{{{n}}}" for n in sorted(_placeholders(source))) or "none"
            problems.append(Problem(path, key, f"must use the English placeholders ({names})"))
        words[key] = value
    for key in sorted(set(strings) - set(english)):
        problems.append(Problem(path, str(key), "is not an id of the English file"))
    if len(problems) > before:
        return None
    return Translation(
        path=path,
        language=language,
        method=meta["method"],
        translator_role=str(meta["translator_role"] or ""),
        reviewer_role=str(meta["reviewer_role"] or ""),
        date=date,
        status=meta["status"],
        source_sha256=str(meta["source_sha256"]),
        current_sha256=words_digest(english),
        words=words,
        stale_ids=tuple(stale),
    )


def i18n_path(root: Path, language: str, english: Path) -> Path:
    """Return where a language's words for an English content file live."""
    return root / "i18n" / language / english.relative_to(root)


def skeleton(
    english: Words, language: str, old: Any = None, *, today: dt.date | None = None
) -> dict[str, Any]:
    """Return a bilingual file for ``english``, keeping what ``old`` (the file as it is) holds.

    Used to start a language or to add the ids the English gained. A kept entry keeps the
    English it was made from, so an entry whose English changed stays stale until a translator
    updates both sides; a new id gets today's English and an empty translation; ids the English
    lost are dropped. ``source_sha256`` is the hash of the English the words were made from.
    """
    old_strings = old.get("strings", {}) if isinstance(old, dict) else {}
    old_meta = old.get("translation", {}) if isinstance(old, dict) else {}
    strings: dict[str, dict[str, Any]] = {}
    made_from: WordDict = {}
    for key, source in english.items():
        current = source if isinstance(source, str) else list(source)
        previous = old_strings.get(key)
        if isinstance(previous, dict) and _value(previous.get(language)) is not None:
            strings[key] = {"en": previous.get("en", ""), language: previous[language]}
        else:
            strings[key] = {"en": current, language: "" if isinstance(source, str) else []}
        recorded = strings[key]["en"]
        made_from[key] = recorded if isinstance(recorded, str) else tuple(recorded)
    return {
        "translation": {
            "source_sha256": words_digest(made_from),
            "method": old_meta.get("method", "machine_draft"),
            "translator_role": old_meta.get("translator_role", ""),
            "reviewer_role": old_meta.get("reviewer_role", ""),
            "date": old_meta.get("date", today or dt.date.today()),
            "status": old_meta.get("status", "draft"),
        },
        "strings": strings,
    }
