"""Tailoring as a safety property, proved over the input space rather than a few examples.

Every plan, for every profile generated here, must hold these invariants:

- the modules printed are exactly those whose rules hold (nothing missing, nothing extra);
- no conflict rule fires (no printed line carries a tag a holding rule forbids);
- no treatment the patient does not have is named, except in items marked ``general``;
- every glossary entry printed is used by the printed text;
- the trusted sources are original, grade A, at most six, and back printed lines;
- the "things to remember" heading says how many there are;
- no dose of a drug, supplement or enzyme (glucose readings in mg/dL and mmol/L are allowed);
- nothing tells the patient to stop, skip or change a medicine on their own;
- no profile placeholder is left unfilled.

The grids cover every therapy in every status on every site, and every syndrome and surgery
state; Hypothesis then draws 600 mixed profiles (a fixed seed, so a failure reproduces).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careplan.errors import ProfileError
from careplan.library import CONTENT_DIR, Library, load_library
from careplan.plan import Plan, build_plan
from careplan.profile import parse_profile
from careplan.rules import Facts
from careplan.vocab import Vocabulary, load_vocabulary

TODAY = dt.date(2026, 11, 26)
VOCAB = load_vocabulary()
LIBRARY = load_library()
STATUSES = ("planned", "current", "completed")
PANCREATIC = "pancreatic_surgery"
THERAPY_IDS = [t for t in VOCAB.therapies.ids if PANCREATIC not in VOCAB.therapy_groups(t)]
OPERATIONS = [t for t in VOCAB.therapies.ids if PANCREATIC in VOCAB.therapy_groups(t)]
# A dose: a number with a unit of drug amount. Glucose readings are measurements.
DOSE = re.compile(
    r"\b\d[\d.,]*\s*(?:mg|mcg|µg|micrograms?|milligrams?|units?|IU|ml|mL)\b(?!\s*/\s*dL)"
)
ON_YOUR_OWN = re.compile(r"\b(stop|skip|change|double|miss)\b[^.]*\bon your own\b", re.IGNORECASE)
NEGATION = re.compile(r"\b(do not|don't|never|not)\b", re.IGNORECASE)
# Words that name a treatment but are also plain words of shared text.
COMMON_NAMES = frozenset(
    {
        "surgery",
        "operation",
        "resection",
        "radiation",
        "radiotherapy",
        "chemotherapy",
        "enzymes",
        "immunotherapy",
        "checkpoint",
        "interferon",
        "ablation",
        "embolization",
        "targeted",
    }
)


def therapy_names(vocab: Vocabulary) -> dict[str, set[str]]:
    """Return, per therapy id, the drug and brand names a handout could print for it."""
    names: dict[str, set[str]] = {}
    for term in vocab.therapies.terms.values():
        words = {term.id, *term.aliases, *(n.casefold() for n in term.name.values())}
        names[term.id] = {
            w.casefold() for w in words if re.fullmatch(r"[a-z]{6,}", w) and w not in COMMON_NAMES
        }
    return names


NAMES = therapy_names(VOCAB)
DRUG_GROUPS = {"somatostatin_analog", "radioligand", "targeted_therapy", "chemotherapy"}
DRUG_GROUPS |= {"symptom_control", "immunotherapy"}
NAME_PATTERN = re.compile(
    r"(?<![\w-])("
    + "|".join(sorted({re.escape(n) for v in NAMES.values() for n in v}))
    + r")(?![\w-])",
    re.IGNORECASE,
)


def make(data: dict[str, Any]) -> tuple[Any, Plan] | None:
    try:
        profile = parse_profile(data, "generated").profile
    except ProfileError:
        return None
    return profile, build_plan(profile, LIBRARY, VOCAB, today=TODAY)


def violations(profile: Any, plan: Plan, library: Library = LIBRARY) -> Iterator[str]:
    """Yield every way ``plan`` breaks an invariant for ``profile``."""
    facts = Facts.of(profile, VOCAB)
    wanted = [m.id for m in library.modules if m.applies_when.holds(facts)]
    if list(plan.module_ids) != wanted:
        yield f"modules {plan.module_ids} != rules {wanted}"
    lines = plan.lines()
    for conflict in library.conflicts:
        if conflict.when.holds(facts):
            for line in lines:
                if conflict.forbid & set(line.tags):
                    yield f"conflict {conflict.id}: {line.module}:{line.id}"
    held = set(profile.therapy_ids)
    generic_groups = {g for t in held for g in VOCAB.therapy_groups(t) if t == g}
    absent = [
        t
        for t in VOCAB.therapies.ids
        if t not in held and not generic_groups & set(VOCAB.therapy_groups(t))
    ]
    named = {n for t in held for n in NAMES[t]}
    texts = [(f"{line.module}:{line.id}", line.text) for line in lines if not line.general]
    texts += [(f"sign:{s.id}", s.text) for s in plan.signs]
    for module in plan.modules():
        texts += [(f"{module.id}:title", module.title)]
        texts += [(f"{module.id}:{b.id}", b.heading) for b in module.blocks]
    absent_names = {n: t for t in absent for n in NAMES[t] - named}
    for where, text in texts:
        for match in NAME_PATTERN.finditer(text):
            name = match.group(1).casefold()
            if name in absent_names:
                yield f"names absent {absent_names[name]} ({name}) at {where}"
    printed = "\n".join(plan.texts()).casefold()
    for term, _ in plan.glossary:
        entry = next(e for e in library.glossary if e.term[plan.language] == term)
        if not any(m.casefold() in printed for m in entry.match[plan.language]):
            yield f"glossary {entry.id} printed but not used"
    if len(plan.trusted) > 6:
        yield "more than six trusted sources"
    for source in plan.trusted:
        if source.kind != "original" or source.quality != "A":
            yield f"trusted source {source.key} is not original and grade A"
        if not any(source.key in line.sources for line in lines) and not any(
            source.key in m.sources for m in plan.modules()
        ):
            yield f"trusted source {source.key} backs nothing printed"
    headings = library.ui[plan.language]["key_points_heading"]
    if plan.key_points and str(len(plan.key_points)) not in headings[len(plan.key_points) - 1]:
        yield "the key-points heading does not say how many"
    for text in plan.texts():
        if DOSE.search(text):
            yield f"a dose: {text[:80]}"
        for match in ON_YOUR_OWN.finditer(text):
            if not NEGATION.search(text[max(0, match.start() - 40) : match.end()]):
                yield f"tells the patient to act on their own: {text[:80]}"
        if re.search(r"\{(?!(?:" + "|".join(CLINIC_NAMES) + r")\})", text):
            yield f"an unfilled placeholder: {text[:80]}"


CLINIC_NAMES = sorted(__import__("careplan.clinic", fromlist=["PLACEHOLDERS"]).PLACEHOLDERS)


def _base(**overrides: Any) -> dict[str, Any]:
    return {"tumor_site": "small_intestine", "pancreatic_surgery": "none", **overrides}


# Two real syndromes may go together; "none" and "unknown" stand alone.
SYNDROMES = [s for s in VOCAB.fields["hormone_syndrome"].ids if s not in ("none", "unknown")]
PANCREATIC_STATES = [
    {"pancreatic_surgery": "none"},
    *(
        {"pancreatic_surgery": state, "pancreatic_surgery_type": operation}
        for state, operation in product(("planned", "done"), OPERATIONS)
    ),
]


def grid() -> Iterator[tuple[str, dict[str, Any]]]:
    """(a) every site x single syndrome x pancreatic state, under active surveillance;
    (b) every therapy id x status x pancreatic state; then every grade x extent x diabetes
    state of a busy profile."""
    sites, syndromes = VOCAB.fields["tumor_site"].ids, VOCAB.fields["hormone_syndrome"].ids
    for site, syndrome, state in product(sites, syndromes, PANCREATIC_STATES):
        name = f"{site}-{syndrome}-{'-'.join(state.values())}"
        yield (
            name,
            {
                "tumor_site": site,
                "hormone_syndrome": syndrome,
                **state,
                "therapies": ["active_surveillance"],
            },
        )
    for therapy, status, state in product(THERAPY_IDS, STATUSES, PANCREATIC_STATES):
        name = f"{therapy}:{status}-{'-'.join(state.values())}"
        yield name, {"tumor_site": "pancreas", **state, "therapies": [f"{therapy}:{status}"]}
    for grade, extent, diabetes in product(
        VOCAB.fields["grade"].ids, VOCAB.fields["extent"].ids, VOCAB.fields["diabetes"].ids
    ):
        yield (
            f"{grade}-{extent}-{diabetes}",
            _base(
                therapies=["lanreotide:current", "prrt_lu177:planned"],
                hormone_syndrome="carcinoid_syndrome",
                grade=grade,
                extent=extent,
                diabetes=diabetes,
            ),
        )


def test_the_grid_holds_every_invariant() -> None:
    found, checked = [], 0
    for name, data in grid():
        made = make(data)
        if made is None:
            continue
        checked += 1
        found += [f"{name}: {v}" for v in violations(*made)]
    assert checked >= 2500, checked
    assert found == []


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    therapies = draw(
        st.lists(
            st.tuples(st.sampled_from(THERAPY_IDS), st.sampled_from(STATUSES)),
            max_size=5,
            unique_by=lambda t: t[0],
        )
    )
    surgery = draw(st.sampled_from(("none", "none", "planned", "done")))
    data: dict[str, Any] = {
        "tumor_site": draw(st.sampled_from(VOCAB.fields["tumor_site"].ids)),
        "extent": draw(st.sampled_from(VOCAB.fields["extent"].ids)),
        "grade": draw(st.sampled_from(VOCAB.fields["grade"].ids)),
        "diabetes": draw(st.sampled_from(VOCAB.fields["diabetes"].ids)),
        "hormone_syndrome": draw(
            st.one_of(
                st.sampled_from(VOCAB.fields["hormone_syndrome"].ids).map(lambda s: [s]),
                st.lists(st.sampled_from(SYNDROMES), min_size=2, max_size=2, unique=True),
            )
        ),
        "therapies": [f"{t}:{s}" for t, s in therapies] or ["active_surveillance"],
        "pancreatic_surgery": surgery,
    }
    if surgery != "none":
        data["pancreatic_surgery_type"] = draw(st.sampled_from(OPERATIONS))
    return data


def test_generated_profiles_hold_every_invariant() -> None:
    """600 mixed profiles, derandomized (the same ones every run, so CI is repeatable)."""
    checked = []

    @settings(
        max_examples=600,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(profiles())
    def holds(data: dict[str, Any]) -> None:
        made = make(data)
        if made is None:  # the validator refused the mix (e.g. "none" with another syndrome)
            return
        checked.append(data)
        assert list(violations(*made)) == []

    holds()
    assert len(checked) >= 500, len(checked)


def test_the_checks_are_live(tmp_path: Path) -> None:
    """Each invariant catches what it is for: a forbidden tag, a named absent drug, a dose."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    module = root / "modules" / "support" / "getting_support.yaml"
    text = module.read_text(encoding="utf-8")
    text = text.replace(
        "intro:\n",
        'intro:\n  - {id: planted-sugar, text: "Cut down on sugar, and ask about sunitinib; '
        'take 5 mg.", tags: [restrict_sugar]}\n  - {id: planted-stop, text: "You can '
        'stop your shots on your own."}\n',
        1,
    )
    module.write_text(text, encoding="utf-8")
    library = load_library.__wrapped__(root, english_only=True)  # the planted text is English
    profile, _ = make(_base(hormone_syndrome="insulinoma", therapies=["everolimus:current"]))
    plan = build_plan(profile, library, VOCAB, today=TODAY)
    found = list(violations(profile, plan, library))
    assert any(v.startswith("conflict insulinoma-no-sugar-restriction") for v in found)
    assert any("names absent sunitinib" in v for v in found)
    assert any(v.startswith("a dose") for v in found)
    assert any(v.startswith("tells the patient to act on their own") for v in found)


@pytest.mark.parametrize("therapy", THERAPY_IDS)
def test_each_therapy_prints_words_of_its_own(therapy: str) -> None:
    """Tailoring the other way: a therapy brings modules no other profile has, and names
    itself (its drug or brand name) when it has one."""
    other = "lanreotide" if therapy == "active_surveillance" else "active_surveillance"
    made, baseline = make(_base(therapies=[therapy])), make(_base(therapies=[other]))
    assert made is not None
    assert baseline is not None
    _, plan = made
    assert set(plan.module_ids) - set(baseline[1].module_ids), f"{therapy} adds no module"
    printed = "\n".join(plan.texts()).casefold()
    groups = set(VOCAB.therapy_groups(therapy))
    is_drug = bool(groups & DRUG_GROUPS) and therapy not in groups  # a named drug, not a class
    if is_drug and re.fullmatch(r"[a-z]{6,}", therapy):
        assert therapy in printed, f"{therapy} is never named"
