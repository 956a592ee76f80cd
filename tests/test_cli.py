"""The command line through Click's CliRunner: every command, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from careplan.cli import cli

PROFILE = {
    "id": "N-5",
    "patient_name": "Ann Example",
    "tumor_site": "small_intestine",
    "hormone_syndrome": "carcinoid_syndrome",
    "therapies": ["lanreotide:current", "prrt_lu177"],
    "pancreatic_surgery": "none",
}


def test_render_writes_pdf_named_after_id(
    runner: CliRunner,
    write_profile: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_profile(PROFILE)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["render", str(path), "--date", "2026-11-26"])
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "N-5.pdf"
    assert len(PdfReader(pdf).pages) > 1
    assert f"wrote {pdf}" in result.stderr
    assert "no clinic file (--clinic): no care-team phone numbers" in result.stderr
    assert "Ann" not in pdf.name


def test_render_html_to_chosen_file(
    runner: CliRunner, write_profile: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "handout.html"
    result = runner.invoke(cli, ["render", str(write_profile(PROFILE)), "--html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Ann Example" in html


def test_render_reads_standard_input(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "stdin.pdf"
    text = (
        "tumor_site: rectum\ntherapies: [endoscopic_resection:completed]\n"
        "pancreatic_surgery: none\n"
    )
    result = runner.invoke(cli, ["render", "-", "-o", str(out)], input=text)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")


def test_render_without_id_is_named_after_profile_file(
    runner: CliRunner,
    write_profile: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = {k: v for k, v in PROFILE.items() if k != "id"}
    path = write_profile(data, name="ward 7 patient.yaml")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["render", str(path), "--html"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ward-7-patient.html").is_file()


def test_invalid_profile_exits_1_with_one_line_per_problem_and_writes_nothing(
    runner: CliRunner,
    write_profile: Callable[..., Path],
    tmp_path: Path,
) -> None:
    path = write_profile({**PROFILE, "tumor_site": "pancreaz", "therapies": ["octreotide"]})
    out = tmp_path / "out.pdf"
    result = runner.invoke(cli, ["render", str(path), "-o", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {path}: tumor_site: not an allowed value (8 characters). Did you mean "
        "'pancreas'? Allowed values: pancreas, small_intestine, duodenum, stomach, appendix, "
        "colon, rectum, lung, thymus, unknown_primary, other",
        f"error: {path}: therapies: item 1: could mean 'octreotide_lar' or "
        "'octreotide_sc'; write the one you mean",
    ]
    assert "Traceback" not in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]


def test_missing_file_is_invalid_input(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["render", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.yaml'}: file not found"


@pytest.mark.parametrize(
    "args",
    [
        ["render"],
        ["render", "x.yaml", "--paper", "legal"],
        ["render", "x.yaml", "--date", "26/11"],
        ["render", "x.yaml", "--pdf-variant", "pdf/x-4"],
        ["nonsense"],
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, args: list[str]) -> None:
    assert runner.invoke(cli, args).exit_code == 2


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str) -> None:
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"careplan {command}" in result.output


def test_validate_yaml(runner: CliRunner, write_profile: Callable[..., Path]) -> None:
    good = runner.invoke(cli, ["validate", str(write_profile(PROFILE))])
    assert good.exit_code == 0
    assert good.stderr.strip().endswith(": valid")
    bad = runner.invoke(cli, ["validate", str(write_profile({"tumor_site": "lung"}, "b.yaml"))])
    assert bad.exit_code == 1
    assert "therapies: is required" in bad.stderr


def test_vocab_text_lists_labels_and_aliases(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["vocab"])
    assert result.exit_code == 0
    assert "prrt_lu177" in result.output
    assert "lutathera" in result.output
    assert "'octreotide' is ambiguous" in result.output


def test_vocab_json_has_every_profile_key(runner: CliRunner) -> None:
    data = json.loads(runner.invoke(cli, ["vocab", "--json"]).output)
    assert data["therapies"]["required"] is True
    assert data["therapies"]["values"]["lanreotide"]["label"].startswith("Lanreotide")
    assert {"id", "patient_name", "notes", "large_print", "statuses"} <= set(data)
    assert data["statuses"]["values"]["current"]["help"].startswith("for a course")


def test_explain_names_sections_and_the_facts_behind_them(
    runner: CliRunner,
    write_profile: Callable[..., Path],
) -> None:
    result = runner.invoke(cli, ["explain", str(write_profile(PROFILE)), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    reasons = {m["id"]: m["because"] for s in data["sections"] for m in s["modules"]}
    all_reasons = [r for because in reasons.values() for r in because]
    assert "therapies include prrt_lu177" in all_reasons
    assert "hormone_syndrome includes carcinoid_syndrome" in all_reasons
    text = runner.invoke(cli, ["explain", str(write_profile(PROFILE))]).output
    assert "because:" in text


@pytest.mark.parametrize("command", ["validate", "vocab", "explain"])
def test_light_commands_never_import_weasyprint(command: str, repo_root: Path) -> None:
    profile = repo_root / "profiles" / "pancreas-whipple-insulinoma.yaml"
    args = {"validate": [str(profile)], "vocab": [], "explain": [str(profile)]}[command]
    code = (
        "import sys\n"
        "from careplan.cli import cli\n"
        f"try:\n    cli({[command, *args]!r})\nexcept SystemExit:\n    pass\n"
        "sys.exit(3 if 'weasyprint' in sys.modules else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode()
