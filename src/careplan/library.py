"""Load and check the clinical content library (``src/careplan/content``).

Everything is checked at load time, so a broken module fails loudly, naming its file: unknown
keys, unknown sign/source/log ids, rules naming values outside the vocabulary, missing dates,
empty sources, placeholders that do not exist, and text missing for a supported language.
The schema is documented in docs/content-schema.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from careplan.errors import ContentError, Problem
from careplan.resources import CONTENT_DIR
from careplan.rules import Rule, RuleSyntaxError, compile_rule
from careplan.vocab import Vocabulary, load_vocabulary
from careplan.yamlio import read_yaml

SECTIONS = ("about", "syndrome", "treatment", "nutrition", "safety", "support")
SIGN_LEVELS = ("emergency", "call")
REVIEW_STATUSES = ("reviewed", "pending")
PLACEHOLDERS = frozenset(
    {
        "fever_threshold",
        "phone",
        "after_hours_phone",
        "emergency_number",
        "dietitian_phone",
        "clinic_name",
        "nurse_name",
        "prrt_days_toilet",
        "prrt_days_shower",
        "prrt_days_laundry",
        "prrt_days_close_contact",
        "prrt_days_children_pregnancy",
    }
)
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MODULE_KEYS = frozenset(
    {
        "id",
        "section",
        "order",
        "applies_when",
        "review_status",
        "last_reviewed",
        "review_due",
        "sources",
        "call_now",
        "logs",
        "key_point_rank",
        "text",
    }
)
TEXT_KEYS = frozenset(
    {
        "title",
        "key_point",
        "intro",
        "blocks",
        "side_effects",
        "self_care",
        "questions",
        "wallet_card",
    }
)
ITEM_LISTS = ("intro", "side_effects", "self_care", "questions", "wallet_card")
BLOCK_KEYS = frozenset({"heading", "paragraphs", "bullets", "when"})


@dataclass(frozen=True)
class Item:
    """A sentence or paragraph, shown only when its rule (if any) holds."""

    text: str
    when: Rule | None = None


@dataclass(frozen=True)
class Block:
    """A sub-section of a module with its own heading."""

    heading: str
    paragraphs: tuple[Item, ...] = ()
    bullets: tuple[Item, ...] = ()
    when: Rule | None = None


@dataclass(frozen=True)
class ModuleText:
    """A module's patient text in one language."""

    title: str
    key_point: str | None = None
    intro: tuple[Item, ...] = ()
    blocks: tuple[Block, ...] = ()
    side_effects: tuple[Item, ...] = ()
    self_care: tuple[Item, ...] = ()
    questions: tuple[Item, ...] = ()
    wallet_card: tuple[Item, ...] = ()


@dataclass(frozen=True)
class SignRef:
    """A module's "call now" sign, shown only when its rule (if any) holds."""

    id: str
    when: Rule | None = None


@dataclass(frozen=True)
class Module:
    """One unit of clinical content and the rule that selects it."""

    id: str
    section: str
    order: int
    applies_when: Rule
    review_status: str
    last_reviewed: dt.date
    review_due: dt.date
    sources: tuple[str, ...]
    call_now: tuple[SignRef, ...]
    logs: tuple[str, ...]
    key_point_rank: int
    text: dict[str, ModuleText]
    path: str


@dataclass(frozen=True)
class Sign:
    """A "call now" sign from the shared catalogue."""

    id: str
    level: str
    order: int
    sources: tuple[str, ...]
    text: dict[str, str]


@dataclass(frozen=True)
class Source:
    """An entry of the source register."""

    key: str
    publisher: str
    title: str
    url: str
    quality: str


@dataclass(frozen=True)
class GlossaryEntry:
    """A term printed only when one of its ``match`` phrases is in the handout."""

    id: str
    term: dict[str, str]
    match: dict[str, tuple[str, ...]]
    definition: dict[str, str]


@dataclass(frozen=True)
class LogPage:
    """A diary or log page."""

    id: str
    order: int
    title: dict[str, str]
    how_to: dict[str, str]
    columns: dict[str, tuple[str, ...]]
    rows: int


@dataclass(frozen=True)
class Library:
    """The whole content library, checked and ready for selection."""

    content_version: str
    digest: str
    languages: tuple[str, ...]
    sections: dict[str, dict[str, str]]
    ui: dict[str, dict[str, Any]]
    modules: tuple[Module, ...]
    signs: dict[str, Sign]
    sources: dict[str, Source]
    glossary: tuple[GlossaryEntry, ...]
    logs: dict[str, LogPage]
    extra: dict[str, Any] = field(default_factory=dict)


