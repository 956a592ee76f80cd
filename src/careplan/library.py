"""Load and check the clinical content library (``src/careplan/content``).

Rules and structure are written once, with the English words beside them (English is the
source language); every printable string has an id so that a language can supply its own
words. Everything is checked when the library loads, and every problem names its file: unknown
keys, ids, signs, sources, logs, tags and conditions, rules naming values outside the
vocabulary, missing dates, placeholders that do not exist. The schema is documented in
docs/content-schema.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from careplan.clinic import PLACEHOLDERS
from careplan.errors import ContentError, Problem
from careplan.resources import CONTENT_DIR
from careplan.rules import Rule, RuleSyntaxError, compile_rule
from careplan.translations import Translation, WordDict, i18n_path, read_translation
from careplan.vocab import Vocabulary, load_vocabulary
from careplan.yamlio import read_yaml

SECTIONS = ("about", "syndrome", "treatment", "safety", "nutrition", "support")
SIGN_LEVELS = ("emergency", "call")
REVIEW_STATUSES = ("reviewed", "pending")
SOURCE_KINDS = ("original", "mirror", "aggregator")
FIGURE_KINDS = ("drawing", "prrt_calendar")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
ITEM_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ITEM_LISTS = ("key_points", "intro", "side_effects", "self_care", "questions", "wallet_card")
ITEM_KEYS = frozenset({"id", "text", "when", "sources", "tags", "general"})
BLOCK_KEYS = frozenset({"id", "heading", "when", "sources", "paragraphs", "bullets", "steps"})
MODULE_REQUIRED = (
    "id",
    "section",
    "applies_when",
    "review_status",
    "last_reviewed",
    "review_due",
    "sources",
    "title",
)
MODULE_KEYS = frozenset(
    {*MODULE_REQUIRED, "order", "call_now", "logs", "key_point_rank", "blocks", *ITEM_LISTS}
)


@dataclass(frozen=True)
class Item:
    """A sentence or paragraph, shown only when its rule (if any) holds.

    ``sources`` back exactly this text; ``tags`` feed the contradiction checks; a ``general``
    item may name therapies the patient does not have ("tell staff about every medicine").
    """

    id: str
    text: str
    when: Rule | None = None
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    general: bool = False


@dataclass(frozen=True)
class Block:
    """A sub-section of a module with its own heading."""

    id: str
    heading: str
    paragraphs: tuple[Item, ...] = ()
    bullets: tuple[Item, ...] = ()
    when: Rule | None = None
    sources: tuple[str, ...] = ()
    steps: bool = False  # the bullets are steps to follow in order: printed numbered


@dataclass(frozen=True)
class ModuleText:
    """A module's words in one language, with the rules shared by every language."""

    title: str
    key_points: tuple[Item, ...] = ()
    intro: tuple[Item, ...] = ()
    blocks: tuple[Block, ...] = ()
    side_effects: tuple[Item, ...] = ()
    self_care: tuple[Item, ...] = ()
    questions: tuple[Item, ...] = ()
    wallet_card: tuple[Item, ...] = ()

    def items(self) -> tuple[Item, ...]:
        """Return every item, in print order (block items included)."""
        out: list[Item] = [*self.key_points, *self.intro]
        for block in self.blocks:
            out += [*block.paragraphs, *block.bullets]
        return (*out, *self.side_effects, *self.self_care, *self.questions, *self.wallet_card)


@dataclass(frozen=True)
class Ref:
    """A module's reference to a sign or a diary page, used only when its rule (if any) holds."""

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
    call_now: tuple[Ref, ...]
    logs: tuple[Ref, ...]
    key_point_rank: int
    text: dict[str, ModuleText]
    path: str
    sha256: str  # of the module file: a clinic's sign-off names this hash

    @property
    def file(self) -> str:
        """Return the module's file under content/ (what its translations are keyed by)."""
        return str(Path(*Path(self.path).parts[1:]))

    def review_flags(self, today: dt.date) -> tuple[str, ...]:
        """Return what a reviewer should see flagged: pending review, past its review date."""
        flags = []
        if self.review_status == "pending":
            flags.append("PENDING REVIEW")
        if self.review_due < today:
            flags.append("PAST REVIEW DATE")
        return tuple(flags)


@dataclass(frozen=True)
class Sign:
    """A "call now" sign from the shared catalogue."""

    id: str
    level: str
    order: int
    sources: tuple[str, ...]
    text: dict[str, str]
    replaces: tuple[str, ...] = ()  # signs it stands in for when both would print


@dataclass(frozen=True)
class Source:
    """An entry of the source register; ``about`` says which profiles it is about."""

    key: str
    publisher: str
    title: str
    url: str
    quality: str
    kind: str = "original"
    about: Rule | None = None


