"""Choose what a handout says: a pure function from a profile to an ordered ``Plan``.

No I/O happens here. The plan holds text with clinic ``{placeholders}`` still in it; the HTML
step fills them. Everything printed comes from selected modules, so a module that does not
apply can never leak a sentence into the handout. Each printed line keeps the tags, sources
and ``general`` flag of the item it came from, for the clinician's view and the checks.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from careplan.library import (
    PLACEHOLDER,
    Block,
    GlossaryEntry,
    Item,
    Library,
    LogPage,
    Module,
    Ref,
    Source,
)
from careplan.model import Profile
from careplan.rules import Facts, Reason
from careplan.vocab import Vocabulary

KEY_POINTS = 3
TRUSTED_SOURCES = 6  # at most, in the patient's copy
MAX_QUESTIONS = 6
# Questions about this patient's own treatments come first when the list is cut.
QUESTION_PRIORITY = ("treatment", "syndrome", "nutrition", "safety", "about", "support")
PANCREATIC_GROUP = "pancreatic_surgery"


@dataclass(frozen=True)
class Line:
    """One printed item: its words, and what the checks and the clinician's view need."""

    id: str
    text: str
    module: str
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    general: bool = False


@dataclass(frozen=True)
class SelectedBlock:
    """A module sub-section after its item rules were applied."""

    id: str
    heading: str
    paragraphs: tuple[Line, ...]
    bullets: tuple[Line, ...]
    steps: bool = False


@dataclass(frozen=True)
class SelectedFigure:
    """A drawing chosen for this handout, with its words in the handout's language."""

    id: str
    kind: str
    svg: str
    labels: dict[str, str]
    alt: str
    caption: str
    width: str
    pending: bool
    sha256: str


@dataclass(frozen=True)
class SelectedModule:
    """A module chosen for this patient, with only the sentences that apply."""

    id: str
    section: str
    title: str
    intro: tuple[Line, ...]
    blocks: tuple[SelectedBlock, ...]
    side_effects: tuple[Line, ...]
    self_care: tuple[Line, ...]
    sources: tuple[str, ...]  # every source behind what this module prints
    review_status: str
    last_reviewed: dt.date
    review_due: dt.date
    reasons: tuple[str, ...]
    status: str | None = None  # therapy status label, for treatment modules about one therapy
    figures: tuple[SelectedFigure, ...] = ()

    def lines(self) -> tuple[Line, ...]:
        """Return every printed line of the module body."""
        body = [line for b in self.blocks for line in (*b.paragraphs, *b.bullets)]
        return (*self.intro, *body, *self.side_effects, *self.self_care)


@dataclass(frozen=True)
class SignLine:
    """One line of the "call now" box."""

    id: str
    level: str
    text: str


@dataclass(frozen=True)
class Section:
    """A handout section and its modules."""

    id: str
    heading: str
    modules: tuple[SelectedModule, ...]
    with_questions: bool = False  # prints beside the questions to ask, not with the topics


@dataclass(frozen=True)
class Plan:
    """Everything a handout will say, in print order."""

    language: str
    title: str
    facts: tuple[tuple[str, str], ...]  # "plan at a glance" rows: (label, value)
    key_points: tuple[Line, ...]
    sections: tuple[Section, ...]
    signs: tuple[SignLine, ...]
    questions: tuple[Line, ...]
    glossary: tuple[tuple[str, str], ...]
    logs: tuple[LogPage, ...]
    wallet_card: tuple[Line, ...]
    sources: tuple[Source, ...]  # every source behind the printed text, about this profile
    content_version: str
    trusted: tuple[Source, ...] = ()  # the patient's short list: original and authoritative
    patient_name: str | None = None
    notes: str | None = None
    wallet_title: str = ""  # the card's first line: a tumor, or a carcinoma
    pending: tuple[Module, ...] = ()  # selected modules still pending clinical review
    warnings: tuple[str, ...] = field(default=())  # for the nurse; never printed

    @property
    def module_ids(self) -> tuple[str, ...]:
        """Return the ids of the selected modules in print order."""
        return tuple(m.id for m in self.modules())

    def modules(self) -> tuple[SelectedModule, ...]:
        """Return the selected modules in print order."""
        return tuple(m for s in self.sections for m in s.modules)

    def lines(self) -> tuple[Line, ...]:
        """Return every printed line: key points, module bodies, questions and wallet card."""
        body = [line for s in self.sections for m in s.modules for line in m.lines()]
        return (*self.key_points, *body, *self.questions, *self.wallet_card)

    def texts(self) -> list[str]:
        """Return every printed string (headings and signs too), for checks and the glossary."""
        out = [self.title, *(line.text for line in self.lines())]
        for section in self.sections:
            out.append(section.heading)
            for module in section.modules:
                out += [module.title, *(b.heading for b in module.blocks)]
        return out + [s.text for s in self.signs]