class _Loader:
    """Builds a Library, collecting every problem found."""

    def __init__(self, root: Path, vocab: Vocabulary) -> None:
        self.root = root
        self.vocab = vocab
        self.languages = tuple(vocab.fields["language"].ids)
        self.problems: list[Problem] = []
        self.hasher = hashlib.sha256()

    def where(self, path: Path) -> str:
        return str(path.relative_to(self.root.parent))

    def error(self, path: Path, field_name: str | None, message: str) -> None:
        self.problems.append(Problem(self.where(path), field_name, message))

    def read(self, name: str | Path) -> Any:
        path = name if isinstance(name, Path) else self.root / name
        self.hasher.update(str(path.relative_to(self.root)).encode() + b"\0")
        self.hasher.update(path.read_bytes() + b"\0")
        try:
            return read_yaml(path)
        except ValueError as error:
            self.error(path, None, str(error))
            return None

    # -- text ---------------------------------------------------------------------------
    def check_text(self, path: Path, where: str, text: Any) -> str:
        if not isinstance(text, str) or not text.strip():
            self.error(path, where, "needs non-empty text")
            return ""
        for name in PLACEHOLDER.findall(text):
            if name not in PLACEHOLDERS:
                self.error(
                    path,
                    where,
                    f"unknown placeholder {{{name}}}; allowed: {', '.join(sorted(PLACEHOLDERS))}",
                )
        if text.count("{") != text.count("}"):
            self.error(path, where, "unbalanced braces")
        return " ".join(text.split())

    def per_language(self, path: Path, where: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.error(
                path, where, f"needs a mapping of language to text ({', '.join(self.languages)})"
            )
            return {}
        missing = [lang for lang in self.languages if lang not in value]
        if missing:
            self.error(path, where, f"missing language(s) {', '.join(missing)}")
        return value

    def rule(self, path: Path, where: str, spec: Any) -> Rule | None:
        try:
            return compile_rule(spec, self.vocab)
        except RuleSyntaxError as error:
            self.error(path, where, str(error))
            return None

    def items(self, path: Path, where: str, value: Any) -> tuple[Item, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(path, where, "needs a list")
            return ()
        out = []
        for n, raw in enumerate(value, 1):
            spot = f"{where}[{n}]"
            if isinstance(raw, dict):
                if set(raw) - {"text", "when"} or "text" not in raw:
                    self.error(path, spot, "an item is text or a mapping {text, when}")
                    continue
                when = self.rule(path, f"{spot}.when", raw["when"]) if "when" in raw else None
                out.append(Item(self.check_text(path, spot, raw["text"]), when))
            else:
                out.append(Item(self.check_text(path, spot, raw)))
        return tuple(out)

    def module_text(self, path: Path, lang: str, raw: Any) -> ModuleText | None:
        where = f"text.{lang}"
        if not isinstance(raw, dict):
            self.error(path, where, "needs a mapping")
            return None
        for key in sorted(set(raw) - TEXT_KEYS):
            self.error(
                path, f"{where}.{key}", f"unknown key; allowed: {', '.join(sorted(TEXT_KEYS))}"
            )
        blocks = []
        for n, block in enumerate(raw.get("blocks") or [], 1):
            spot = f"{where}.blocks[{n}]"
            if not isinstance(block, dict) or set(block) - BLOCK_KEYS or "heading" not in block:
                self.error(
                    path,
                    spot,
                    f"a block needs 'heading' and may have "
                    f"{', '.join(sorted(BLOCK_KEYS - {'heading'}))}",
                )
                continue
            blocks.append(
                Block(
                    heading=self.check_text(path, f"{spot}.heading", block["heading"]),
                    paragraphs=self.items(path, f"{spot}.paragraphs", block.get("paragraphs")),
                    bullets=self.items(path, f"{spot}.bullets", block.get("bullets")),
                    when=self.rule(path, f"{spot}.when", block["when"])
                    if "when" in block
                    else None,
                )
            )
        key_point = raw.get("key_point")
        return ModuleText(
            title=self.check_text(path, f"{where}.title", raw.get("title")),
            key_point=self.check_text(path, f"{where}.key_point", key_point) if key_point else None,
            blocks=tuple(blocks),
            **{k: self.items(path, f"{where}.{k}", raw.get(k)) for k in ITEM_LISTS},
        )

    # -- files --------------------------------------------------------------------------
    def date(self, path: Path, key: str, value: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.error(path, key, f"needs a date written YYYY-MM-DD, got {value!r}")
            return dt.date.min

    def module(
        self,
        path: Path,
        raw: Any,
        signs: dict[str, Sign],
        sources: dict[str, Source],
        logs: dict[str, LogPage],
    ) -> Module | None:
        if not isinstance(raw, dict):
            self.error(path, None, "a module must be a mapping")
            return None
        for key in sorted(set(raw) - MODULE_KEYS):
            self.error(path, key, f"unknown key; allowed: {', '.join(sorted(MODULE_KEYS))}")
        for key in (
            "id",
            "section",
            "applies_when",
            "review_status",
            "last_reviewed",
            "review_due",
            "sources",
            "text",
        ):
            if key not in raw:
                self.error(path, key, "is required")
        if self.problems and any(p.source == self.where(path) for p in self.problems):
            return None
        if raw["id"] != path.stem:
            self.error(path, "id", f"{raw['id']!r} must match the file name {path.stem!r}")
        if raw["section"] not in SECTIONS:
            self.error(path, "section", f"{raw['section']!r} is not one of {', '.join(SECTIONS)}")
        if raw["review_status"] not in REVIEW_STATUSES:
            self.error(path, "review_status", f"must be one of {', '.join(REVIEW_STATUSES)}")
        call_now = self.sign_refs(path, raw.get("call_now") or [], signs)
        ids = {
            "sources": (raw.get("sources") or [], sources),
            "logs": (raw.get("logs") or [], logs),
        }
        for key, (values, known) in ids.items():
            if not isinstance(values, list):
                self.error(path, key, "needs a list")
                continue
            for value in values:
                if value not in known:
                    self.error(path, key, f"unknown id {value!r}")
        if not raw.get("sources"):
            self.error(path, "sources", "needs at least one source")
        texts = self.per_language(path, "text", raw["text"])
        rule = self.rule(path, "applies_when", raw["applies_when"])
        last = self.date(path, "last_reviewed", raw["last_reviewed"])
        due = self.date(path, "review_due", raw["review_due"])
        if due < last:
            self.error(path, "review_due", "is before last_reviewed")
        text = {lang: self.module_text(path, lang, texts.get(lang)) for lang in self.languages}
        if rule is None or any(t is None for t in text.values()):
            return None
        return Module(
            id=raw["id"],
            section=raw["section"],
            order=int(raw.get("order", 500)),
            applies_when=rule,
            review_status=raw["review_status"],
            last_reviewed=last,
            review_due=due,
            sources=tuple(raw["sources"]),
            call_now=call_now,
            logs=tuple(raw.get("logs") or ()),
            key_point_rank=int(raw.get("key_point_rank", 100)),
            text=text,  # type: ignore[arg-type]  # None ruled out above
            path=self.where(path),
        )

    def sign_refs(self, path: Path, values: Any, signs: dict[str, Sign]) -> tuple[SignRef, ...]:
        """Read ``call_now``: sign ids, or mappings {sign, when} for a sign that depends on it."""
        if not isinstance(values, list):
            self.error(path, "call_now", "needs a list")
            return ()
        refs = []
        for n, value in enumerate(values, 1):
            spot = f"call_now[{n}]"
            when = None
            if isinstance(value, dict):
                if set(value) != {"sign", "when"}:
                    self.error(path, spot, "a sign is an id or a mapping {sign, when}")
                    continue
                when = self.rule(path, f"{spot}.when", value["when"])
                value = value["sign"]
            if value not in signs:
                self.error(path, spot, f"unknown sign id {value!r}")
                continue
            refs.append(SignRef(str(value), when))
        return tuple(refs)

    def signs(self, sources: dict[str, Source]) -> dict[str, Sign]:
        path = self.root / "signs.yaml"
        out = {}
        for sign_id, spec in (self.read(path) or {}).items():
            spot = str(sign_id)
            if not isinstance(spec, dict) or spec.get("level") not in SIGN_LEVELS:
                self.error(path, spot, f"needs level: {' or '.join(SIGN_LEVELS)}")
                continue
            for key in spec.get("sources") or []:
                if key not in sources:
                    self.error(path, f"{spot}.sources", f"unknown source {key!r}")
            text = self.per_language(path, f"{spot}.text", spec.get("text"))
            out[sign_id] = Sign(
                id=sign_id,
                level=spec["level"],
                order=int(spec.get("order", 500)),
                sources=tuple(spec.get("sources") or ()),
                text={
                    lang: self.check_text(path, f"{spot}.text.{lang}", text.get(lang))
                    for lang in self.languages
                },
            )
        return out

    def sources(self) -> dict[str, Source]:
        path = self.root / "sources.yaml"
        out = {}
        for key, spec in (self.read(path) or {}).items():
            if not isinstance(spec, dict) or not all(spec.get(k) for k in ("publisher", "title")):
                self.error(path, str(key), "needs publisher and title (and url, quality)")
                continue
            out[str(key)] = Source(
                str(key),
                str(spec["publisher"]),
                str(spec["title"]),
                str(spec.get("url") or ""),
                str(spec.get("quality") or ""),
            )
        return out

    def glossary(self) -> tuple[GlossaryEntry, ...]:
        path = self.root / "glossary.yaml"
        out = []
        for entry_id, spec in (self.read(path) or {}).items():
            text = self.per_language(path, f"{entry_id}.text", (spec or {}).get("text"))
            terms, matches, definitions = {}, {}, {}
            for lang in self.languages:
                body = text.get(lang) or {}
                terms[lang] = self.check_text(path, f"{entry_id}.term", body.get("term"))
                definitions[lang] = self.check_text(
                    path, f"{entry_id}.definition", body.get("definition")
                )
                match = body.get("match") or [body.get("term")]
                matches[lang] = tuple(str(m) for m in match if m)
            out.append(GlossaryEntry(str(entry_id), terms, matches, definitions))
        return tuple(sorted(out, key=lambda e: e.term[self.languages[0]].casefold()))

    def logs(self) -> dict[str, LogPage]:
        path = self.root / "logs.yaml"
        out = {}
        for log_id, spec in (self.read(path) or {}).items():
            text = self.per_language(path, f"{log_id}.text", (spec or {}).get("text"))
            title, how_to, columns = {}, {}, {}
            rows = 10
            for lang in self.languages:
                body = text.get(lang) or {}
                title[lang] = self.check_text(path, f"{log_id}.title", body.get("title"))
                how_to[lang] = self.check_text(path, f"{log_id}.how_to", body.get("how_to"))
                cols = body.get("columns")
                if not isinstance(cols, list) or not cols:
                    self.error(path, f"{log_id}.columns", "needs a list of column headings")
                    cols = []
                columns[lang] = tuple(str(c) for c in cols)
                rows = int(body.get("rows", rows))
            out[str(log_id)] = LogPage(
                str(log_id), int((spec or {}).get("order", 500)), title, how_to, columns, rows
            )
        return out

    def load(self) -> Library:
        meta = self.read("library.yaml") or {}
        ui = self.read("ui.yaml") or {}
        sources = self.sources()
        signs = self.signs(sources)
        logs = self.logs()
        glossary = self.glossary()
        modules = []
        seen: dict[str, str] = {}
        for path in sorted((self.root / "modules").rglob("*.yaml")):
            raw = self.read(path)
            if raw is None:
                continue
            module = self.module(path, raw, signs, sources, logs)
            if module is None:
                continue
            if module.id in seen:
                self.error(path, "id", f"{module.id!r} is also used by {seen[module.id]}")
            seen[module.id] = module.path
            modules.append(module)
        for lang in self.languages:
            if lang not in ui:
                self.error(self.root / "ui.yaml", lang, "missing language")
        if self.problems:
            raise ContentError(self.problems)
        return Library(
            content_version=str(meta["content_version"]),
            digest=self.hasher.hexdigest(),
            languages=self.languages,
            sections={s["id"]: s["heading"] for s in meta["sections"]},
            ui=ui,
            modules=tuple(
                sorted(modules, key=lambda m: (SECTIONS.index(m.section), m.order, m.id))
            ),
            signs=signs,
            sources=sources,
            glossary=glossary,
            logs=logs,
            extra={k: v for k, v in meta.items() if k not in ("content_version", "sections")},
        )


@cache
def load_library(root: Path = CONTENT_DIR) -> Library:
    """Load and check the content library once per process; raise ContentError listing problems."""
    return _Loader(root, load_vocabulary()).load()
