"""Where handouts are written: no device or symlink replaced, no input or other patient's handout
clobbered, standard output and pipes work, and every failure is one line."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from careplan.cli import cli
from careplan.output import folder_lock

PROFILE = "tumor_site: stomach\npancreatic_surgery: none\ntherapies: active_surveillance\n"
DATE = ["--date", "2026-01-01"]


def profile(tmp_path: Path, name: str = "p.yaml", ident: str | None = None) -> Path:
    path = tmp_path / name
    path.write_text(PROFILE + (f"id: '{ident}'\n" if ident else ""), encoding="utf-8")
    return path


def test_dash_writes_the_pdf_to_standard_output(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["render", str(profile(tmp_path)), "-o", "-", *DATE])
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(b"%PDF-")
    assert result.stderr.splitlines()[-1].startswith("wrote standard output (")
    assert not (tmp_path / "-").exists()


def test_a_fifo_is_written_directly_and_never_replaced(runner: CliRunner, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = runner.invoke(cli, ["render", str(profile(tmp_path)), "-o", str(fifo), *DATE])
    reader.join(timeout=60)
    assert result.exit_code == 0, result.stderr
    assert received[0].startswith(b"%PDF-")
    assert fifo.is_fifo()


def test_the_same_bytes_reach_a_pipe_and_a_file(runner: CliRunner, tmp_path: Path) -> None:
    path = profile(tmp_path)
    piped = runner.invoke(cli, ["render", str(path), "-o", "-", *DATE]).stdout_bytes
    assert (
        runner.invoke(cli, ["render", str(path), "-o", str(tmp_path / "b.pdf"), *DATE]).exit_code
        == 0
    )
    assert piped == (tmp_path / "b.pdf").read_bytes()


def test_a_folder_or_socket_is_not_an_output(runner: CliRunner, tmp_path: Path) -> None:
    assert (
        runner.invoke(cli, ["render", str(profile(tmp_path)), "-o", str(tmp_path)]).exit_code == 2
    )
    sock = tmp_path / "s.pdf"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    try:
        result = runner.invoke(cli, ["render", str(profile(tmp_path)), "-o", str(sock)])
    finally:
        server.close()
    assert result.exit_code == 2
    assert "is not a file careplan can write to" in result.stderr


def test_render_never_writes_over_its_own_input(runner: CliRunner, tmp_path: Path) -> None:
    path = profile(tmp_path)
    for extra in ([], ["--html"]):
        result = runner.invoke(cli, ["render", str(path), "-o", str(path), *extra])
        assert result.exit_code == 2
        assert "is both the output and the profile" in result.stderr
    assert path.read_text(encoding="utf-8") == PROFILE


def test_batch_never_writes_over_its_input_or_its_own_files(
    runner: CliRunner, tmp_path: Path
) -> None:
    rows = tmp_path / "in.csv"
    rows.write_text("id,tumor_site,therapies,pancreatic_surgery\nr1,stomach,x,none\n")
    out = tmp_path / "out"
    for extra, message in (
        (["--report", str(rows)], "is both the report and the input"),
        (["--merge", str(rows)], "is both the merged file and the input"),
        (["--merge", str(out / "report.csv")], "is both the report and the merged file"),
        (["--report", str(out / "manifest.json")], "is both the report and the manifest"),
    ):
        result = runner.invoke(cli, ["batch", str(rows), "-o", str(out), *extra])
        assert result.exit_code == 2, extra
        assert message in result.stderr
    assert rows.read_text().startswith("id,tumor_site")
    inside = out / "report.csv"
    inside.parent.mkdir(exist_ok=True)
    rows.replace(inside)
    result = runner.invoke(cli, ["batch", str(inside), "-o", str(out)])
    assert result.exit_code == 2
    assert "is both the report and the input" in result.stderr


def test_a_report_named_like_a_handout_never_replaces_it(runner: CliRunner, tmp_path: Path) -> None:
    # red-team P19: --report OUTDIR/r1.pdf replaced patient r1's handout.
    rows = tmp_path / "keep.csv"
    rows.write_text("id,tumor_site,therapies,pancreatic_surgery\nr1,stomach,watch and wait,none\n")
    out = tmp_path / "out"
    result = runner.invoke(
        cli, ["batch", str(rows), "-o", str(out), "--report", str(out / "r1.pdf"), *DATE]
    )
    assert result.exit_code == 0, result.stderr
    assert (out / "r1.pdf").read_bytes().startswith(b"\xef\xbb\xbfrow,id,status")
    assert (out / "r1-2.pdf").read_bytes().startswith(b"%PDF-")


def test_a_file_careplan_did_not_make_is_replaced_only_with_force(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "letter.pdf"
    target.write_text("the only copy of something else")
    result = runner.invoke(cli, ["render", str(profile(tmp_path)), "-o", str(target)])
    assert result.exit_code == 1
    assert "exists and was not made by careplan; rerun with --force" in result.stderr
    assert target.read_text() == "the only copy of something else"
    forced = runner.invoke(cli, ["render", str(profile(tmp_path)), "-o", str(target), "--force"])
    assert forced.exit_code == 0
    assert target.read_bytes().startswith(b"%PDF-")


def test_a_handout_for_another_id_is_replaced_only_with_force(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # red-team P4: ids that clean to the same name replaced each other's handouts.
    monkeypatch.chdir(tmp_path)
    first = runner.invoke(cli, ["render", str(profile(tmp_path, "p1.yaml", "a/b")), *DATE])
    assert first.exit_code == 0
    second = runner.invoke(cli, ["render", str(profile(tmp_path, "p2.yaml", "a-b")), *DATE])
    assert second.exit_code == 1
    assert "holds a handout made for a different id; rerun with --force" in second.stderr
    again = runner.invoke(cli, ["render", str(profile(tmp_path, "p1.yaml", "a/b")), *DATE])
    assert again.exit_code == 0  # the same patient's handout is simply made again


def test_html_output_is_recognised_as_careplans(runner: CliRunner, tmp_path: Path) -> None:
    path, out = profile(tmp_path, ident="h1"), tmp_path / "h.html"
    for _ in range(2):
        result = runner.invoke(cli, ["render", str(path), "--html", "-o", str(out)])
        assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("where", ["nope/x.pdf", "p.yaml/x.pdf"])
def test_an_impossible_output_path_is_a_one_line_error(
    runner: CliRunner, tmp_path: Path, where: str
) -> None:
    path = profile(tmp_path)
    result = runner.invoke(cli, ["render", str(path), "-o", str(tmp_path / where)])
    assert result.exit_code == 1
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "cannot be" in error
    assert "Traceback" not in result.output


def test_a_second_batch_into_a_folder_in_use_stops_at_once(
    runner: CliRunner, tmp_path: Path, write_profile: Callable[..., Path]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    rows = tmp_path / "in.csv"
    rows.write_text("id,tumor_site,therapies,pancreatic_surgery\nr1,stomach,x,none\n")
    with folder_lock(out):
        result = runner.invoke(cli, ["batch", str(rows), "-o", str(out)])
    assert result.exit_code == 1
    assert f"error: {out}: is in use by another careplan batch" in result.stderr