class _Selector:
    """Applies item rules for one profile and names this patient's own medicines in the text."""

    def __init__(self, facts: Facts, library: Library, words: dict[str, str]) -> None:
        self.facts = facts
        self.library = library
        self.words = words

    def say(self, text: str) -> str:
        """Fill the profile placeholders (``{analog_name}``); clinic ones wait for the HTML."""
        return PLACEHOLDER.sub(lambda m: self.words.get(m[1], m[0]), text)

    def holds(self, thing: Item | Block | Ref) -> bool:
        return thing.when is None or thing.when.holds(self.facts)

    def about(self, keys: Iterable[str]) -> tuple[str, ...]:
        """Keep the sources that are about this profile (a lanreotide patient never sees the
        octreotide label cited, even by a module shared by every analog)."""
        rules = ((k, self.library.sources[k].about) for k in keys)
        return tuple(k for k, about in rules if about is None or about.holds(self.facts))

    def lines(
        self, items: Iterable[Item], module: str, inherited: tuple[str, ...]
    ) -> tuple[Line, ...]:
        return tuple(
            Line(
                i.id,
                self.say(i.text),
                module,
                self.about(i.sources or inherited),
                i.tags,
                i.general,
            )
            for i in items
            if self.holds(i)
        )

    def blocks(self, module: Module, lang: str) -> tuple[SelectedBlock, ...]:
        out = []
        for block in module.text[lang].blocks:
            if not self.holds(block):
                continue
            inherited = block.sources or module.sources
            paragraphs = self.lines(block.paragraphs, module.id, inherited)
            bullets = self.lines(block.bullets, module.id, inherited)
            if paragraphs or bullets:
                heading = self.say(block.heading)
                out.append(SelectedBlock(block.id, heading, paragraphs, bullets, block.steps))
        return tuple(out)

    def module(
        self, module: Module, lang: str, reasons: list[Reason], status: str | None
    ) -> SelectedModule:
        text = module.text[lang]
        blocks = self.blocks(module, lang)
        selected = SelectedModule(
            id=module.id,
            section=module.section,
            title=self.say(text.title),
            intro=self.lines(text.intro, module.id, module.sources),
            blocks=blocks,
            side_effects=self.lines(text.side_effects, module.id, module.sources),
            self_care=self.lines(text.self_care, module.id, module.sources),
            sources=(),
            review_status=module.review_status,
            last_reviewed=module.last_reviewed,
            review_due=module.review_due,
            reasons=tuple(dict.fromkeys(r.text for r in reasons)) or ("applies to every handout",),
            status=status,
        )
        keys = [
            *self.about(module.sources),
            *(k for line in selected.lines() for k in line.sources),
        ]
        return replace(selected, sources=tuple(dict.fromkeys(keys)))


