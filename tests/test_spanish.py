"""Spanish handouts, the English chart copy, and translations governed like clinical text."""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from careplan.cli import cli
from careplan.clinic import load_clinic
from careplan.errors import ContentError, PendingContent
from careplan.inputs import read_records, single_record, to_profile
from careplan.library import CONTENT_DIR, load_library
from careplan.options import RenderOptions
from careplan.render import chart_copy, render_profile
from careplan.review import (
    FERNANDEZ_HUERTA_GATE,
    INFLESZ_GATE,
    module_text,
    spanish_readability,
    translation_markdown,
)
from careplan.translations import Translation
from careplan.vocab import load_vocabulary, vocabulary_words
from conftest import FIXED_DATE, ROOT, extract_pdf_text

LIBRARY = load_library()
VOCAB = load_vocabulary()
ES = LIBRARY.translations["es"]
PROFILES = sorted((ROOT / "profiles").glob("*.yaml"))
CLINIC = load_clinic(ROOT / "examples" / "clinic.yaml")
TERMS = yaml.safe_load((CONTENT_DIR / "i18n" / "es" / "terms.yaml").read_text(encoding="utf-8"))
# Words a Spanish text never uses; whole words, case-insensitive.
ENGLISH = re.compile(
    r"\b(the|and|your|you|with|when|call|team|take|this|that|what|will|may|before|after|"
    r"page|which|have|from|about|please|doctor|nurse)\b",
    re.IGNORECASE,
)
BRANDS = (
    "Lutathera",
    "Sandostatin",
    "Somatuline",
    "Afinitor",
    "Sutent",
    "Cabometyx",
    "Xermelo",
    "Creon",
    "Tylenol",
    "Signifor",
    "Proglycem",
    "Zanosar",
    "Advil",
)


def every_translation() -> Iterator[tuple[str, Translation]]:
    yield from ES.items()
    yield "vocabulary.yaml", VOCAB.translations["es"]


def english_of(name: str) -> dict[str, Any]:
    if name == "vocabulary.yaml":
        return dict(vocabulary_words(VOCAB.fields, VOCAB.profile_words))
    return dict(LIBRARY.english_words[name])


@pytest.fixture(scope="module")
def spanish() -> dict[str, Any]:
    """Every example in Spanish (pending review, so with --allow-pending), and its chart copy."""
    out = {}
    options = RenderOptions(date=FIXED_DATE, allow_pending=True, language="es")
    for path in PROFILES:
        profile = to_profile(single_record(read_records(str(path)))).profile
        doc = render_profile(profile, options=options, clinic=CLINIC)
        chart = chart_copy(profile, options=options, clinic=CLINIC)
        out[path.stem] = (profile, doc, chart)
    return out


# -- the words ------------------------------------------------------------------------------


def test_every_file_of_the_library_has_its_spanish() -> None:
    assert set(ES) == set(LIBRARY.english_words)
    assert "es" in VOCAB.translations


def test_every_spanish_file_is_an_honest_machine_draft_pending_review() -> None:
    for name, translation in every_translation():
        assert translation.method == "machine_draft", name
        assert translation.status == "pending_review", name
        assert not translation.reviewer_role, name
        assert not translation.stale, (name, translation.stale_ids)


def test_numbers_units_and_brand_names_survive_translation() -> None:
    for name, translation in every_translation():
        for key, english in english_of(name).items():
            ours = translation.words[key]
            en = english if isinstance(english, str) else " ".join(english)
            es = ours if isinstance(ours, str) else " ".join(ours)
            numbers = re.findall(r"\d+(?:\.\d+)?", en)
            assert all(n in es for n in numbers), (name, key, numbers)
            for unit in ("mg/dL", "mmol/L", "°F", "°C"):
                assert en.count(unit) <= es.count(unit), (name, key, unit)
            for brand in BRANDS:
                assert (brand in en) <= (brand in es), (name, key, brand)


def test_the_term_list_is_followed() -> None:
    """Wherever an item's English uses a listed term, its Spanish uses the Spanish term."""
    misses = []
    for name, translation in every_translation():
        for key, english in english_of(name).items():
            if not isinstance(english, str):
                continue
            spanish = str(translation.words[key]).casefold()
            for term in TERMS:
                if re.search(rf"(?<![\w-]){re.escape(term['en'])}(?![\w-])", english, re.I):
                    forms = [term["es"], *term.get("forms", [])]
                    if not any(form.casefold() in spanish for form in forms):
                        misses.append(f"{name}:{key}: {term['en']!r} -> {term['es']!r}")
    assert len(misses) <= len(TERMS) // 4, misses  # adaptations are allowed, not a habit


@pytest.mark.parametrize("module", LIBRARY.modules, ids=lambda m: m.id)
def test_spanish_readability_gate(module: Any) -> None:
    """INFLESZ 55 and Fernández-Huerta 60 at least (careplan.readability_es, not textstat)."""
    inflesz, huerta = spanish_readability(module_text(module, "es"))
    assert inflesz >= INFLESZ_GATE, inflesz
    assert huerta >= FERNANDEZ_HUERTA_GATE, huerta


