"""The patient's copy and the clinician's copy, from one plan, through the command line."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from careplan.cli import cli
from careplan.library import load_library
from conftest import extract_pdf_text

UI = load_library().ui["en"]
PROFILE = {
    "id": "C-7",
    "tumor_site": "pancreas",
    "therapies": ["everolimus:current"],
    "pancreatic_surgery": "none",
}
DATE = ["--date", "2026-11-26", "--allow-pending"]


@pytest.fixture
def both(
    runner: CliRunner,
    write_profile: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[str, str]:
    """Render the same profile as both copies, each under its default name."""
    path = write_profile(PROFILE)
    monkeypatch.chdir(tmp_path)
    for copy in ("patient", "clinician"):
        result = runner.invoke(cli, ["render", str(path), "--copy", copy, *DATE])
        assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["C-7.clinician.pdf", "C-7.pdf"]
    return (
        extract_pdf_text((tmp_path / "C-7.pdf").read_bytes()),
        extract_pdf_text((tmp_path / "C-7.clinician.pdf").read_bytes()),
    )


def test_the_patient_copy_ends_with_trusted_sources_only(both: tuple[str, str]) -> None:
    patient, _ = both
    assert UI["trusted_heading"] in patient
    assert UI["sources_heading"] not in patient
    assert f"{UI['prov_why']}:" not in patient


def test_the_clinician_copy_shows_why_review_and_every_source(both: tuple[str, str]) -> None:
    _, clinician = both
    assert UI["clinician_copy"] in clinician
    assert f"{UI['prov_why']}:" in clinician
    assert "therapies include everolimus (current)" in clinician
    assert UI["sources_heading"] in clinician
    assert "(original, A)" in clinician
    assert UI["trusted_heading"] not in clinician


def test_batch_writes_the_copy_asked_for(runner: CliRunner, tmp_path: Path) -> None:
    rows = tmp_path / "day.csv"
    rows.write_text(
        "id,tumor_site,therapies,pancreatic_surgery\nA-1,pancreas,everolimus,none\n"
        "B-2,lung,lanreotide,none\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    merged = out / "all.pdf"
    args = ["batch", str(rows), "-o", str(out), "--copy", "clinician", "--merge", str(merged)]
    result = runner.invoke(cli, [*args, *DATE])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.clinician.pdf")) == [
        "A-1.clinician.pdf",
        "B-2.clinician.pdf",
    ]
    assert not (out / "A-1.pdf").exists()
    with (out / "report.csv").open(encoding="utf-8-sig") as handle:
        outputs = [row["output"] for row in csv.DictReader(handle)]
    assert outputs == ["A-1.clinician.pdf", "B-2.clinician.pdf"]
    assert UI["clinician_copy"] in extract_pdf_text(merged.read_bytes())


def test_an_unknown_copy_is_a_usage_error(
    runner: CliRunner, write_profile: Callable[..., Path]
) -> None:
    result = runner.invoke(cli, ["render", str(write_profile(PROFILE)), "--copy", "nurse"])
    assert result.exit_code == 2
    assert "patient" in result.stderr
    assert "clinician" in result.stderr


def test_defaults_the_handout_used_are_named_for_the_nurse(
    runner: CliRunner, write_profile: Callable[..., Path], tmp_path: Path
) -> None:
    """Only the defaults this handout printed: a profile without blood-sugar text is not
    told about the glucose default."""
    clinic = tmp_path / "clinic.yaml"
    clinic.write_text("phone: (555) 010-0000\nafter_hours_phone: (555) 010-0001\n", "utf-8")
    args = [
        "render",
        str(write_profile(PROFILE)),
        "--clinic",
        str(clinic),
        "-o",
        str(tmp_path / "x.pdf"),
    ]
    result = runner.invoke(cli, [*args, *DATE])
    assert result.exit_code == 0, result.stderr
    assert "defaults for emergency number 911; fever threshold 100.4 °F (38 °C)" in result.stderr
    assert "no care-team phone numbers" not in result.stderr


def test_blanks_the_handout_printed_are_named_for_the_nurse(
    runner: CliRunner, write_profile: Callable[..., Path], tmp_path: Path
) -> None:
    """Values the patient acts on that the clinic file lacks print as lines to write on, and
    the nurse is told which; a value the clinic gives is not listed."""
    clinic = tmp_path / "clinic.yaml"
    clinic.write_text(
        "phone: (555) 010-0000\nafter_hours_phone: (555) 010-0001\nnurse_name: Sam\n", "utf-8"
    )
    insulin = {**PROFILE, "therapies": [], "pancreatic_surgery": "done"}
    insulin |= {"pancreatic_surgery_type": "total_pancreatectomy", "tumor_site": "pancreas"}
    args = ["render", str(write_profile(insulin)), "--clinic", str(clinic)]
    result = runner.invoke(cli, [*args, "-o", str(tmp_path / "x.pdf"), *DATE])
    assert result.exit_code == 0, result.stderr
    blanks = next(line for line in result.stderr.splitlines() if "lines to write on" in line)
    assert "glucose high" in blanks
    assert "dietitian phone" in blanks
    assert "nurse name" not in blanks
    assert "phone numbers" not in blanks