def _with_figures(
    chosen: list[tuple[Module, SelectedModule]], library: Library, facts: Facts, lang: str
) -> list[tuple[Module, SelectedModule]]:
    """Attach each figure whose rule holds to the first of its modules the handout prints."""
    printed = [m.id for m, _ in chosen]
    figures: dict[str, list[SelectedFigure]] = {}
    for figure in library.figures.values():
        home = next((m for m in figure.modules if m in printed), None)
        if home is None or (figure.when is not None and not figure.when.holds(facts)):
            continue
        figures.setdefault(home, []).append(
            SelectedFigure(
                figure.id,
                figure.kind,
                figure.svg,
                figure.labels[lang],
                figure.alt[lang],
                figure.caption[lang],
                figure.width,
                figure.review_status == "pending",
                figure.sha256,
            )
        )
    return [(m, replace(s, figures=tuple(figures.get(m.id, ())))) for m, s in chosen]


def _unique(lines: Iterable[Line]) -> tuple[Line, ...]:
    """Keep the first line of each text (two modules may ask the same question)."""
    first: dict[str, Line] = {}
    for line in lines:
        first.setdefault(line.text, line)
    return tuple(first.values())


def _refs(refs: Iterable[Ref], facts: Facts) -> Iterator[str]:
    return (r.id for r in refs if r.when is None or r.when.holds(facts))


def _therapy_status(
    module: Module, profile: Profile, ui: dict[str, Any], reasons: list[Reason]
) -> str | None:
    """Label a treatment module with its therapy's status when it is about exactly one therapy."""
    therapies = {r.therapy for r in reasons if r.therapy is not None}
    if module.section != "treatment" or len(therapies) != 1:
        return None
    status = profile.status_of(therapies.pop())
    return ui["status"][status] if status else None


def profile_words(
    profile: Profile, vocab: Vocabulary, ui: dict[str, Any], lang: str
) -> dict[str, str]:
    """Return each profile placeholder's words: the names of this patient's own medicines."""
    words = {}
    for word in vocab.profile_words.values():
        held = [t for t in profile.therapies if word.group in vocab.therapy_groups(t.id)]
        ongoing = [t for t in held if t.status != "completed"] or held
        names = list(dict.fromkeys(vocab.therapies.terms[t.id].name[lang] for t in ongoing))
        words[word.name] = _either(names, ui["word_or"], lang) or word.default[lang]
    return words


# Spanish writes "u" for "o" before a word that starts with the sound o ("lanreotida u
# octreotida"); the only grammar rule careplan needs to join words.
OR_BEFORE_O = {"es": "u"}


def _either(names: Sequence[str], word_or: str, lang: str) -> str:
    """Join names with "or", as the language does before each name."""
    out = names[0] if names else ""
    for name in names[1:]:
        joiner = word_or
        if lang in OR_BEFORE_O and name.lower().startswith(("o", "ho")):
            joiner = OR_BEFORE_O[lang]
        out += f" {joiner} {name}"
    return out


def _title(profile: Profile, ui: dict[str, Any]) -> str:
    base = ui["title_nec"] if profile.grade == "nec" else ui["title_net"]
    phrase = ui["site_phrase"].get(profile.tumor_site, "")
    return f"{base} {phrase}".strip()


def _facts_rows(
    profile: Profile, vocab: Vocabulary, ui: dict[str, Any], lang: str
) -> tuple[tuple[str, str], ...]:
    fields = vocab.fields
    rows = [
        (ui["plan_where"], fields["tumor_site"].label(profile.tumor_site, lang)),
        (ui["plan_extent"], fields["extent"].label(profile.extent, lang)),
        (ui["plan_grade"], fields["grade"].label(profile.grade, lang)),
        (
            ui["plan_hormones"],
            "; ".join(fields["hormone_syndrome"].label(s, lang) for s in profile.hormone_syndrome),
        ),
    ]
    if profile.pancreatic_surgery != "none" and profile.pancreatic_surgery_type:
        kind = fields["pancreatic_surgery_type"].label(profile.pancreatic_surgery_type, lang)
        rows.append(
            (
                ui["plan_pancreatic_surgery"],
                f"{kind} ({ui['pancreatic_surgery_status'][profile.pancreatic_surgery]})",
            )
        )
    treatments = "; ".join(
        f"{fields['therapies'].label(t.id, lang)} ({ui['status'][t.status]})"
        for t in profile.therapies
        if PANCREATIC_GROUP not in vocab.therapy_groups(t.id)
    )
    if treatments:
        rows.append((ui["plan_treatments"], treatments))
    return tuple(rows)


