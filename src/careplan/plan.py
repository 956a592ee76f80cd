"""Choose what a handout says: a pure function from a profile to an ordered ``Plan``.

No I/O happens here. The plan holds text with clinic ``{placeholders}`` still in it; the HTML
step fills them. Everything printed comes from selected modules, so a module that does not
apply can never leak a sentence into the handout.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from careplan.library import Block, Item, Library, LogPage, Module, Ref, Source
from careplan.model import Profile
from careplan.rules import Facts, Reason
from careplan.vocab import Vocabulary

KEY_POINTS = 3
MAX_QUESTIONS = 6
# Questions about this patient's own treatments come first when the list is cut.
QUESTION_PRIORITY = ("treatment", "syndrome", "nutrition", "safety", "about", "support")


@dataclass(frozen=True)
class SelectedBlock:
    """A module sub-section after its item rules were applied."""

    heading: str
    paragraphs: tuple[str, ...]
    bullets: tuple[str, ...]


@dataclass(frozen=True)
class SelectedModule:
    """A module chosen for this patient, with only the sentences that apply."""

    id: str
    section: str
    title: str
    intro: tuple[str, ...]
    blocks: tuple[SelectedBlock, ...]
    side_effects: tuple[str, ...]
    self_care: tuple[str, ...]
    sources: tuple[str, ...]
    last_reviewed: dt.date
    reasons: tuple[str, ...]
    status: str | None = None  # therapy status label, for treatment modules about one therapy


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


@dataclass(frozen=True)
class Plan:
    """Everything a handout will say, in print order."""

    language: str
    title: str
    facts: tuple[tuple[str, str], ...]  # "plan at a glance" rows: (label, value)
    key_points: tuple[str, ...]
    sections: tuple[Section, ...]
    signs: tuple[SignLine, ...]
    questions: tuple[str, ...]
    glossary: tuple[tuple[str, str], ...]
    logs: tuple[LogPage, ...]
    wallet_card: tuple[str, ...]
    sources: tuple[Source, ...]
    content_version: str
    patient_name: str | None = None
    notes: str | None = None
    warnings: tuple[str, ...] = field(default=())  # for the nurse; never printed

    @property
    def module_ids(self) -> tuple[str, ...]:
        """Return the ids of the selected modules in print order."""
        return tuple(m.id for s in self.sections for m in s.modules)


def _items(items: tuple[Item, ...], facts: Facts) -> tuple[str, ...]:
    return tuple(i.text for i in items if i.when is None or i.when.holds(facts))


def _refs(refs: Iterable[Ref], facts: Facts) -> Iterator[str]:
    return (r.id for r in refs if r.when is None or r.when.holds(facts))


def _blocks(blocks: tuple[Block, ...], facts: Facts) -> tuple[SelectedBlock, ...]:
    out = []
    for block in blocks:
        if block.when is not None and not block.when.holds(facts):
            continue
        paragraphs, bullets = _items(block.paragraphs, facts), _items(block.bullets, facts)
        if paragraphs or bullets:
            out.append(SelectedBlock(block.heading, paragraphs, bullets))
    return tuple(out)


def _therapy_status(
    module: Module, profile: Profile, ui: dict[str, Any], reasons: list[Reason]
) -> str | None:
    """Label a treatment module with its therapy's status when it is about exactly one therapy."""
    therapies = {r.therapy for r in reasons if r.therapy is not None}
    if module.section != "treatment" or len(therapies) != 1:
        return None
    status = profile.status_of(therapies.pop())
    return ui["status"][status] if status else None


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
        if "pancreatic_surgery" not in vocab.therapy_groups(t.id)
    )
    if treatments:
        rows.append((ui["plan_treatments"], treatments))
    return tuple(rows)


def _glossary(library: Library, lang: str, texts: list[str]) -> tuple[tuple[str, str], ...]:
    haystack = " ".join(texts).casefold()
    out = []
    for entry in library.glossary:
        for phrase in entry.match[lang]:
            if re.search(rf"(?<!\w){re.escape(phrase.casefold())}(?!\w)", haystack):
                out.append((entry.term[lang], entry.definition[lang]))
                break
    return tuple(out)


