"""One plain US-English voice: the word list on every patient string, and medicines by name."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from careplan.errors import ContentError
from careplan.library import CONTENT_DIR, PlainWord, load_library
from careplan.plan import build_plan
from careplan.profile import parse_profile
from careplan.review import plain_word_hits
from careplan.vocab import load_vocabulary


def test_no_patient_string_uses_a_listed_word() -> None:
    hits = plain_word_hits(load_library(), load_vocabulary())
    listed = [f"{where}: {word.avoid!r} -> {word.use!r}: {text}" for where, word, text in hits]
    assert listed == []


def test_the_list_holds_the_review_findings() -> None:
    avoided = {w.avoid for w in load_library().word_list["en"]}
    seeds = {"drip", "day unit", "sickness medicine", "centre", "feeling sick", "anesthetist"}
    assert seeds | {"analog shots", "drink plenty"} <= avoided


@pytest.mark.parametrize(
    ("avoid", "text", "found"),
    [
        ("centre", "Call your centre's nurse.", True),
        ("centre", "Call the CENTRE.", True),
        ("drip", "You get it through a drip.", True),
        ("drip", "Drips of water.", False),  # "drips" is its own entry
        ("drip", "a drip-feed", False),
        ("day unit", "in the day\n unit today", True),
        ("feeling sick", "feeling sickly", False),
        ("centre", "the epicentre", False),
    ],
)
def test_whole_words_in_any_case(avoid: str, text: str, found: bool) -> None:
    assert PlainWord(avoid, "use", "why").found_in(text) is found


def test_a_listed_word_in_content_is_caught(tmp_path: Path) -> None:
    """The check is live: a seeded UK word in a module is reported with its place."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    module = root / "modules" / "support" / "getting_support.yaml"
    text = module.read_text(encoding="utf-8")
    module.write_text(text.replace('title: "', 'title: "Your GP and ', 1), encoding="utf-8")
    before = plain_word_hits(load_library(), load_vocabulary())
    after = plain_word_hits(load_library.__wrapped__(root), load_vocabulary())
    assert [(where, w.avoid) for where, w, _ in after if (where, w, _) not in before] == [
        ("content/modules/support/getting_support.yaml:title", "GP")
    ]


def test_a_word_listed_twice_is_a_content_error(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    with (root / "wordlist.yaml").open("a", encoding="utf-8") as f:
        f.write('- {avoid: "Drip", use: "IV", why: "again"}\n- {avoid: "x"}\n')
    with pytest.raises(ContentError) as caught:
        load_library.__wrapped__(root)
    message = str(caught.value)
    assert "'Drip' is listed twice" in message
    assert "needs avoid, use and why" in message


def _analog_texts(therapies: list[str]) -> str:
    data = {
        "tumor_site": "small_intestine",
        "extent": "metastatic",
        "hormone_syndrome": "carcinoid",
        "pancreatic_surgery": "none",
        "therapies": [*therapies, "prrt_lu177:planned"],
    }
    profile = parse_profile(data, "test").profile
    plan = build_plan(profile, load_library(), load_vocabulary(), today=dt.date(2026, 11, 26))
    return "\n".join(plan.texts())


@pytest.mark.parametrize(
    ("therapies", "name"),
    [
        (["lanreotide:current"], "your lanreotide shots"),
        (["octreotide_lar:current"], "your octreotide shots"),
        (["octreotide_lar:current", "octreotide_sc:current"], "your octreotide shots"),
        (["lanreotide:current", "octreotide_sc:current"], "your lanreotide or octreotide shots"),
        (["octreotide_lar:completed", "lanreotide:current"], "your lanreotide shots"),
        (["somatostatin_analog:current"], "your somatostatin analog shots"),
    ],
)
def test_shared_analog_text_names_the_patients_medicine(therapies: list[str], name: str) -> None:
    text = _analog_texts(therapies)
    assert name in text.casefold()
    assert "{analog_name}" not in text


def test_a_finished_analog_is_not_named_beside_the_current_one() -> None:
    text = _analog_texts(["octreotide_lar:completed", "lanreotide:current"]).casefold()
    assert "octreotide shots" not in text