def _glossary(
    library: Library, lang: str, texts: list[str], printed: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    """Return the entries whose terms the printed text uses, each matched as a whole term.

    A hyphen is part of a word ("non-functioning" is not "functioning"), and where phrases
    overlap the longest wins ("non-functioning tumor" hides "functioning tumor").
    """
    owners: dict[str, GlossaryEntry] = {}
    for entry in library.glossary:
        if set(entry.defined_in) & set(printed):
            continue  # the handout defines it where it is first used
        for phrase in entry.match[lang]:
            owners.setdefault(phrase.casefold(), entry)
    haystack = "\n".join(texts).casefold()
    # One pass: at each position the longest phrase that starts there (a lookahead, so
    # overlapping matches are all seen); then the longest matches win where they overlap.
    found = [
        (m.start(), m.start() + len(m.group(1)), owners[m.group(1)])
        for m in _phrases(tuple(owners)).finditer(haystack)
    ]
    taken: list[tuple[int, int]] = []
    used: dict[str, GlossaryEntry] = {}
    for start, end, entry in sorted(found, key=lambda f: f[0] - f[1]):
        if not any(start < e and s < end for s, e in taken):
            taken.append((start, end))
            used.setdefault(entry.id, entry)
    entries = [(e.term[lang], e.definition[lang]) for e in library.glossary if e.id in used]
    return tuple(sorted(entries, key=lambda entry: _alphabetical(entry[0])))


@cache
def _phrases(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Compile every glossary phrase into one pattern, longest first, whole terms only."""
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?=({alternatives})(?![\w-]))")


def _alphabetical(term: str) -> str:
    """Sort key for a glossary term in any language: accents and case do not move it."""
    decomposed = unicodedata.normalize("NFD", term.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def build_plan(profile: Profile, library: Library, vocab: Vocabulary, *, today: dt.date) -> Plan:
    """Select and order everything this profile's handout says."""
    lang = profile.language
    ui = library.ui[lang]
    facts = Facts.of(profile, vocab)
    select = _Selector(facts, library, profile_words(profile, vocab, ui, lang))
    chosen: list[tuple[Module, SelectedModule]] = []
    for module in library.modules:
        ok, reasons = module.applies_when.evaluate(facts)
        if ok:
            status = _therapy_status(module, profile, ui, reasons)
            chosen.append((module, select.module(module, lang, reasons, status)))
    modules = [m for m, _ in chosen]
    chosen = _with_figures(chosen, library, facts, lang)

    sections = tuple(
        Section(
            sid,
            heading[lang],
            tuple(s for m, s in chosen if m.section == sid),
            with_questions=sid in library.sections_with_questions,
        )
        for sid, heading in library.sections.items()
        if any(m.section == sid for m in modules)
    )
    offered = [(m, select.lines(m.text[lang].key_points, m.id, m.sources)) for m in modules]
    ranked = sorted(((m, kp[0]) for m, kp in offered if kp), key=lambda mk: mk[0].key_point_rank)
    key_points = tuple(line for _, line in ranked[:KEY_POINTS])

    sign_ids = dict.fromkeys(_refs((r for m in modules for r in m.call_now), facts))
    replaced = {r for s in sign_ids for r in library.signs[s].replaces}
    sign_ids = {s: None for s in sign_ids if s not in replaced}  # one fever line, not two
    signs = sorted(
        (library.signs[s] for s in sign_ids), key=lambda s: (s.level != "emergency", s.order, s.id)
    )
    by_priority = sorted(modules, key=lambda m: QUESTION_PRIORITY.index(m.section))
    asked = [q for m in by_priority for q in select.lines(m.text[lang].questions, m.id, m.sources)]
    questions = _unique(asked)[:MAX_QUESTIONS]
    wallet = [w for m in modules for w in select.lines(m.text[lang].wallet_card, m.id, m.sources)]
    wallet_card = _unique(wallet)
    log_ids = dict.fromkeys(_refs((r for m in modules for r in m.logs), facts))
    logs = tuple(sorted((library.logs[i] for i in log_ids), key=lambda p: (p.order, p.id)))

    printed = [*key_points, *questions, *wallet_card]
    source_keys = dict.fromkeys(
        [*(k for _, s in chosen for k in s.sources), *(k for line in printed for k in line.sources)]
    )
    citable = library.sources_in(lang)  # another language cites only editions in it
    sources = tuple(citable[k] for k in sorted(source_keys, key=_source_sort_key) if k in citable)
    plan = Plan(
        language=lang,
        title=_title(profile, ui),
        wallet_title=ui["wallet_title_nec" if profile.grade == "nec" else "wallet_title"],
        facts=_facts_rows(profile, vocab, ui, lang),
        key_points=key_points,
        sections=sections,
        signs=tuple(SignLine(s.id, s.level, s.text[lang]) for s in signs),
        questions=questions,
        glossary=(),
        logs=logs,
        wallet_card=wallet_card,
        sources=sources,
        trusted=_trusted(sources, [*printed, *(ln for _, s in chosen for ln in s.lines())]),
        content_version=library.content_version,
        patient_name=profile.patient_name,
        notes=profile.notes,
        pending=tuple(m for m in modules if m.review_status == "pending"),
    )
    warnings = [check.text for check in library.checks if check.when.holds(facts)]
    warnings += [
        f"content module {m.id} was due for review on {m.review_due.isoformat()}"
        for m in modules
        if m.review_due < today
    ]
    return replace(
        plan,
        glossary=_glossary(library, lang, plan.texts(), plan.module_ids),
        warnings=tuple(warnings),
    )


def _trusted(sources: tuple[Source, ...], lines: list[Line]) -> tuple[Source, ...]:
    """Pick the patient's trusted sources: original and grade A, those behind the most printed
    lines first, one per publisher before a second from any."""
    usable = {s.key: s for s in sources if s.kind == "original" and s.quality == "A"}
    backed = {key: sum(key in line.sources for line in lines) for key in usable}
    ranked = [usable[k] for k in sorted(usable, key=lambda k: (-backed[k], _source_sort_key(k)))]
    chosen: list[Source] = []
    for source in ranked:
        if all(s.publisher != source.publisher for s in chosen):
            chosen.append(source)
    for source in ranked:
        if all(s.title != source.title for s in chosen):
            chosen.append(source)
    return tuple(chosen[:TRUSTED_SOURCES])


def clinical_checks(profile: Profile, library: Library, vocab: Vocabulary) -> list[str]:
    """Return the nurse warnings (``checks.yaml``) that hold for this profile."""
    facts = Facts.of(profile, vocab)
    return [check.text for check in library.checks if check.when.holds(facts)]


def explain(plan: Plan) -> dict[str, Any]:
    """Return which sections and modules a handout holds, and the facts that chose each."""
    return {
        "title": plan.title,
        "sections": [
            {
                "section": s.id,
                "heading": s.heading,
                "modules": [
                    {"id": m.id, "title": m.title, "because": list(m.reasons)} for m in s.modules
                ],
            }
            for s in plan.sections
        ],
        "call_now": [s.id for s in plan.signs],
        "logs": [log.id for log in plan.logs],
        "wallet_card": bool(plan.wallet_card),
        "warnings": list(plan.warnings),
    }


def _source_sort_key(key: str) -> tuple[str, int, str]:
    match = re.match(r"([A-Za-z]+)(\d*)(.*)", key)
    if not match:
        return (key, 0, "")
    prefix, number, rest = match.groups()
    return (prefix, int(number or 0), rest)