def build_plan(profile: Profile, library: Library, vocab: Vocabulary, *, today: dt.date) -> Plan:
    """Select and order everything this profile's handout says."""
    lang = profile.language
    ui = library.ui[lang]
    facts = Facts.of(profile, vocab)
    chosen: list[tuple[Module, SelectedModule]] = []
    for module in library.modules:
        ok, reasons = module.applies_when.evaluate(facts)
        if not ok:
            continue
        text = module.text[lang]
        chosen.append(
            (
                module,
                SelectedModule(
                    id=module.id,
                    section=module.section,
                    title=text.title,
                    intro=_items(text.intro, facts),
                    blocks=_blocks(text.blocks, facts),
                    side_effects=_items(text.side_effects, facts),
                    self_care=_items(text.self_care, facts),
                    sources=module.sources,
                    last_reviewed=module.last_reviewed,
                    reasons=tuple(dict.fromkeys(r.text for r in reasons))
                    or ("applies to every handout",),
                    status=_therapy_status(module, profile, ui, reasons),
                ),
            )
        )
    modules = [m for m, _ in chosen]

    sections = tuple(
        Section(sid, heading[lang], tuple(s for m, s in chosen if m.section == sid))
        for sid, heading in library.sections.items()
        if any(m.section == sid for m in modules)
    )
    offered = [(m, _items(m.text[lang].key_points, facts)) for m in modules]
    ranked = sorted(((m, kp[0]) for m, kp in offered if kp), key=lambda mk: mk[0].key_point_rank)
    key_points = tuple(text for _, text in ranked[:KEY_POINTS])

    sign_ids = dict.fromkeys(_refs((r for m in modules for r in m.call_now), facts))
    signs = sorted(
        (library.signs[s] for s in sign_ids), key=lambda s: (s.level != "emergency", s.order, s.id)
    )
    by_priority = sorted(modules, key=lambda m: QUESTION_PRIORITY.index(m.section))
    asked = (q for m in by_priority for q in _items(m.text[lang].questions, facts))
    questions = tuple(dict.fromkeys(asked))[:MAX_QUESTIONS]
    wallet = tuple(
        dict.fromkeys(w for m in modules for w in _items(m.text[lang].wallet_card, facts))
    )
    log_ids = dict.fromkeys(_refs((r for m in modules for r in m.logs), facts))
    logs = tuple(sorted((library.logs[i] for i in log_ids), key=lambda p: (p.order, p.id)))
    # Each module cites the facts behind its own call-now signs; the catalogue's citations
    # (for reviewers) would name drugs this patient does not take.
    source_keys = dict.fromkeys(k for m in modules for k in m.sources)

    texts = [s.title for _, s in chosen]
    for _, s in chosen:
        texts += [*s.intro, *s.side_effects, *s.self_care]
        texts += [t for b in s.blocks for t in (b.heading, *b.paragraphs, *b.bullets)]
    texts += [library.signs[s].text[lang] for s in sign_ids] + list(questions) + list(key_points)

    warnings = [check.text for check in library.checks if check.when.holds(facts)]
    warnings += [
        f"content module {m.id} is pending clinical review ({m.path})"
        for m in modules
        if m.review_status == "pending"
    ]
    warnings += [
        f"content module {m.id} was due for review on {m.review_due.isoformat()}"
        for m in modules
        if m.review_due < today
    ]
    return Plan(
        language=lang,
        title=_title(profile, ui),
        facts=_facts_rows(profile, vocab, ui, lang),
        key_points=key_points,
        sections=sections,
        signs=tuple(SignLine(s.id, s.level, s.text[lang]) for s in signs),
        questions=questions,
        glossary=_glossary(library, lang, texts),
        logs=logs,
        wallet_card=wallet,
        sources=tuple(library.sources[k] for k in sorted(source_keys, key=_source_sort_key)),
        content_version=library.content_version,
        patient_name=profile.patient_name,
        notes=profile.notes,
        warnings=tuple(warnings),
    )


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