def test_the_gate_uses_careplans_own_syllabifier() -> None:
    import careplan.review as review

    source = Path(review.__file__).read_text(encoding="utf-8")
    assert "careplan.readability_es" in source
    assert "textstat" not in source.split("def spanish_readability")[1].split("def ")[0]


# -- the handouts ---------------------------------------------------------------------------


def test_every_example_prints_in_spanish_with_no_english(spanish: dict[str, Any]) -> None:
    allowed = [CLINIC.get(k) or "" for k in ("clinic_name", "nurse_name")]
    for name, (profile, doc, _) in spanish.items():
        text = extract_pdf_text(doc.data)
        for value in [*allowed, profile.patient_name or "", profile.notes or "", *BRANDS]:
            text = text.replace(" ".join(value.split()), " ")
        found = sorted({m.group(0).casefold() for m in ENGLISH.finditer(text)})
        assert found == [], (name, found)
        assert doc.html.startswith("<!DOCTYPE html>")
        assert '<html lang="es-US">' in doc.html


def test_a_pending_translation_says_so_on_page_1_and_every_footer(spanish: dict[str, Any]) -> None:
    import io

    from pypdf import PdfReader

    mark = LIBRARY.ui["es"]["translation_pending"]
    assert mark == "Traducción pendiente de revisión"
    _, doc, _ = spanish[PROFILES[0].stem]
    pages = [p.extract_text() or "" for p in PdfReader(io.BytesIO(doc.data)).pages]
    assert all(mark in " ".join(p.split()) for p in pages)
    assert " ".join(pages[0].split()).count(mark) >= 2  # the page-1 box and the footer


def test_spanish_dates_and_numbers(spanish: dict[str, Any]) -> None:
    _, doc, _ = spanish[PROFILES[0].stem]
    text = extract_pdf_text(doc.data)
    assert "26 de noviembre de 2026" in text
    assert "Página 1 de" in text


def test_a_spanish_copy_cites_only_spanish_editions(spanish: dict[str, Any]) -> None:
    editions = LIBRARY.editions.get("es", {})
    for name, (_, doc, _) in spanish.items():
        assert all(s.key in editions for s in doc.plan.sources), name
        assert all(s.title == editions[s.key].title for s in doc.plan.trusted), name


def test_the_chart_copy_matches_the_patient_copy_section_by_section(
    spanish: dict[str, Any],
) -> None:
    for name, (_, doc, chart) in spanish.items():
        assert doc.plan.language == "es"
        assert chart.plan.language == "en"
        assert doc.plan.module_ids == chart.plan.module_ids, name
        assert [s.id for s in doc.plan.sections] == [s.id for s in chart.plan.sections], name
        assert [s.id for s in doc.plan.signs] == [s.id for s in chart.plan.signs], name
        assert [g.id for g in doc.plan.logs] == [g.id for g in chart.plan.logs], name
        text = extract_pdf_text(chart.data)
        assert "Chart copy in English of a handout given in Spanish" in text
        printed = sorted(chart.plan.sections, key=lambda s: s.with_questions)  # as printed
        at = 0
        for module in (m for s in printed for m in s.modules):
            at = text.find(module.title[:30], at)
            assert at >= 0, (name, module.id)


def test_unapproved_translations_refuse_without_the_option() -> None:
    profile = to_profile(single_record(read_records(str(PROFILES[0])))).profile
    with pytest.raises(PendingContent) as refused:
        render_profile(profile, options=RenderOptions(date=FIXED_DATE, language="es"))
    message = str(refused.value)
    assert "i18n/es/ui.yaml is pending review (machine draft)" in message
    assert "--allow-pending" in message


# -- governance -----------------------------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    return root