@dataclass(frozen=True)
class GlossaryEntry:
    """A term printed only when one of its ``match`` phrases is in the handout, and none of
    the modules that define it where it is first used (``defined_in``) prints."""

    id: str
    term: dict[str, str]
    match: dict[str, tuple[str, ...]]
    definition: dict[str, str]
    defined_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogPage:
    """A diary or log page."""

    id: str
    order: int
    title: dict[str, str]
    how_to: dict[str, str]
    columns: dict[str, tuple[str, ...]]
    rows: int
    checks: tuple[int, ...] = ()  # columns (from 1) whose cells are boxes to check


@dataclass(frozen=True)
class Figure:
    """A drawing printed inside a module; its words come per language, like text."""

    id: str
    kind: str  # drawing (an SVG) or prrt_calendar (tick boxes from the clinic's day counts)
    svg: str  # the drawing, with {fig_...} label placeholders and no words of its own
    modules: tuple[str, ...]  # printed in the first of these the handout prints
    when: Rule | None
    width: str
    review_status: str
    sources: tuple[str, ...]
    labels: dict[str, dict[str, str]]  # language -> label id -> words
    alt: dict[str, str]
    caption: dict[str, str]
    sha256: str


@dataclass(frozen=True)
class Conflict:
    """Text that must never print for some profiles: no printed item may carry ``forbid``."""

    id: str
    when: Rule
    forbid: frozenset[str]
    why: str


@dataclass(frozen=True)
class PlainWord:
    """A word list entry: words a patient would stumble on, and what to say instead."""

    avoid: str
    use: str
    why: str

    def found_in(self, text: str) -> bool:
        """Say whether ``avoid`` is in ``text`` as a whole word or phrase, in any case."""
        phrase = r"\s+".join(re.escape(w) for w in self.avoid.split())
        return re.search(rf"(?<![\w-]){phrase}(?![\w-])", text, re.IGNORECASE) is not None


@dataclass(frozen=True)
class Check:
    """A warning for the nurse about an odd but possible combination; never printed."""

    id: str
    when: Rule
    text: str


@dataclass(frozen=True)
class Library:
    """The whole content library, checked and ready for selection."""

    content_version: str
    digest: str
    languages: tuple[str, ...]
    sections: dict[str, dict[str, str]]
    sections_with_questions: frozenset[str]
    ui: dict[str, dict[str, Any]]
    modules: tuple[Module, ...]
    signs: dict[str, Sign]
    sources: dict[str, Source]
    glossary: tuple[GlossaryEntry, ...]
    logs: dict[str, LogPage]
    conditions: dict[str, Rule]
    tags: dict[str, str]
    conflicts: tuple[Conflict, ...]
    checks: tuple[Check, ...]
    figures: dict[str, Figure]
    word_list: dict[str, tuple[PlainWord, ...]] = field(default_factory=dict)  # per language
    # language -> English file (relative to content/) -> where its translation stands
    translations: dict[str, dict[str, Translation]] = field(default_factory=dict)
    english_words: dict[str, WordDict] = field(default_factory=dict)  # what a language covers
    # language -> source key -> its edition in that language (content/i18n/LANG/sources.yaml);
    # a handout in another language cites only these
    editions: dict[str, dict[str, Source]] = field(default_factory=dict)

    def sources_in(self, language: str) -> dict[str, Source]:
        """Return the sources a handout in ``language`` may cite, by key."""
        return self.sources if language == "en" else self.editions.get(language, {})

    def strings(self, language: str = "en") -> Iterator[tuple[str, str]]:
        """Yield (where, text) for every string a patient can read, in one language."""
        for m in self.modules:
            text = m.text[language]
            yield f"{m.path}:title", text.title
            for block in text.blocks:
                yield f"{m.path}:{block.id}", block.heading
            for item in text.items():
                yield f"{m.path}:{item.id}", item.text
        for sign in self.signs.values():
            yield f"signs.yaml:{sign.id}", sign.text[language]
        for figure in self.figures.values():
            yield f"figures.yaml:{figure.id}", figure.alt[language]
            yield f"figures.yaml:{figure.id}", figure.caption[language]
            for words in figure.labels[language].values():
                yield f"figures.yaml:{figure.id}", words
        for entry in self.glossary:
            yield (
                f"glossary.yaml:{entry.id}",
                f"{entry.term[language]}: {entry.definition[language]}",
            )
        for log in self.logs.values():
            for words in (log.title[language], log.how_to[language], *log.columns[language]):
                yield f"logs.yaml:{log.id}", words
        for section, heading in self.sections.items():
            yield f"library.yaml:{section}", heading[language]
        yield from ((f"ui.yaml:{key}", text) for key, text in _ui_strings(self.ui[language]))


