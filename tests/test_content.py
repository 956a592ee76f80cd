"""Checks on the clinical content library (src/careplan/content).

The engine's loader validates the schema; these tests add the clinical rules the content must
keep: every vocabulary value is covered, every module is dated and sourced, no dose is given,
no sentence tells the reader to stop a medicine on their own, and only known placeholders
appear.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from careplan.library import PLACEHOLDERS, Module, load_library
from careplan.plan import Plan
from careplan.profile import parse_profile
from careplan.render import plan_for
from careplan.resources import CONTENT_DIR
from careplan.vocab import load_vocabulary

MODULE_FILES = sorted(CONTENT_DIR.joinpath("modules").rglob("*.yaml"))
TODAY = dt.date(2026, 11, 26)

# A number followed by a drug/supplement/enzyme dose unit. Food and fluid amounts a patient acts
# on ("15 grams of fast sugar", "8 cups") are allowed, so grams and cups are not listed.
DOSE = re.compile(
    r"\b\d[\d,.]*\s*(mg|milligrams?|mcg|µg|ug|micrograms?|units?|iu|ml|millilit(?:er|re)s?"
    r"|mbq|gbq|mci)\b",
    re.IGNORECASE,
)
DOSE_WORDS = re.compile(r"\b(lipase|international units?)\b", re.IGNORECASE)
# "stop", "skip" or "quit" aimed at a medicine ("stop taking", "skip your shot", "stop it").
STOP = re.compile(
    r"\b(stop|stopping|skip|skipping|quit)\b[^.;]{0,30}?\b(taking|using|medicines?|tablets?"
    r"|capsules?|shots?|injections?|doses?|drugs?|pills?|treatment|enzymes?|(it|them)(?!\s+from))\b",
    re.IGNORECASE,
)
STOP_GUARD = re.compile(
    r"\b(do not|don't|never|unless your team|until your team|your team (will|tells|says))\b",
    re.IGNORECASE,
)
FORBIDDEN = [
    (re.compile(r"\bbenign\b", re.I), "never call a NET benign"),
    (re.compile(r"not (a )?real cancer", re.I), "never say 'not real cancer'"),
    (re.compile(r"grapefruit (juice )?is (fine|safe|ok)", re.I), "never say grapefruit is fine"),
    (re.compile(r"\btryptophan\b", re.I), "no tryptophan restriction advice"),
    # A diet named together with "cure" in one sentence, unless the sentence denies it.
    (
        re.compile(
            r"^(?!.*\b(no|not|cannot|can't)\b).*(\bdiet\b.*\bcur|\bcur\w*\b.*\bdiet\b)", re.I
        ),
        "never present a diet as a cure",
    ),
]


def all_patient_text() -> Iterator[tuple[str, str]]:
    """Yield (where, text) for every patient-facing string in the library."""
    yield from load_library().strings("en")


def sentences(text: str) -> list[str]:
    """Split text into rough sentences."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def make_plan(**fields: Any) -> Plan:
    """Return the content plan for a profile built from ``fields`` plus defaults."""
    data: dict[str, Any] = {
        "tumor_site": "pancreas",
        "therapies": ["active_surveillance"],
        "pancreatic_surgery": "none",
    }
    data.update(fields)
    return plan_for(parse_profile(data, "test").profile, today=TODAY)


def plan_sentences(plan: Plan) -> set[str]:
    """Every string the plan prints: titles, headings, lines, questions, cards and signs."""
    return set(plan.texts())


# -- loading and structure ------------------------------------------------------------------
def test_library_loads_and_validates() -> None:
    library = load_library()
    assert len(library.modules) == len(MODULE_FILES)
    assert library.signs
    assert library.glossary
    assert library.logs


@pytest.mark.parametrize("module", load_library().modules, ids=lambda m: m.id)
def test_module_review_dates_are_plausible(module: Module) -> None:
    assert module.last_reviewed <= dt.date.today()
    assert dt.timedelta(0) < module.review_due - module.last_reviewed <= dt.timedelta(days=731)


def test_every_source_has_a_quality_grade_and_a_plain_key() -> None:
    for key, source in load_library().sources.items():
        assert source.quality in ("A", "B", "C"), key
        assert re.fullmatch(r"[A-Za-z]+\d*[a-z]?", key), f"key {key} must be letters and digits"


def test_signs_are_each_used_by_some_module() -> None:
    library = load_library()
    used = {ref.id for m in library.modules for ref in m.call_now}
    assert set(library.signs) - used == set()


# -- forbidden wording ----------------------------------------------------------------------
def test_no_dose_in_patient_text() -> None:
    found = [(w, t) for w, t in all_patient_text() if DOSE.search(t) or DOSE_WORDS.search(t)]
    assert found == []


def test_no_sentence_tells_the_reader_to_stop_a_medicine() -> None:
    found = [
        (where, s)
        for where, text in all_patient_text()
        for s in sentences(text)
        if STOP.search(s) and not STOP_GUARD.search(s)
    ]
    assert found == []