def test_editing_one_english_string_makes_exactly_its_file_stale(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    module = root / "modules" / "support" / "getting_support.yaml"
    text = module.read_text(encoding="utf-8")
    first = re.search(r'text: "([^"]+)"', text)
    assert first
    module.write_text(text.replace(first.group(1), first.group(1) + " Ask us.", 1), "utf-8")
    translations = load_library.__wrapped__(root).translations["es"]
    stale = {name: t.stale_ids for name, t in translations.items() if t.stale}
    assert list(stale) == ["modules/support/getting_support.yaml"]
    assert len(stale["modules/support/getting_support.yaml"]) == 1


def test_a_missing_spanish_text_is_one_content_error_per_id(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "i18n" / "es" / "signs.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    dropped = list(data["strings"])[:3]
    for key in dropped:
        del data["strings"][key]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError) as failed:
        load_library.__wrapped__(root)
    problems = [p for p in failed.value.problems if "missing es text" in p.message]
    assert sorted(p.field for p in problems) == sorted(dropped)


def test_a_translation_must_keep_the_placeholders(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "i18n" / "es" / "signs.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    key = next(k for k, v in data["strings"].items() if "{fever_threshold}" in v["en"])
    data["strings"][key]["es"] = data["strings"][key]["es"].replace("{fever_threshold}", "100")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError) as failed:
        load_library.__wrapped__(root)
    assert any(p.field == key and "placeholders" in p.message for p in failed.value.problems)


def test_the_side_by_side_sheet_is_current(repo_root: Path) -> None:
    sheet = repo_root / "docs" / "modules-es.md"
    assert sheet.read_text(encoding="utf-8") == translation_markdown(LIBRARY, VOCAB, "es")


# -- the command line -----------------------------------------------------------------------


def test_render_in_spanish_with_its_chart_copy(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["render", str(ROOT / "profiles" / "pancreas-captem.yaml"), "--language", "español"]
    result = runner.invoke(cli, [*args, "--chart-copy", "--allow-pending", "--date", "2026-11-26"])
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert len(names) == 2
    assert names[0].endswith(".chart-en.pdf")
    assert "translation pending review" in result.stderr


def test_a_chart_copy_of_an_english_handout_is_a_usage_error(
    runner: CliRunner, write_profile: Callable[..., Path]
) -> None:
    profile = write_profile(
        {"tumor_site": "lung", "therapies": ["lung_resection"], "pancreatic_surgery": "none"}
    )
    result = runner.invoke(cli, ["render", str(profile), "--chart-copy"])
    assert result.exit_code == 2
    assert "--chart-copy" in result.stderr


def test_language_overrides_the_profile_and_says_so(
    runner: CliRunner, write_profile: Callable[..., Path], tmp_path: Path
) -> None:
    profile = write_profile(
        {
            "tumor_site": "lung",
            "therapies": ["lung_resection"],
            "pancreatic_surgery": "none",
            "language": "en",
        }
    )
    out = tmp_path / "x.pdf"
    args = ["render", str(profile), "--language", "es", "--allow-pending", "-o", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    assert "the profile asks for language 'en'; --language prints it in 'es'" in result.stderr
    assert "Cuándo pedir ayuda" in extract_pdf_text(out.read_bytes()) or LIBRARY.ui["es"][
        "call_heading"
    ] in extract_pdf_text(out.read_bytes())


def test_the_clinicians_copy_is_english_only(
    runner: CliRunner, write_profile: Callable[..., Path]
) -> None:
    profile = write_profile(
        {"tumor_site": "lung", "therapies": ["lung_resection"], "pancreatic_surgery": "none"}
    )
    args = ["render", str(profile), "--language", "es", "--copy", "clinician"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "--chart-copy" in result.stderr
    spanish = write_profile(
        {
            "tumor_site": "lung",
            "therapies": ["lung_resection"],
            "pancreatic_surgery": "none",
            "language": "es",
        }
    )
    out = spanish.with_suffix(".pdf")
    args = ["render", str(spanish), "--copy", "clinician", "--allow-pending", "-o", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    text = extract_pdf_text(out.read_bytes())
    assert LIBRARY.ui["en"]["clinician_copy"] in text  # a Spanish profile's clinician copy is
    assert LIBRARY.ui["es"]["call_heading"] not in text  # in English, for the chart


def test_batch_in_spanish_writes_both_copies_and_merges_the_patients(
    runner: CliRunner, tmp_path: Path
) -> None:
    rows = tmp_path / "day.csv"
    rows.write_text(
        "id,tumor_site,therapies,pancreatic_surgery,language\n"
        "A-1,pancreas,everolimus,none,es\nB-2,lung,lanreotide,none,spanish\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    merged = out / "all.pdf"
    args = ["batch", str(rows), "-o", str(out), "--chart-copy", "--merge", str(merged)]
    result = runner.invoke(cli, [*args, "--allow-pending", "--date", "2026-11-26"])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.pdf")) == [
        "A-1.chart-en.pdf",
        "A-1.pdf",
        "B-2.chart-en.pdf",
        "B-2.pdf",
        "all.pdf",
    ]
    with (out / "report.csv").open(encoding="utf-8-sig") as handle:
        report = list(csv.DictReader(handle))
    assert [r["chart_output"] for r in report] == ["A-1.chart-en.pdf", "B-2.chart-en.pdf"]
    merged_text = extract_pdf_text(merged.read_bytes())
    assert "Chart copy in English" not in merged_text


def test_modules_in_spanish(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["modules", "--language", "es"])
    assert result.exit_code == 0, result.stderr
    assert "INFLESZ" in result.output
    assert "pending_review" in result.output
    result = runner.invoke(cli, ["translations", "es"])
    assert result.exit_code == 0, result.stderr
    assert "modules/treatment/prrt.yaml" in result.output


def test_two_medicine_names_are_joined_as_spanish_joins_them() -> None:
    """Spanish writes "u" for "o" before a word starting with the sound o."""
    from careplan.inputs import Record
    from careplan.plan import profile_words

    values = {
        "tumor_site": "small_intestine",
        "therapies": "lanreotide:current; octreotide_sc:current",
        "pancreatic_surgery": "none",
    }
    profile = to_profile(Record("test", None, values)).profile
    vocab = load_vocabulary()
    spanish = profile_words(profile, vocab, LIBRARY.ui["es"], "es")
    english = profile_words(profile, vocab, LIBRARY.ui["en"], "en")
    assert "lanreotida u octreotida" in spanish.values()
    assert any(" or octreotide" in v for v in english.values())
