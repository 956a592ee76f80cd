"""Hostile YAML profiles and clinic files: values keep the characters typed, and YAML's traps
(aliases, tags, merge keys, complex keys, endless input) give one-line errors at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from careplan.cli import cli

BASE = "tumor_site: stomach\npancreatic_surgery: none\ntherapies: active_surveillance\n"


def billion_laughs(last_line: str) -> str:
    lines = ["lol:", "  a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]"]
    for p, n in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  {n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]")
    return "\n".join(lines) + "\n" + last_line + "\n"


def test_numeric_looking_ids_keep_their_characters(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # red-team r3: `id: 00123` became 83 and overwrote patient 83's handout.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(BASE + 'id: "83"\npatient_name: Patient Eighty-Three\n')
    (tmp_path / "b.yaml").write_text(BASE + "id: 00123\npatient_name: Patient OneTwoThree\n")
    for name in ("a.yaml", "b.yaml"):
        assert runner.invoke(cli, ["render", name, "--date", "2026-01-01"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["00123.pdf", "83.pdf"]
    first = PdfReader(tmp_path / "83.pdf").pages[0].extract_text()
    assert "Patient Eighty-Three" in first


def test_yes_no_and_numbers_print_as_typed(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(BASE + "id: yes\npatient_name: yes\nnotes: 3.10\n")
    out = tmp_path / "c.html"
    assert runner.invoke(cli, ["render", str(path), "--html", "-o", str(out)]).exit_code == 0
    html = out.read_text()
    assert 'data-running="yes">yes</bdi>' in html
    assert "<p>3.10</p>" in html


@pytest.mark.parametrize("last", ["large_print: *i", "therapies_extra: *i", "notes: *i"])
def test_a_billion_laughs_profile_is_refused_at_once(
    runner: CliRunner, tmp_path: Path, last: str
) -> None:
    path = tmp_path / "bl.yaml"
    path.write_text(billion_laughs(BASE + last))
    started = time.monotonic()
    result = runner.invoke(cli, ["validate", str(path)])
    assert time.monotonic() - started < 10  # a bound on blowing up, not a speed test
    assert result.exit_code == 1
    assert "line 2: anchors and aliases (& and *) are not allowed" in result.stderr


def test_a_billion_laughs_clinic_file_is_refused_at_once(
    runner: CliRunner, write_profile: Callable[..., Path], tmp_path: Path
) -> None:
    clinic = tmp_path / "c.yaml"
    clinic.write_text(billion_laughs("clinic_name: *i"))
    result = runner.invoke(cli, ["render", str(write_profile(BASE)), "--clinic", str(clinic)])
    assert result.exit_code == 1
    assert "anchors and aliases (& and *) are not allowed" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("? [a, b]\n: y\n", "line 1: a key must be a plain word"),
        ("notes: !!binary aGVsbG8=\n", "YAML tags (such as !!binary or !!python) are not allowed"),
        ("notes: !!set {a, b}\n", "YAML tags (such as !!binary or !!python) are not allowed"),
        ("<<: {tumor_site: lung}\n", "line 1: merge keys (<<) are not allowed"),
        ("notes: " + "[" * 100 + "]" * 100 + "\n", "the text is nested too deeply"),
    ],
)
def test_yaml_traps_give_one_line_errors(
    runner: CliRunner, write_profile: Callable[..., Path], text: str, message: str
) -> None:
    result = runner.invoke(cli, ["validate", str(write_profile(text + BASE))])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_dev_zero_as_a_profile_or_clinic_file_is_refused(
    runner: CliRunner, write_profile: Callable[..., Path]
) -> None:
    result = runner.invoke(cli, ["validate", "/dev/zero"])
    assert result.exit_code == 1
    assert "/dev/zero: cannot be read (is larger than 1 MB)" in result.stderr
    rendered = runner.invoke(cli, ["render", str(write_profile(BASE)), "--clinic", "/dev/zero"])
    assert rendered.exit_code == 1
    assert "/dev/zero: cannot be read (is larger than 1 MB)" in rendered.stderr