def _ui_strings(node: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Yield (dotted key, text) for every string in ui.yaml."""
    if isinstance(node, str):
        yield prefix, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _ui_strings(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        for n, value in enumerate(node, 1):
            yield from _ui_strings(value, f"{prefix}[{n}]")


def module_words(text: ModuleText) -> WordDict:
    """Return a module's words by id: its title, block headings and items."""
    words: WordDict = {"title": text.title}
    for block in text.blocks:
        words[block.id] = block.heading
    words.update((item.id, item.text) for item in text.items())
    return words


def translate_module(text: ModuleText, words: Mapping[str, Any]) -> ModuleText:
    """Return ``text`` with another language's words and the same rules."""

    def items(values: tuple[Item, ...]) -> tuple[Item, ...]:
        return tuple(replace(i, text=words[i.id]) for i in values)

    blocks = tuple(
        replace(b, heading=words[b.id], paragraphs=items(b.paragraphs), bullets=items(b.bullets))
        for b in text.blocks
    )
    lists = {key: items(getattr(text, key)) for key in ITEM_LISTS}
    return ModuleText(title=words["title"], blocks=blocks, **lists)


def flat_words(node: Any, prefix: str = "") -> WordDict:
    """Flatten ui.yaml into dotted keys; a list of strings stays one entry. An empty string
    (a phrase some values leave out) has nothing to translate and gets no key."""
    if isinstance(node, str):
        return {prefix: node} if node else {}
    if isinstance(node, list) and all(isinstance(v, str) for v in node):
        return {prefix: tuple(node)}
    out: WordDict = {}
    if isinstance(node, dict):
        for key, value in node.items():
            out.update(flat_words(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def unflat_words(english: Any, words: Mapping[str, Any], prefix: str = "") -> Any:
    """Rebuild ui.yaml's shape from dotted keys (the inverse of ``flat_words``)."""
    if isinstance(english, str):
        return words[prefix] if english else english
    if isinstance(english, list) and all(isinstance(v, str) for v in english):
        return list(words[prefix])
    if isinstance(english, dict):
        return {
            k: unflat_words(v, words, f"{prefix}.{k}" if prefix else str(k))
            for k, v in english.items()
        }
    return english


@dataclass(frozen=True)
class _Texts:
    """Everything a language gives words to: read in English, then translated in place."""

    modules: list[Module]
    signs: dict[str, Sign]
    glossary: tuple[GlossaryEntry, ...]
    logs: dict[str, LogPage]
    figures: dict[str, Figure]
    sections: dict[str, dict[str, str]]
    uis: dict[str, Any]  # ui.yaml by language

    def entries(self) -> tuple[tuple[str, Iterable[GlossaryEntry | LogPage], tuple[str, ...]], ...]:
        """The files of entries with the same words in each, by id: (file, entries, keys)."""
        return (
            ("glossary.yaml", self.glossary, ("term", "definition", "match")),
            ("logs.yaml", self.logs.values(), ("title", "how_to", "columns")),
        )


class _Named(Mapping[str, Rule]):
    """The named conditions as compile_rule sees them: compiled the first time one is used."""

    def __init__(self, raw: dict[str, Any], compile_named: Callable[[str], Rule | None]) -> None:
        self.raw = raw
        self.compile_named = compile_named

    def __getitem__(self, name: str) -> Rule:
        rule = self.compile_named(name)
        if rule is None:
            raise KeyError(name)
        return rule

    def __contains__(self, name: object) -> bool:
        return name in self.raw

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)


def yaml_dump(spec: Any) -> str:
    """Return a stable text of a YAML value (for hashing what a sign-off covers)."""
    return json.dumps(spec, sort_keys=True, default=str)


class _Loader:
    """Builds a Library, collecting every problem found."""

    def __init__(self, root: Path, vocab: Vocabulary, *, english_only: bool = False) -> None:
        self.root = root
        self.vocab = vocab
        self.languages = ("en",) if english_only else tuple(vocab.fields["language"].ids)
        self.problems: list[Problem] = []
        self.hasher = hashlib.sha256()
        self.conditions: dict[str, Rule] = {}
        self.tags: dict[str, str] = {}
        self.sources: dict[str, Source] = {}
        self.placeholders = PLACEHOLDERS | set(vocab.profile_words)

    def where(self, path: Path) -> str:
        return str(path.relative_to(self.root.parent))

    def error(self, path: Path, field_name: str | None, message: str) -> None:
        self.problems.append(Problem(self.where(path), field_name, message))

    def read(self, name: str | Path, *, optional: bool = False) -> Any:
        path = name if isinstance(name, Path) else self.root / name
        if optional and not path.exists():
            return None
        data = path.read_bytes()
        self.hasher.update(str(path.relative_to(self.root)).encode() + b"\0" + data + b"\0")
        try:
            return read_yaml(path)
        except ValueError as error:
            self.error(path, None, str(error))
            return None

    # -- building blocks -------------------------------------------------------------------
    def check_text(self, path: Path, where: str, text: Any) -> str:
        if not isinstance(text, str) or not text.strip():
            self.error(path, where, "needs non-empty text")
            return ""
        for name in PLACEHOLDER.findall(text):
            if name not in self.placeholders:
                allowed = ", ".join(sorted(self.placeholders))
                self.error(path, where, f"unknown placeholder {{{name}}}; allowed: {allowed}")
        if text.count("{") != text.count("}"):
            self.error(path, where, "unbalanced braces")
        return " ".join(text.split())

    def rule(self, path: Path, where: str, spec: Any) -> Rule | None:
        try:
            return compile_rule(spec, self.vocab, self.conditions)
        except RuleSyntaxError as error:
            self.error(path, where, str(error))
            return None

    def keys(
        self, path: Path, where: str, values: Any, known: Mapping[str, Any], kind: str
    ) -> tuple[str, ...]:
        """Check a list of ids (sources, tags) against what exists."""
        if values is None:
            return ()
        if not isinstance(values, list):
            self.error(path, where, "needs a list")
            return ()
        for value in values:
            if value not in known:
                self.error(path, where, f"unknown {kind} {value!r}")
        return tuple(str(v) for v in values)

    def item(self, path: Path, where: str, raw: Any, ids: set[str]) -> Item | None:
        if not isinstance(raw, dict) or set(raw) - ITEM_KEYS or not {"id", "text"} <= set(raw):
            self.error(
                path,
                where,
                f"an item is a mapping with id and text (and may have "
                f"{', '.join(sorted(ITEM_KEYS - {'id', 'text'}))})",
            )
            return None
        item_id = self.item_id(path, where, raw["id"], ids)
        general = raw.get("general", False)
        if not isinstance(general, bool):
            self.error(path, f"{where}.general", "must be true or false")
        return Item(
            id=item_id,
            text=self.check_text(path, where, raw["text"]),
            when=self.rule(path, f"{where}.when", raw["when"]) if "when" in raw else None,
            sources=self.keys(path, f"{where}.sources", raw.get("sources"), self.sources, "source"),
            tags=self.keys(path, f"{where}.tags", raw.get("tags"), self.tags, "tag"),
            general=general is True,
        )

    def item_id(self, path: Path, where: str, raw: Any, ids: set[str]) -> str:
        item_id = str(raw)
        if not ITEM_ID.fullmatch(item_id):
            self.error(path, f"{where}.id", "ids are lowercase words joined by hyphens")
        elif item_id in ids:
            self.error(path, f"{where}.id", f"{item_id!r} is used twice in this file")
        ids.add(item_id)
        return item_id

    def items(self, path: Path, where: str, value: Any, ids: set[str]) -> tuple[Item, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(path, where, "needs a list")
            return ()
        out = (self.item(path, f"{where}[{n}]", raw, ids) for n, raw in enumerate(value, 1))
        return tuple(i for i in out if i is not None)

    def block(self, path: Path, where: str, raw: Any, ids: set[str]) -> Block | None:
        if not isinstance(raw, dict) or set(raw) - BLOCK_KEYS or not {"id", "heading"} <= set(raw):
            self.error(
                path,
                where,
                f"a block needs id and heading and may have "
                f"{', '.join(sorted(BLOCK_KEYS - {'id', 'heading'}))}",
            )
            return None
        return Block(
            id=self.item_id(path, where, raw["id"], ids),
            heading=self.check_text(path, f"{where}.heading", raw["heading"]),
            paragraphs=self.items(path, f"{where}.paragraphs", raw.get("paragraphs"), ids),
            bullets=self.items(path, f"{where}.bullets", raw.get("bullets"), ids),
            when=self.rule(path, f"{where}.when", raw["when"]) if "when" in raw else None,
            sources=self.keys(path, f"{where}.sources", raw.get("sources"), self.sources, "source"),
            steps=raw.get("steps") is True,
        )

    def refs(self, path: Path, key: str, values: Any, known: Mapping[str, Any]) -> tuple[Ref, ...]:
        """Read ``call_now`` or ``logs``: ids, or mappings {sign|log: ID, when: RULE}."""
        if values is None:
            return ()
        if not isinstance(values, list):
            self.error(path, key, "needs a list")
            return ()
        name = {"call_now": "sign", "logs": "log"}[key]
        refs = []
        for n, value in enumerate(values, 1):
            spot = f"{key}[{n}]"
            when = None
            if isinstance(value, dict):
                if set(value) != {name, "when"}:
                    self.error(path, spot, f"a {name} is an id or a mapping {{{name}, when}}")
                    continue
                when = self.rule(path, f"{spot}.when", value["when"])
                value = value[name]
            if value not in known:
                self.error(path, spot, f"unknown {name} id {value!r}")
                continue
            refs.append(Ref(str(value), when))
        return tuple(refs)

    def date(self, path: Path, key: str, value: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.error(path, key, f"needs a date written YYYY-MM-DD, got {value!r}")
            return dt.date.min

    # -- files -----------------------------------------------------------------------------
    def module(self, path: Path, signs: dict[str, Sign], logs: dict[str, LogPage]) -> Module | None:
        raw = self.read(path)
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.error(path, None, "a module must be a mapping")
            return None
        before = len(self.problems)
        for key in sorted(set(raw) - MODULE_KEYS):
            self.error(path, key, f"unknown key; allowed: {', '.join(sorted(MODULE_KEYS))}")
        for key in MODULE_REQUIRED:
            if key not in raw:
                self.error(path, key, "is required")
        if len(self.problems) > before:
            return None
        if raw["id"] != path.stem:
            self.error(path, "id", f"{raw['id']!r} must match the file name {path.stem!r}")
        if raw["section"] not in SECTIONS:
            self.error(path, "section", f"{raw['section']!r} is not one of {', '.join(SECTIONS)}")
        elif path.parent.name != raw["section"]:
            self.error(path, "section", f"the file must be in modules/{raw['section']}/")
        if raw["review_status"] not in REVIEW_STATUSES:
            self.error(path, "review_status", f"must be one of {', '.join(REVIEW_STATUSES)}")
        sources = self.keys(path, "sources", raw["sources"], self.sources, "source")
        if not sources:
            self.error(path, "sources", "needs at least one source")
        rule = self.rule(path, "applies_when", raw["applies_when"])
        last = self.date(path, "last_reviewed", raw["last_reviewed"])
        due = self.date(path, "review_due", raw["review_due"])
        if due < last:
            self.error(path, "review_due", "is before last_reviewed")
        ids: set[str] = set()
        blocks = raw.get("blocks") or []
        english = ModuleText(
            title=self.check_text(path, "title", raw["title"]),
            blocks=tuple(
                b
                for n, spec in enumerate(blocks if isinstance(blocks, list) else [], 1)
                if (b := self.block(path, f"blocks[{n}]", spec, ids)) is not None
            ),
            **{key: self.items(path, key, raw.get(key), ids) for key in ITEM_LISTS},
        )
        if len(self.problems) > before or rule is None:
            return None
        return Module(
            id=raw["id"],
            section=raw["section"],
            order=int(raw.get("order", 500)),
            applies_when=rule,
            review_status=raw["review_status"],
            last_reviewed=last,
            review_due=due,
            sources=sources,
            call_now=self.refs(path, "call_now", raw.get("call_now"), signs),
            logs=self.refs(path, "logs", raw.get("logs"), logs),
            key_point_rank=int(raw.get("key_point_rank", 100)),
            text={"en": english},
            path=self.where(path),
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        )

    def signs(self) -> dict[str, Sign]:
        path = self.root / "signs.yaml"
        out = {}
        for sign_id, spec in (self.read(path) or {}).items():
            spot = str(sign_id)
            if not isinstance(spec, dict) or spec.get("level") not in SIGN_LEVELS:
                self.error(path, spot, f"needs level: {' or '.join(SIGN_LEVELS)}")
                continue
            out[spot] = Sign(
                id=spot,
                level=spec["level"],
                order=int(spec.get("order", 500)),
                sources=self.keys(
                    path, f"{spot}.sources", spec.get("sources"), self.sources, "source"
                ),
                text={"en": self.check_text(path, f"{spot}.text", spec.get("text"))},
                replaces=tuple(str(r) for r in spec.get("replaces") or ()),
            )
        for sign in out.values():
            for other in set(sign.replaces) - set(out):
                self.error(path, f"{sign.id}.replaces", f"unknown sign {other!r}")
        return out

    def source_register(self) -> dict[str, Source]:
        path = self.root / "sources.yaml"
        out = {}
        for key, spec in (self.read(path) or {}).items():
            if not isinstance(spec, dict) or not all(spec.get(k) for k in ("publisher", "title")):
                self.error(path, str(key), "needs publisher and title (and url, quality, kind)")
                continue
            kind = str(spec.get("kind") or "original")
            if kind not in SOURCE_KINDS:
                self.error(path, f"{key}.kind", f"must be one of {', '.join(SOURCE_KINDS)}")
            about = self.rule(path, f"{key}.about", spec["about"]) if "about" in spec else None
            out[str(key)] = Source(
                str(key),
                str(spec["publisher"]),
                str(spec["title"]),
                str(spec.get("url") or ""),
                str(spec.get("quality") or ""),
                kind,
                about,
            )
        return out

    def glossary(self) -> tuple[GlossaryEntry, ...]:
        path = self.root / "glossary.yaml"
        out = []
        for entry_id, spec in (self.read(path) or {}).items():
            spec = spec if isinstance(spec, dict) else {}
            term = self.check_text(path, f"{entry_id}.term", spec.get("term"))
            match = spec.get("match") or [term]
            if not isinstance(match, list):
                self.error(path, f"{entry_id}.match", "needs a list of words or phrases")
                match = []
            out.append(
                GlossaryEntry(
                    str(entry_id),
                    {"en": term},
                    {"en": tuple(str(m) for m in match if m)},
                    {"en": self.check_text(path, f"{entry_id}.definition", spec.get("definition"))},
                    tuple(str(m) for m in spec.get("defined_in") or ()),
                )
            )
        return tuple(sorted(out, key=lambda e: e.term["en"].casefold()))

    def logs(self) -> dict[str, LogPage]:
        path = self.root / "logs.yaml"
        out = {}
        for log_id, spec in (self.read(path) or {}).items():
            spec = spec if isinstance(spec, dict) else {}
            columns = spec.get("columns")
            if not isinstance(columns, list) or not columns:
                self.error(path, f"{log_id}.columns", "needs a list of column headings")
                columns = []
            out[str(log_id)] = LogPage(
                str(log_id),
                int(spec.get("order", 500)),
                {"en": self.check_text(path, f"{log_id}.title", spec.get("title"))},
                {"en": self.check_text(path, f"{log_id}.how_to", spec.get("how_to"))},
                {"en": tuple(str(c) for c in columns)},
                int(spec.get("rows", 10)),
                tuple(int(c) for c in spec.get("checks") or ()),
            )
        return out

    def named_conditions(self) -> None:
        """Compile ``conditions.yaml``: a condition may use others, in any order, but no cycle."""
        path = self.root / "conditions.yaml"
        raw = self.read(path, optional=True) or {}
        compiling: list[str] = []

        def compile_named(name: str) -> Rule | None:
            if name in self.conditions:
                return self.conditions[name]
            if name in compiling:
                cycle = " -> ".join([*compiling, name])
                raise RuleSyntaxError(f"conditions refer to each other in a circle: {cycle}")
            spec = raw.get(name)
            if not isinstance(spec, dict) or set(spec) != {"why", "rule"}:
                return None
            compiling.append(name)
            try:
                rule = compile_rule(spec["rule"], self.vocab, _Named(raw, compile_named))
            finally:
                compiling.pop()
            self.conditions[name] = rule
            return rule

        for name, spec in raw.items():
            if not isinstance(spec, dict) or set(spec) != {"why", "rule"}:
                self.error(path, str(name), "a condition is a mapping {why, rule}")
                continue
            try:
                compile_named(str(name))
            except RuleSyntaxError as error:
                self.error(path, f"{name}.rule", str(error))

    def tag_register(self) -> None:
        path = self.root / "tags.yaml"
        for tag, description in (self.read(path, optional=True) or {}).items():
            self.tags[str(tag)] = self.check_text(path, str(tag), description)

    def conflicts(self) -> tuple[Conflict, ...]:
        path = self.root / "conflicts.yaml"
        out = []
        for n, spec in enumerate(self.read(path, optional=True) or [], 1):
            spot = f"[{n}]"
            if not isinstance(spec, dict) or set(spec) != {"id", "when", "forbid", "why"}:
                self.error(path, spot, "a conflict is a mapping {id, when, forbid, why}")
                continue
            rule = self.rule(path, f"{spot}.when", spec["when"])
            forbid = self.keys(path, f"{spot}.forbid", spec["forbid"], self.tags, "tag")
            if rule is not None:
                out.append(Conflict(str(spec["id"]), rule, frozenset(forbid), str(spec["why"])))
        return tuple(out)

    def word_list(self) -> tuple[PlainWord, ...]:
        path = self.root / "wordlist.yaml"
        out: dict[str, PlainWord] = {}
        for n, spec in enumerate(self.read(path) or [], 1):
            if not isinstance(spec, dict) or not all(
                isinstance(spec.get(k), str) and spec[k].strip() for k in ("avoid", "use", "why")
            ):
                self.error(path, f"entry {n}", "needs avoid, use and why")
            elif spec["avoid"].casefold() in out:
                self.error(path, f"entry {n}", f"{spec['avoid']!r} is listed twice")
            else:
                out[spec["avoid"].casefold()] = PlainWord(spec["avoid"], spec["use"], spec["why"])
        return tuple(out.values())

    def checks(self) -> tuple[Check, ...]:
        path = self.root / "checks.yaml"
        out = []
        for n, spec in enumerate(self.read(path, optional=True) or [], 1):
            spot = f"[{n}]"
            if not isinstance(spec, dict) or set(spec) != {"id", "when", "text"}:
                self.error(path, spot, "a check is a mapping {id, when, text}")
                continue
            rule = self.rule(path, f"{spot}.when", spec["when"])
            if rule is not None:
                out.append(Check(str(spec["id"]), rule, self.check_text(path, spot, spec["text"])))
        return tuple(out)

    def figures(self, modules: set[str]) -> dict[str, Figure]:
        path = self.root / "figures.yaml"
        out = {}
        for figure_id, spec in (self.read(path, optional=True) or {}).items():
            where = str(figure_id)
            spec = spec if isinstance(spec, dict) else {}
            unknown = set(spec) - {
                "kind",
                "file",
                "modules",
                "when",
                "width",
                "review_status",
                "sources",
                "labels",
                "alt",
                "caption",
            }
            if unknown:
                self.error(path, where, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
            kind = str(spec.get("kind", "drawing"))
            if kind not in FIGURE_KINDS:
                self.error(path, f"{where}.kind", f"must be one of {', '.join(FIGURE_KINDS)}")
            svg = ""
            if kind == "drawing":
                svg_path = self.root / "figures" / str(spec.get("file", ""))
                if not svg_path.is_file():
                    self.error(path, f"{where}.file", "needs an SVG file in content/figures/")
                    continue
                svg = svg_path.read_text(encoding="utf-8")
                self.check_svg(path, where, svg)
            self.hasher.update(svg.encode() + b"\0")
            labels = {
                str(k): self.check_text(path, f"{where}.labels.{k}", v)
                for k, v in (spec.get("labels") or {}).items()
            }
            for name in set(PLACEHOLDER.findall(svg)) - set(labels) - PLACEHOLDERS:
                self.error(
                    path, f"{where}.file", f"the drawing uses {{{name}}}, which has no label"
                )
            in_modules = [str(m) for m in spec.get("modules") or []]
            for module_id in set(in_modules) - modules:
                self.error(path, f"{where}.modules", f"unknown module {module_id!r}")
            if spec.get("width") not in ("narrow", "wide"):
                self.error(path, f"{where}.width", "must be narrow or wide")
            if spec.get("review_status") not in REVIEW_STATUSES:
                self.error(
                    path, f"{where}.review_status", f"must be one of {', '.join(REVIEW_STATUSES)}"
                )
            out[where] = Figure(
                id=where,
                kind=kind,
                svg=svg,
                modules=tuple(in_modules),
                when=self.rule(path, f"{where}.when", spec["when"]) if "when" in spec else None,
                width=str(spec.get("width")),
                review_status=str(spec.get("review_status")),
                sources=self.keys(
                    path, f"{where}.sources", spec.get("sources"), self.sources, "source"
                ),
                labels={"en": labels},
                alt={
                    "en": self.check_text(path, f"{where}.alt", spec.get("alt"))
                    if kind == "drawing"
                    else ""
                },
                caption={"en": self.check_text(path, f"{where}.caption", spec.get("caption"))},
                sha256=hashlib.sha256((svg + yaml_dump(spec)).encode()).hexdigest(),
            )
        return out

    def check_svg(self, path: Path, where: str, svg: str) -> None:
        """A drawing is inlined in the handout: only shapes and placeholder text are allowed."""
        if not svg.lstrip().startswith("<svg"):
            self.error(path, f"{where}.file", "must start with an <svg> element")
        for forbidden in ("<script", "<style", "<image", "<title", "href", "<foreignObject"):
            if forbidden.casefold() in svg.casefold():
                self.error(path, f"{where}.file", f"must not contain {forbidden}")
        if re.search(r"\son[a-z]+\s*=", svg):
            self.error(path, f"{where}.file", "must not contain event attributes")

    def english_words(self, texts: _Texts) -> dict[str, WordDict]:
        """Return every translatable file's English words by id, keyed by the file's path
        under content/ (what a language's bilingual file must cover)."""
        tables: dict[str, WordDict] = {m.file: module_words(m.text["en"]) for m in texts.modules}
        tables["signs.yaml"] = {k: sign.text["en"] for k, sign in texts.signs.items()}
        for name, items, keys in texts.entries():
            tables[name] = {
                f"{item.id}.{key}": getattr(item, key)["en"] for item in items for key in keys
            }
        table: WordDict = {}
        for figure in texts.figures.values():
            if figure.alt["en"]:
                table[f"{figure.id}.alt"] = figure.alt["en"]
            table[f"{figure.id}.caption"] = figure.caption["en"]
            table.update((f"{figure.id}.label.{k}", v) for k, v in figure.labels["en"].items())
        tables["figures.yaml"] = table
        tables["library.yaml"] = {f"sections.{k}": v["en"] for k, v in texts.sections.items()}
        tables["ui.yaml"] = flat_words(texts.uis["en"])
        return tables

    def editions(self, language: str) -> dict[str, Source]:
        """Read the editions of registered sources published in ``language`` (optional file)."""
        path = i18n_path(self.root, language, self.root / "sources.yaml")
        out = {}
        for key, spec in (self.read(path, optional=True) or {}).items():
            english = self.sources.get(str(key))
            if english is None:
                self.error(path, str(key), "is not a key of sources.yaml")
                continue
            if not isinstance(spec, dict) or not all(spec.get(k) for k in ("publisher", "title")):
                self.error(path, str(key), "needs publisher and title (and url)")
                continue
            out[str(key)] = replace(
                english,
                publisher=str(spec["publisher"]),
                title=str(spec["title"]),
                url=str(spec.get("url") or ""),
            )
        return out

    def translate(
        self, language: str, tables: dict[str, WordDict], texts: _Texts
    ) -> dict[str, Translation]:
        """Give every text its words in ``language``; the rules stay the English file's."""
        found: dict[str, Translation] = {}
        for name, table in tables.items():
            path = i18n_path(self.root, language, self.root / name)
            raw = self.read(path, optional=True)
            done = read_translation(
                raw, path=self.where(path), language=language, english=table, problems=self.problems
            )
            if done is not None:
                found[name] = done
        if len(found) < len(tables):
            return found
        words = {name: done.words for name, done in found.items()}
        for module in texts.modules:
            module.text[language] = translate_module(module.text["en"], words[module.file])
        for sign in texts.signs.values():
            sign.text[language] = str(words["signs.yaml"][sign.id])
        for name, items, keys in texts.entries():
            for item in items:
                for key in keys:  # a list (match phrases, columns) stays a tuple
                    text = getattr(item, key)
                    word = words[name][f"{item.id}.{key}"]
                    text[language] = tuple(word) if isinstance(text["en"], tuple) else str(word)
        for figure in texts.figures.values():
            table = words["figures.yaml"]
            figure.alt[language] = str(table.get(f"{figure.id}.alt", ""))
            figure.caption[language] = str(table[f"{figure.id}.caption"])
            figure.labels[language] = {
                k: str(table[f"{figure.id}.label.{k}"]) for k in figure.labels["en"]
            }
        for key, headings in texts.sections.items():
            headings[language] = str(words["library.yaml"][f"sections.{key}"])
        texts.uis[language] = unflat_words(texts.uis["en"], words["ui.yaml"])
        return found

    def load(self) -> Library:
        meta = self.read("library.yaml") or {}
        ui = self.read("ui.yaml") or {}
        self.named_conditions()
        self.tag_register()
        self.sources = self.source_register()
        signs = self.signs()
        logs = self.logs()
        glossary = self.glossary()
        conflicts = self.conflicts()
        checks = self.checks()
        modules = []
        seen: dict[str, str] = {}
        for path in sorted((self.root / "modules").rglob("*.yaml")):
            module = self.module(path, signs, logs)
            if module is None:
                continue
            if module.id in seen:
                self.error(path, "id", f"{module.id!r} is also used by {seen[module.id]}")
            seen[module.id] = module.path
            modules.append(module)
        figures = self.figures({m.id for m in modules})
        for entry in glossary:
            for module_id in set(entry.defined_in) - {m.id for m in modules}:
                where = f"{entry.id}.defined_in"
                self.error(self.root / "glossary.yaml", where, f"unknown module {module_id!r}")
        words = self.word_list()
        if self.problems:
            raise ContentError(self.problems)
        sections = {s["id"]: {"en": s["heading"]} for s in meta["sections"]}
        uis = {"en": ui}
        texts = _Texts(modules, signs, glossary, logs, figures, sections, uis)
        tables = self.english_words(texts)
        translations = {
            language: self.translate(language, tables, texts)
            for language in self.languages
            if language != "en"
        }
        editions = {lang: self.editions(lang) for lang in self.languages if lang != "en"}
        if self.problems:
            raise ContentError(self.problems)
        return Library(
            content_version=str(meta["content_version"]),
            digest=self.hasher.hexdigest(),
            languages=self.languages,
            sections=sections,
            sections_with_questions=frozenset(
                s["id"] for s in meta["sections"] if s.get("with_questions")
            ),
            ui=uis,
            modules=tuple(
                sorted(modules, key=lambda m: (SECTIONS.index(m.section), m.order, m.id))
            ),
            signs=signs,
            sources=self.sources,
            glossary=glossary,
            logs=logs,
            conditions=self.conditions,
            tags=self.tags,
            conflicts=conflicts,
            checks=checks,
            figures=figures,
            word_list={"en": words},
            translations=translations,
            english_words=tables,
            editions=editions,
        )


@cache
def load_library(root: Path = CONTENT_DIR, *, english_only: bool = False) -> Library:
    """Load and check the content library once per process; raise ContentError listing problems.

    ``english_only`` skips the other languages' words (for the tool that starts them).
    """
    vocab = load_vocabulary(root, english_only=english_only)
    return _Loader(root, vocab, english_only=english_only).load()