def test_stop_and_dose_patterns_catch_bad_wording() -> None:
    assert STOP.search("Stop taking your tablets if you feel sick.")
    assert not STOP_GUARD.search("Stop taking your tablets if you feel sick.")
    assert DOSE.search("Take 500 mg of niacin.")
    assert DOSE.search("25,000 units with meals")
    assert not DOSE.search("Take 15 grams of fast sugar and drink 8 cups of fluid.")


def test_no_forbidden_claims() -> None:
    found = [
        (where, why, text)
        for where, text in all_patient_text()
        for sentence in sentences(text)
        for pattern, why in FORBIDDEN
        if pattern.search(sentence)
    ]
    assert FORBIDDEN[-1][0].search("This diet will cure your syndrome.")
    assert found == []


def test_only_allowed_placeholders() -> None:
    for where, text in all_patient_text():
        if where.startswith("ui.yaml"):  # fixed words have their own fields ({page}, {month})
            continue
        names = set(re.findall(r"\{([^{}]*)\}", text))
        allowed = PLACEHOLDERS | set(load_vocabulary().profile_words)
        assert names <= allowed, (where, names - allowed)
        assert text.count("{") == text.count("}"), where


# -- coverage of the vocabulary -------------------------------------------------------------
def _unique_per_value(field: str, values: list[str], **base: Any) -> None:
    """Each value must print at least one sentence that no other value of the field prints."""
    texts = {v: plan_sentences(make_plan(**base, **{field: v})) for v in values}
    for value, text in texts.items():
        others = set().union(*(t for v, t in texts.items() if v != value))
        assert text - others, f"{field}={value} prints nothing of its own"


@pytest.mark.parametrize("field", ["tumor_site", "extent", "grade", "hormone_syndrome"])
def test_every_profile_value_has_its_own_content(field: str) -> None:
    vocab = load_vocabulary()
    _unique_per_value(field, list(vocab.fields[field].ids))


def _therapy_profile(therapy: str) -> dict[str, Any]:
    vocab = load_vocabulary()
    if "pancreatic_surgery" in vocab.therapy_groups(therapy):
        return {
            "therapies": [therapy],
            "pancreatic_surgery": "done",
            "pancreatic_surgery_type": therapy,
        }
    return {"therapies": [therapy]}


def test_every_therapy_is_reachable() -> None:
    vocab = load_vocabulary()
    baselines = {"active_surveillance": plan_sentences(make_plan(therapies=["ppi"]))}
    default = plan_sentences(make_plan())
    missing = [
        t
        for t in vocab.fields["therapies"].ids
        if not plan_sentences(make_plan(**_therapy_profile(t))) - baselines.get(t, default)
    ]
    assert missing == []


@pytest.mark.parametrize("status", ["planned", "done"])
def test_every_pancreatic_operation_type_has_its_own_content(status: str) -> None:
    vocab = load_vocabulary()
    _unique_per_value(
        "pancreatic_surgery_type",
        list(vocab.fields["pancreatic_surgery_type"].ids),
        pancreatic_surgery=status,
    )


def test_lanreotide_handout_never_describes_octreotide() -> None:
    text = " ".join(plan_sentences(make_plan(therapies=["lanreotide"])))
    assert "Lanreotide" in text
    assert "octreotide" not in text.lower()


def test_nec_without_analog_never_mentions_analogs() -> None:
    plan = make_plan(grade="nec", therapies=["platinum_etoposide"], extent="distant")
    text = " ".join(plan_sentences(plan)).lower()
    for word in ("analog", "somatostatin", "octreotide", "lanreotide"):
        assert word not in text


def test_no_enzyme_instructions_without_pancreatic_surgery_or_pert() -> None:
    plan = make_plan(
        tumor_site="small_intestine",
        therapies=["lanreotide"],
        hormone_syndrome="carcinoid_syndrome",
    )
    assert "enzymes_after_pancreatic_surgery" not in plan.module_ids
    assert "every meal and every snack" not in " ".join(plan_sentences(plan))


def _listed(marker: str) -> set[str]:
    text = (Path(__file__).resolve().parent.parent / "docs" / "clinical-decisions.md").read_text(
        encoding="utf-8"
    )
    block = text.split(f"<!-- {marker} -->")[1].split(f"<!-- /{marker} -->")[0]
    return set(re.findall(r"^- `([a-z0-9_]+)`$", block, re.MULTILINE))


def test_the_pending_modules_are_the_ones_docs_clinical_decisions_lists() -> None:
    library = load_library()
    pending = {m.id for m in library.modules if m.review_status == "pending"}
    assert pending == _listed("pending-modules")


def test_the_pending_figures_are_the_ones_docs_clinical_decisions_lists() -> None:
    library = load_library()
    pending = {f.id for f in library.figures.values() if f.review_status == "pending"}
    assert pending == _listed("pending-figures")


def test_a_glossary_entry_left_out_for_a_module_is_used_by_that_module() -> None:
    """``defined_in`` drops an entry when a module that explains the term prints: that
    module must really use the term."""
    library = load_library()
    modules = {m.id: m for m in library.modules}
    for entry in library.glossary:
        for module_id in entry.defined_in:
            words = " ".join(
                [modules[module_id].text["en"].title]
                + [i.text for i in modules[module_id].text["en"].items()]
            ).casefold()
            assert any(m.casefold() in words for m in entry.match["en"]), (entry.id, module_id)
