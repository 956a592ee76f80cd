"""Profile validation: aliases, statuses, consistency rules and the wording of every error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from careplan.errors import ProfileError, capped
from careplan.inputs import load_profile
from careplan.library import load_library
from careplan.model import Therapy
from careplan.plan import clinical_checks
from careplan.profile import parse_profile
from careplan.vocab import load_vocabulary

BASE: dict[str, Any] = {
    "tumor_site": "pancreas",
    "therapies": ["lanreotide"],
    "pancreatic_surgery": "none",
}


def problems(data: dict[str, Any]) -> list[str]:
    """Return the error lines for an invalid profile."""
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, "p.yaml")
    return [str(p) for p in caught.value.problems]


def test_minimal_profile_gets_documented_defaults() -> None:
    profile = parse_profile(BASE, "p.yaml").profile
    assert (profile.extent, profile.grade, profile.diabetes) == ("unknown", "unknown", "unknown")
    assert profile.hormone_syndrome == ("none",)
    assert profile.therapies == (Therapy("lanreotide", "planned"),)
    assert profile.language == "en"
    assert profile.large_print is False


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Lutathera", "prrt_lu177"),
        ("Lu-177", "prrt_lu177"),
        ("Sandostatin LAR", "octreotide_lar"),
        ("Somatuline Depot", "lanreotide"),
        ("Afinitor", "everolimus"),
        ("Sutent", "sunitinib"),
        ("Xermelo", "telotristat"),
        ("Creon", "pert"),
        ("CAPTEM", "captem"),
        ("EP", "platinum_etoposide"),
        ("TACE", "embolization_tace"),
        ("TAE", "embolization_bland"),
        ("Y-90", "radioembolization_y90"),
        ("SIRT", "radioembolization_y90"),
        ("RFA", "ablation_rfa"),
        ("MWA", "ablation_mwa"),
        ("PPI", "ppi"),
        ("watch and wait", "active_surveillance"),
        ("external-beam radiation", "external_beam_radiation"),
        ("  Somatostatin Analog ", "somatostatin_analog"),
    ],
)
def test_therapy_aliases_a_nurse_would_type(typed: str, expected: str) -> None:
    data = {**BASE, "therapies": [typed]}
    assert parse_profile(data, "p.yaml").profile.therapy_ids == (expected,)


def test_whipple_procedure_alias_with_surgery_fields() -> None:
    data = {
        **BASE,
        "therapies": ["Whipple procedure:completed"],
        "pancreatic_surgery": "done",
        "pancreatic_surgery_type": "whipple",
    }
    assert parse_profile(data, "p.yaml").profile.therapies == (Therapy("whipple", "completed"),)


def test_clinical_facts_spellings_are_accepted() -> None:
    data = {
        "primary_site": "pancreas",
        "grade": "g3_net",
        "hormone_syndrome": "other_functional",
        "therapies": "lanreotide",
        "pancreatic_surgery_status": "none",
    }
    profile = parse_profile(data, "p.yaml").profile
    assert (profile.tumor_site, profile.grade, profile.hormone_syndrome) == (
        "pancreas",
        "g3",
        ("other",),
    )


def test_ambiguous_alias_lists_both_ids_and_never_guesses() -> None:
    lines = problems({**BASE, "therapies": ["octreotide"]})
    assert lines == [
        "p.yaml: therapies: item 1: could mean 'octreotide_lar' or "
        "'octreotide_sc'; write the one you mean"
    ]


def test_near_miss_value_gets_did_you_mean_and_allowed_values() -> None:
    (line,) = problems({**BASE, "tumor_site": "pancreaz"})
    assert line.startswith(
        "p.yaml: tumor_site: not an allowed value (8 characters). "
        "Did you mean 'pancreas'? Allowed values: pancreas, small_intestine"
    )


def test_every_problem_is_collected_before_stopping() -> None:
    lines = problems(
        {
            "tumor_site": "pancreaz",
            "therapies": ["foo", "lanreotide:someday"],
            "pancreatic_surgery": "maybe",
            "grade": "g9",
            "Theraphies": "x",
        }
    )
    fields = [line.split(": ")[1] for line in lines]
    assert fields == [
        "key 5 (10 characters) is not a profile field. Did you mean 'therapies'?",
        "tumor_site",
        "therapies",
        "therapies",
        "pancreatic_surgery",
        "grade",
    ]
    assert "item 1: not an allowed value (3 characters)" in lines[2]
    assert "item 2: has a status that is not allowed (7 characters)" in lines[3]
    assert "Allowed values: planned, current, completed" in lines[3]


def test_missing_required_fields_are_named() -> None:
    lines = problems({"grade": "g1"})
    assert [line.split(": ")[1] for line in lines] == [
        "tumor_site",
        "therapies",
        "pancreatic_surgery",
    ]


def test_statuses_and_lists_in_one_cell() -> None:
    data = {
        **BASE,
        "therapies": "Somatuline Depot:current; Lutathera:next, TACE:done",
        "hormone_syndrome": "carcinoid syndrome; gastrinoma",
    }
    profile = parse_profile(data, "p.yaml").profile
    assert profile.therapies == (
        Therapy("lanreotide", "current"),
        Therapy("prrt_lu177", "planned"),
        Therapy("embolization_tace", "completed"),
    )
    assert profile.hormone_syndrome == ("carcinoid_syndrome", "gastrinoma")


def test_therapy_as_mapping_in_yaml() -> None:
    data = {**BASE, "therapies": [{"id": "everolimus", "status": "current"}]}
    assert parse_profile(data, "p.yaml").profile.therapies == (Therapy("everolimus", "current"),)


def test_pancreatic_surgery_fields_add_the_operation() -> None:
    data = {
        **BASE,
        "therapies": ["lanreotide:current"],
        "pancreatic_surgery": "done",
        "pancreatic_surgery_type": "whipple",
    }
    profile = parse_profile(data, "p.yaml").profile
    assert profile.status_of("whipple") == "completed"


def test_planned_surgery_allows_empty_therapies() -> None:
    data = {
        **BASE,
        "therapies": [],
        "pancreatic_surgery": "planned",
        "pancreatic_surgery_type": "distal_pancreatectomy",
    }
    assert parse_profile(data, "p.yaml").profile.status_of("distal_pancreatectomy") == "planned"


def test_empty_therapies_without_pancreatic_surgery_is_an_error() -> None:
    (line,) = problems({**BASE, "therapies": []})
    assert "active_surveillance" in line


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"therapies": ["whipple"]}, "lists 'whipple' but pancreatic_surgery is 'none'"),
        ({"pancreatic_surgery": "done"}, "pancreatic_surgery_type: is required when"),
        (
            {
                "pancreatic_surgery": "done",
                "pancreatic_surgery_type": "whipple",
                "therapies": ["distal_pancreatectomy"],
            },
            "they must agree",
        ),
        (
            {
                "pancreatic_surgery": "done",
                "pancreatic_surgery_type": "whipple",
                "therapies": ["whipple:planned"],
            },
            "lists whipple:planned but pancreatic_surgery is",
        ),
        ({"pancreatic_surgery_type": "whipple"}, "but pancreatic_surgery is 'none'"),
    ],
)
def test_pancreatic_operations_must_agree(changes: dict[str, Any], message: str) -> None:
    assert any(message in line for line in problems({**BASE, **changes}))


def test_none_cannot_be_combined_with_a_syndrome() -> None:
    (line,) = problems({**BASE, "hormone_syndrome": ["none", "insulinoma"]})
    assert "'none' cannot be combined" in line


def test_duplicate_key_spellings_are_an_error() -> None:
    (line,) = problems({**BASE, "primary_site": "lung"})
    assert line == "p.yaml: tumor_site: given twice (keys 1 and 4)"


def test_unknown_unrelated_field_is_a_warning_not_an_error() -> None:
    parsed = parse_profile({**BASE, "favourite_colour": "blue"}, "p.yaml")
    assert [str(w) for w in parsed.warnings] == [
        "p.yaml: key 4 (16 characters) is not a profile field; ignored"
    ]


@pytest.mark.parametrize(
    ("raw", "expected"), [("yes", True), ("No", False), ("1", True), (True, True), ("", False)]
)
def test_large_print_accepts_yes_no_and_one_zero(raw: object, expected: bool) -> None:
    assert parse_profile({**BASE, "large_print": raw}, "p.yaml").profile.large_print is expected


def test_private_fields_are_never_quoted_in_errors() -> None:
    secret = "Jane Secret-Name"
    lines = problems(
        {
            **BASE,
            "patient_name": secret + "\n2nd line",
            "notes": secret * 200,
            "large_print": "perhaps",
        }
    )
    assert lines
    assert all(secret not in line for line in lines)


def test_clinical_odd_combinations_warn_but_validate() -> None:
    data = {
        **BASE,
        "therapies": ["everolimus", "telotristat"],
        "tumor_site": "lung",
        "hormone_syndrome": "carcinoid_syndrome",
    }
    profile = parse_profile(data, "p.yaml").profile
    warnings = clinical_checks(profile, load_library(), load_vocabulary())
    assert any("everolimus with carcinoid_syndrome" in w for w in warnings)
    assert any("telotristat without a somatostatin analog" in w for w in warnings)


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ProfileError, match="must be a mapping"):
        parse_profile(["tumor_site", "pancreas"], "p.yaml")


def test_unquoted_no_in_yaml_reads_as_the_word_no(write_profile: Callable[..., Path]) -> None:
    path = write_profile(
        "tumor_site: lung\ntherapies: [surgery]\npancreatic_surgery: no\n"
        "diabetes: no\nhormone_syndrome: no\n"
    )
    profile = load_profile(path).profile
    assert (profile.pancreatic_surgery, profile.diabetes, profile.hormone_syndrome) == (
        "none",
        "none",
        ("none",),
    )


def test_status_on_means_current() -> None:
    data = {**BASE, "therapies": "lanreotide:on"}
    assert parse_profile(data, "p.yaml").profile.therapies == (Therapy("lanreotide", "current"),)


def test_discharge_handout_lists_the_operation_as_current() -> None:
    data = {
        **BASE,
        "therapies": ["whipple:current"],
        "pancreatic_surgery": "done",
        "pancreatic_surgery_type": "whipple",
    }
    assert parse_profile(data, "p.yaml").profile.status_of("whipple") == "current"


@pytest.mark.parametrize(
    "changes",
    [
        {"tumor_site": "Maria Lopez"},
        {"therapies": ["Maria Lopez"]},
        {"therapies": ["lanreotide:Maria Lopez"]},
        {"hormone_syndrome": "Maria Lopez"},
        {"large_print": "Maria Lopez"},
        {"Maria Lopez": "x"},
    ],
)
def test_a_rejected_value_is_never_quoted(changes: dict[str, Any]) -> None:
    lines = (
        problems({**BASE, **changes})
        if "Maria Lopez" not in changes
        else [str(w) for w in parse_profile({**BASE, **changes}, "p.yaml").warnings]
    )
    assert lines
    assert all("Maria" not in line and "Lopez" not in line for line in lines)


def test_problems_are_capped_at_twenty_per_source() -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile({**BASE, "therapies": [f"x{n}" for n in range(25)]}, "p.yaml")
    lines = [str(p) for p in capped(caught.value.problems)]
    assert len(lines) == 21
    assert lines[-1] == "p.yaml: … and 5 more"


def test_a_huge_therapy_list_is_refused_at_once() -> None:
    (line,) = problems({**BASE, "therapies": "x;" * 100_000})
    assert "is too long" in line


def test_direction_controls_and_stray_controls_are_removed_with_a_warning() -> None:
    parsed = parse_profile({**BASE, "patient_name": "Ann\u202eeb\u202c Smith\x00"}, "p.yaml")
    assert parsed.profile.patient_name == "Anneb Smith"
    assert [str(w) for w in parsed.warnings] == [
        "p.yaml: patient_name: 3 invisible or stacked characters were removed"
    ]
