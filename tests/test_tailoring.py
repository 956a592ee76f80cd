"""Table-driven tailoring checks on the rendered PDF text.

Each case is a profile and phrases that MUST and MUST NOT appear in the text read back from
the PDF (not the HTML). Phrases are short and distinctive so they come from one module or one
guarded sentence; the text is NFKC-normalised and its whitespace collapsed before matching.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from careplan.library import load_library
from careplan.vocab import load_vocabulary


@dataclass(frozen=True)
class Case:
    """A profile and what its handout must and must not say."""

    name: str
    profile: dict[str, Any]
    must: tuple[str, ...]
    must_not: tuple[str, ...] = ()
    # Must-not phrases that may appear in the source list only, because one source this
    # patient's own treatment needs also names the other drug or method (one CRUK page covers
    # both RF and microwave ablation; the shared analog module cites the octreotide label for
    # warnings common to all analogs). The patient-facing text is still checked for them.
    sources_may_name: tuple[str, ...] = ()


def P(site: str, therapies: list[str], **fields: Any) -> dict[str, Any]:
    """Build a profile mapping with sensible defaults."""
    base: dict[str, Any] = {
        "tumor_site": site,
        "therapies": therapies,
        "pancreatic_surgery": "none",
    }
    base.update(fields)
    return base


CASES = [
    Case(
        "whipple-done-insulinoma",
        P(
            "pancreas",
            [],
            pancreatic_surgery="done",
            pancreatic_surgery_type="whipple",
            hormone_syndrome="insulinoma",
            grade="g2",
            extent="localized",
        ),
        (
            "You had a Whipple operation",
            "every meal and every snack",
            "15 grams of fast sugar",
            "Eating after your Whipple operation",
            "My enzyme and weight log",
            "give me sugar",
        ),
        (
            "Lutathera",
            "grapefruit",
            "carcinoid crisis",
            "Not everyone needs enzyme capsules",
            "You are going to have",
        ),
    ),
    Case(
        "lanreotide-only",
        P("small_intestine", ["lanreotide:current"], extent="distant", grade="g1"),
        (
            "Lanreotide (Somatuline)",
            "upper, outer buttock",
            "vitamin B12",
            "My injection record",
            "tell every doctor, dentist",
        ),
        (
            "Sandostatin LAR",
            "Short-acting octreotide",
            "PRRT",
            "every meal and every snack",
            "flush twice",
        ),
        sources_may_name=("Sandostatin LAR",),
    ),
    Case(
        "octreotide-lar-prrt-carcinoid",
        P(
            "small_intestine",
            ["octreotide_lar:current", "prrt_lu177:planned"],
            hormone_syndrome="carcinoid_syndrome",
            extent="distant",
        ),
        (
            "Sandostatin LAR",
            "flush twice",
            "at least 4 weeks before a PRRT dose",
            "Protect yourself from a carcinoid crisis",
            "niacin",
            "echocardiogram",
            "My symptom and food diary",
            "for several months after",
            "PRRT letter",
        ),
        ("Lanreotide (Somatuline)", "grapefruit", "Short-acting octreotide"),
    ),
    Case(
        "everolimus-pancreas",
        P("pancreas", ["everolimus:current"], extent="distant"),
        (
            "Everolimus tablets",
            "grapefruit",
            "soft toothbrush",
            "My tablet calendar",
            "ACE inhibitor",
        ),
        ("Sutent", "Lutathera", "somatostatin analog"),
    ),
    Case(
        "sunitinib-pancreas",
        P("pancreas", ["sunitinib"], extent="distant"),
        ("Sunitinib capsules", "grapefruit", "peeling palms and soles", "blood pressure"),
        ("Afinitor", "everolimus", "Lutathera"),
    ),
    Case(
        "captem-pancreas",
        P("pancreas", ["captem:current"], extent="distant", grade="g2"),
        (
            "capecitabine with food",
            "empty stomach",
            "folic acid",
            "10 cups",
            "DPD test",
            "My tablet calendar",
            "blood counts are low",
        ),
        ("grapefruit", "PRRT", "somatostatin analog"),
    ),
    Case(
        "nec-platinum-etoposide",
        P("colon", ["platinum_etoposide"], grade="nec", extent="distant"),
        (
            "What a neuroendocrine carcinoma is",
            "etoposide",
            "ringing in",
            "Make sure you know which one you have",
        ),
        ("analog", "octreotide", "lanreotide", "Living with a NET", "islet cell"),
    ),
    Case(
        "active-surveillance-small-pnet",
        P("pancreas", ["active_surveillance"], extent="localized", grade="g1"),
        ("Active surveillance", "Doctors still talk about which tumors", "grade 1"),
        ("chemotherapy", "PRRT", "every meal and every snack", "analog"),
    ),
    Case(
        "distal-done-no-pert",
        P(
            "pancreas",
            [],
            pancreatic_surgery="done",
            pancreatic_surgery_type="distal_pancreatectomy",
        ),
        ("Not everyone needs enzyme capsules", "tail of the pancreas", "My blood sugar log"),
        ("Whipple", "You need them with every meal"),
    ),
    Case(
        "distal-done-with-pert",
        P(
            "pancreas",
            ["pert"],
            pancreatic_surgery="done",
            pancreatic_surgery_type="distal_pancreatectomy",
        ),
        ("You need them with every meal", "How to take your capsules"),
        ("Not everyone needs enzyme capsules",),
    ),
    Case(
        "total-pancreatectomy-done",
        P(
            "pancreas",
            [],
            pancreatic_surgery="done",
            pancreatic_surgery_type="total_pancreatectomy",
        ),
        ("whole pancreas", "always have diabetes", "15 grams of fast sugar", "give me sugar"),
        ("Not everyone needs enzyme capsules", "Removing the tail"),
    ),
    Case(
        "central-pancreatectomy-done",
        P(
            "pancreas",
            [],
            pancreatic_surgery="done",
            pancreatic_surgery_type="central_pancreatectomy",
        ),
        ("middle part of your pancreas", "Not everyone needs enzyme capsules"),
        ("Whipple", "15 grams of fast sugar"),
    ),
    Case(
        "enucleation-done",
        P(
            "pancreas",
            [],
            pancreatic_surgery="done",
            pancreatic_surgery_type="enucleation",
            hormone_syndrome="insulinoma",
        ),
        ("You had an enucleation", "Keeping most of the pancreas", "Insulinoma"),
        ("You need them with every meal", "You are going to have"),
    ),
    Case(
        "whipple-planned-gastrinoma",
        P(
            "duodenum",
            ["ppi:current"],
            pancreatic_surgery="planned",
            pancreatic_surgery_type="whipple",
            hormone_syndrome="gastrinoma",
        ),
        (
            "You are going to have a Whipple operation",
            "You may need enzyme capsules",
            "MEN1",
            "Never stop it suddenly",
            "duodenum",
            "coffee grounds",
        ),
        ("You had a Whipple", "Eating after your Whipple", "every meal and every snack"),
    ),
    Case(
        "enucleation-planned",
        P("pancreas", [], pancreatic_surgery="planned", pancreatic_surgery_type="enucleation"),
        ("You are going to have an enucleation",),
        ("You may need enzyme capsules", "You had an enucleation"),
    ),
    Case(
        "unknown-type-planned",
        P("pancreas", [], pancreatic_surgery="planned", pancreatic_surgery_type="unknown"),
        ("which part of the pancreas they plan to remove", "You may need enzyme capsules"),
        ("You had",),
    ),
    Case(
        "unknown-type-done",
        P("pancreas", [], pancreatic_surgery="done", pancreatic_surgery_type="unknown"),
        ("which part of your pancreas was removed", "Not everyone needs enzyme capsules"),
        ("You are going to have",),
    ),
    Case(
        "appendix-appendectomy",
        P("appendix", ["appendectomy:completed"], extent="localized"),
        ("take out the appendix", "Where your tumor started: the appendix"),
        ("Whipple", "pancreas operation", "analog"),
    ),
    Case(
        "lung-resection",
        P("lung", ["lung_resection:completed"], grade="g1"),
        ("lung carcinoids", "breathing exercises"),
        (
            "small bowel",
            "Whipple",
            "PRRT",
            "Afinitor",
            "Lutathera",
            "Sutent",
            "lanreotide",
            "octreotide",
            "capecitabine",
        ),
    ),
    Case(
        "thymus-external-beam",
        P("thymus", ["external_beam_radiation"]),
        ("thymus", "You do not give off radiation", "Radiation therapy from a machine"),
        ("flush twice", "PRRT"),
    ),
    Case(
        "rectum-endoscopic",
        P("rectum", ["endoscopic_resection:completed"], extent="localized"),
        ("Removing the tumor through a scope", "the rectum"),
        ("PRRT", "Whipple"),
    ),
    Case(
        "stomach-gastric-resection",
        P("stomach", ["gastric_resection"]),
        ("part of the stomach with the tumor", "lining of your stomach"),
        ("Whipple", "PRRT"),
    ),
    Case(
        "unknown-primary-tace-carcinoid",
        P(
            "unknown_primary",
            ["embolization_tace"],
            extent="distant",
            hormone_syndrome="carcinoid_syndrome",
        ),
        ("unknown primary", "chemoembolization", "carcinoid crisis", "Only avoid the foods"),
        ("Lutathera", "radioactive beads"),
    ),
    Case(
        "liver-resection-bland-embolization",
        P("small_intestine", ["liver_resection:completed", "embolization_bland"], extent="distant"),
        ("takes out tumors from the liver", "Embolization: cutting off the blood supply"),
        ("chemoembolization", "radioactive beads"),
    ),
    Case(
        "colon-resection-rfa",
        P("colon", ["colorectal_resection:completed", "ablation_rfa"], extent="distant"),
        ("large bowel or rectum with the tumor", "Radiofrequency ablation uses radio waves"),
        ("Microwave", "freezing"),
        sources_may_name=("Microwave",),
    ),
    Case(
        "colon-radioembolization",
        P("colon", ["radioembolization_y90"], extent="distant"),
        ("radioactive beads", "Follow the steps your team gives you"),
        ("flush twice", "PRRT"),
    ),
    Case(
        "other-site-mwa-glucagonoma",
        P("other", ["ablation_mwa"], hormone_syndrome="glucagonoma"),
        ("Microwave ablation", "glucagon", "less common place"),
        ("Radiofrequency", "freezing"),
        sources_may_name=("Radiofrequency",),
    ),
    Case(
        "small-bowel-cryo-vipoma",
        P("small_intestine", ["ablation_cryo"], hormone_syndrome="vipoma"),
        ("freezing", "potassium", "watery diarrhea"),
        ("Microwave", "Radiofrequency"),
        sources_may_name=("Microwave", "Radiofrequency"),
    ),
    Case(
        "interferon-somatostatinoma",
        P("pancreas", ["interferon_alfa:current"], hormone_syndrome="somatostatinoma"),
        ("Interferon alfa", "extra somatostatin", "thoughts of harming yourself"),
        ("Somatuline", "Sandostatin"),
    ),
    Case(
        "checkpoint-other-hormone",
        P("duodenum", ["immunotherapy_checkpoint"], hormone_syndrome="other"),
        ("Immunotherapy", "Your tumor makes another hormone"),
        ("Somatuline", "Sandostatin", "interferon"),
    ),
    Case(
        "telotristat-octreotide-sc",
        P(
            "small_intestine",
            ["octreotide_sc:current", "telotristat:current"],
            hormone_syndrome="carcinoid_syndrome",
        ),
        (
            "30 minutes before your short-acting octreotide",
            "Xermelo",
            "Short-acting octreotide",
            "with food, 3 times a day",
        ),
        ("Sandostatin LAR", "Lanreotide (Somatuline)"),
        sources_may_name=("Sandostatin LAR",),
    ),
    Case(
        "insulinoma-octreotide-lar",
        P("pancreas", ["octreotide_lar:current"], hormone_syndrome="insulinoma"),
        ("watch your blood sugar closely", "Never skip a meal", "15 grams of fast sugar"),
        ("Lanreotide (Somatuline)",),
    ),
    Case(
        "generic-categories",
        P(
            "small_intestine",
            [
                "surgery",
                "somatostatin_analog",
                "targeted_therapy",
                "chemotherapy",
                "embolization",
                "ablation",
                "radiation",
                "immunotherapy",
            ],
        ),
        (
            "which analog you get",
            "Targeted drugs block",
            "which operation you will have",
            "Chemotherapy drugs travel",
            "grapefruit",
        ),
        (
            "Lanreotide (Somatuline)",
            "Sandostatin LAR",
            "Microwave ablation",
            "chemoembolization",
            "flush twice",
        ),
        sources_may_name=("Sandostatin LAR", "Microwave ablation"),
    ),
    Case(
        "small-bowel-resection",
        P("small_intestine", ["small_bowel_resection:completed"], extent="regional"),
        ("bile", "vitamin B12", "nearby lymph nodes or tissue"),
        ("every meal and every snack", "PRRT"),
    ),
    Case(
        "insulin-diabetes-everolimus",
        P("lung", ["everolimus"], diabetes="insulin"),
        ("Checking your sugar more often", "15 grams of fast sugar", "grapefruit"),
        ("Sutent",),
    ),
    Case(
        "unknowns",
        P(
            "pancreas",
            ["active_surveillance"],
            grade="unknown",
            hormone_syndrome="unknown",
            extent="unknown",
        ),
        ("Ki-67", "still checking whether yours does", "still finding out whether"),
        ("well-differentiated", "metastatic"),
    ),
    Case(
        "g3-regional-nonfunctioning",
        P(
            "stomach",
            ["active_surveillance"],
            grade="g3",
            extent="regional",
            hormone_syndrome="none",
        ),
        ("well-differentiated", "nearby lymph nodes or tissue", "does not make extra hormones"),
        ("Ki-67", "metastatic"),
    ),
]


def test_cases_cover_every_value() -> None:
    """The table spans every site, syndrome, therapy and pancreatic status."""
    vocab = load_vocabulary()
    profiles = [c.profile for c in CASES]
    assert len(CASES) >= 25
    sites = {p["tumor_site"] for p in profiles}
    assert sites == set(vocab.fields["tumor_site"].ids)
    syndromes = {p.get("hormone_syndrome", "none") for p in profiles}
    assert syndromes == set(vocab.fields["hormone_syndrome"].ids)
    therapies = {t.split(":")[0] for p in profiles for t in p["therapies"]}
    therapies |= {p["pancreatic_surgery_type"] for p in profiles if "pancreatic_surgery_type" in p}
    pancreatic = set(vocab.fields["pancreatic_surgery_type"].ids) - {"unknown"}
    assert set(vocab.fields["therapies"].ids) - therapies == set()
    assert pancreatic <= therapies
    statuses = {p["pancreatic_surgery"] for p in profiles}
    assert statuses == {"none", "planned", "done"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_handout_says_what_it_must_and_nothing_it_must_not(
    case: Case, render_text: Callable[..., str]
) -> None:
    text = unicodedata.normalize("NFKC", render_text(case.profile)).replace("\u2019", "'")
    # The must-not phrases apply to the whole PDF, source list included: a module that applies
    # whatever the therapy cites only general sources, so the list never names a drug, device
    # or treatment this patient does not have.
    heading = load_library().ui["en"]["sources_heading"]
    assert heading in text
    patient_part, source_list = text.rsplit(heading, 1)
    missing = [p for p in case.must if p.lower() not in text.lower()]
    present = [p for p in case.must_not if p.lower() in patient_part.lower()]
    present += [
        p
        for p in case.must_not
        if p not in case.sources_may_name and p.lower() in source_list.lower()
    ]
    assert missing == [], f"missing from {case.name}"
    assert present == [], f"must not appear anywhere in {case.name}"
