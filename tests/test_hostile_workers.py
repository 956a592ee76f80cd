"""Faults in the renderer: a dead worker never hangs a batch, SIGTERM ends it cleanly, and an
engine error never prints its message (which could quote a patient's name)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from careplan.batch import run_batch
from careplan.options import RenderOptions
from careplan.worker import RowResult, Task, render_task

DATE = RenderOptions(date=__import__("datetime").date(2026, 1, 1))
HANG_BOUND = 120  # seconds: a bound on hanging, not a speed assertion


def rows_csv(path: Path, count: int) -> Path:
    lines = ["id,tumor_site,therapies,pancreatic_surgery"]
    lines += [f"P{n:02d},stomach,active_surveillance,none" for n in range(1, count + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def kill_on_p05(task: Task) -> RowResult:
    """Render as usual, except that row P05 kills its own worker (like a crash in Pango)."""
    if task.record.raw_id == "P05":
        os.kill(os.getpid(), signal.SIGKILL)
    return render_task(task)


def kill_once(task: Task) -> RowResult:
    """Kill the worker the first time any row is rendered; later attempts render as usual."""
    marker = Path(os.environ["CAREPLAN_TEST_MARKER"])
    if not marker.exists():
        marker.write_text("killed")
        os.kill(os.getpid(), signal.SIGKILL)
    return render_task(task)


def report_lines(outdir: Path) -> list[dict[str, str]]:
    with (outdir / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_row_that_kills_its_worker_fails_and_the_rest_are_written(
    tmp_path: Path, jobs: int
) -> None:
    started = time.monotonic()
    summary = run_batch(
        rows_csv(tmp_path / "rows.csv", 12),
        tmp_path / "out",
        options=DATE,
        jobs=jobs,
        render=kill_on_p05,
    )
    assert time.monotonic() - started < HANG_BOUND
    assert (summary.written, summary.failed, summary.exit_code) == (11, 1, 1)
    lines = report_lines(tmp_path / "out")
    assert len(lines) == 12
    (failed,) = [line for line in lines if line["status"] == "failed"]
    assert failed["id"] == "P05"
    assert failed["errors"] == "the renderer stopped unexpectedly (signal 9)"


def test_rows_held_by_a_worker_killed_from_outside_are_rendered_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAREPLAN_TEST_MARKER", str(tmp_path / "marker"))
    summary = run_batch(
        rows_csv(tmp_path / "rows.csv", 8),
        tmp_path / "out",
        options=DATE,
        jobs=2,
        render=kill_once,
    )
    assert (summary.written, summary.failed, summary.exit_code) == (8, 0, 0)
    assert [line["id"] for line in report_lines(tmp_path / "out")] == [
        f"P{n:02d}" for n in range(1, 9)
    ]


def test_sigterm_writes_the_report_and_exits_143(tmp_path: Path) -> None:
    rows = rows_csv(tmp_path / "rows.csv", 40)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "careplan",
            "batch",
            str(rows),
            "-o",
            str(out),
            "--jobs",
            "1",
            "--date",
            "2026-01-01",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + HANG_BOUND
    while not list(out.glob("P*.pdf")) and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=HANG_BOUND)
    assert process.returncode == 143
    assert "(interrupted)" in stderr
    assert "Traceback" not in stderr
    written = sorted(p.name for p in out.glob("P*.pdf"))
    assert [line["output"] for line in report_lines(out)] == written
    assert not list(out.glob(".careplan-*.part"))


def test_an_engine_error_never_prints_its_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # red-team F10: a traceback quoted "... near 'Bob RAISE-ME Secretname'".
    from careplan import __main__, formats

    def explode(*args: object) -> tuple[bytes, int]:
        raise RuntimeError("near 'Bob Secretname'")

    monkeypatch.setitem(
        formats.FORMATS,
        "pdf",
        formats.FORMATS["pdf"].__class__("pdf", ".pdf", "application/pdf", explode),
    )
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "tumor_site: stomach\npancreatic_surgery: none\ntherapies: x\n"
        "patient_name: Bob Secretname\n".replace("therapies: x", "therapies: surgery")
    )
    code = __main__.run(["render", str(profile), "-o", str(tmp_path / "o.pdf")])
    captured = capsys.readouterr()
    assert code == 1
    assert "error: unexpected RuntimeError; please report this" in captured.err
    assert "Secretname" not in captured.err + captured.out
    assert "Traceback" not in captured.err


def test_a_handout_appears_under_its_name_only_when_the_run_records_it(tmp_path: Path) -> None:
    """Workers stage handouts beside their targets; the parent renames them as it records the
    row, so an interrupted run never leaves a handout that its manifest and report omit."""
    from careplan.inputs import Record
    from careplan.output import stage
    from careplan.worker import WRITTEN, commit_staged

    target = tmp_path / "A-1.pdf"
    task = Task(Record("clinic.csv row 2", 2, {}, raw_id="A-1"), target=target)
    staged = stage(target, b"%PDF-1.7 handout")
    assert not target.exists()
    assert staged.parent == tmp_path
    result = commit_staged(task, RowResult(2, "A-1", WRITTEN, staged=str(staged)))
    assert result.status == WRITTEN
    assert result.staged == ""
    assert target.read_bytes() == b"%PDF-1.7 handout"
    assert not staged.exists()

    blocked = tmp_path / "B-2.pdf"
    blocked.mkdir()  # a folder where the handout should go: the rename fails
    task = Task(Record("clinic.csv row 3", 3, {}, raw_id="B-2"), target=blocked)
    staged = stage(blocked, b"%PDF-1.7 other")
    result = commit_staged(task, RowResult(3, "B-2", WRITTEN, staged=str(staged)))
    assert result.status == "failed"
    assert "cannot write B-2.pdf" in str(result.errors[0])
    assert not staged.exists()
