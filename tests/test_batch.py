"""``careplan batch``: isolation, naming, exit codes, report, resume, merge and parity."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from pypdf import PdfReader

from careplan.cli import cli
from careplan.errors import Problem
from careplan.inputs import read_records
from careplan.progress import BatchProgress
from careplan.report import neutralize
from careplan.worker import RowResult

DATA = Path(__file__).resolve().parent / "data" / "csv"
DATE = "2026-11-26"
HEADER = "id,patient_name,tumor_site,therapies,pancreatic_surgery"


def batch(runner: CliRunner, csv_path: Path, outdir: Path, *args: str) -> Result:
    return runner.invoke(
        cli, ["batch", str(csv_path), "-o", str(outdir), "--date", DATE, "--jobs", "2", *args]
    )


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def clinic_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """Batch the example CSV once (with a merged print file) for several tests."""
    outdir = tmp_path_factory.mktemp("clinic-day")
    result = batch(CliRunner(), DATA / "clinic-day.csv", outdir, "--merge", str(outdir / "all.pdf"))
    return outdir, result


def test_example_csv_matches_careplan_render_on_each_row(
    clinic_day: tuple[Path, Result], tmp_path: Path, runner: CliRunner
) -> None:
    outdir, result = clinic_day
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "4 written, 0 failed, 0 skipped"
    assert "no clinic file (--clinic)" in result.stderr.splitlines()[0]
    for row in read_records(DATA / "clinic-day.csv").rows():
        profile = tmp_path / f"{row.raw_id}.yaml"
        profile.write_text(yaml.safe_dump(dict(row.values)), encoding="utf-8")
        single = tmp_path / f"{row.raw_id}.pdf"
        rendered = runner.invoke(cli, ["render", str(profile), "-o", str(single), "--date", DATE])
        assert rendered.exit_code == 0, rendered.stderr
        assert (outdir / f"{row.raw_id}.pdf").read_bytes() == single.read_bytes(), row.raw_id


def test_report_and_manifest_describe_every_row(clinic_day: tuple[Path, Result]) -> None:
    outdir, _ = clinic_day
    report = read_report(outdir / "report.csv")
    assert [(r["row"], r["id"], r["status"], r["output"]) for r in report] == [
        ("2", "CD-01", "written", "CD-01.pdf"),
        ("3", "CD-02", "written", "CD-02.pdf"),
        ("4", "CD-03", "written", "CD-03.pdf"),
        ("5", "CD-04", "written", "CD-04.pdf"),
    ]
    manifest = json.loads((outdir / "manifest.json").read_text())["outputs"]
    for line in report:
        pdf = (outdir / line["output"]).read_bytes()
        assert line["sha256"] == hashlib.sha256(pdf).hexdigest()
        assert int(line["pages"]) == len(PdfReader(io.BytesIO(pdf)).pages)
        assert manifest[line["output"]]["sha256"] == line["sha256"]
        assert line["errors"] == ""
    assert "Example" not in (outdir / "report.csv").read_text(encoding="utf-8-sig")


def test_merged_file_starts_each_handout_on_a_fresh_sheet(clinic_day: tuple[Path, Result]) -> None:
    outdir, result = clinic_day
    merged = PdfReader(outdir / "all.pdf")
    report = read_report(outdir / "report.csv")
    pages = [int(r["pages"]) for r in report]
    assert len(merged.pages) == sum(n + n % 2 for n in pages)
    assert f"print file: {outdir / 'all.pdf'} ({len(merged.pages)} pages)" in result.stderr
    titles = [item for item in merged.outline if not isinstance(item, list)]
    assert [t.title for t in titles] == ["CD-01", "CD-02", "CD-03", "CD-04"]
    starts = [merged.get_destination_page_number(t) for t in titles]
    expected = [sum(n + n % 2 for n in pages[:i]) for i in range(len(pages))]
    assert starts == expected
    assert all(start % 2 == 0 for start in starts)  # a front side when printed duplex
    assert any(n % 2 for n in pages), "the example should include an odd page count"


def test_messy_csv_isolates_bad_rows_and_keeps_names_safe(
    runner: CliRunner, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    result = batch(runner, DATA / "messy.csv", outdir)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "6 written, 3 failed, 0 skipped"
    assert sorted(p.name for p in outdir.iterdir()) == [
        ".careplan.lock",
        "N-5.pdf",
        "N-6.pdf",
        "etc-passwd.pdf",
        "id-CON.pdf",
        "manifest.json",
        "n-5-2.pdf",
        "report.csv",
        "row-7.pdf",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    report = read_report(outdir / "report.csv")
    by_row = {r["row"]: r for r in report}
    assert by_row["9"]["id"] == "'=cmd|calc"  # neutralized: a spreadsheet shows it as text
    assert by_row["10"]["id"] == "'+1"
    assert by_row["12"]["id"] == "'@SUM(1)"
    assert by_row["9"]["status"] == "failed"
    assert by_row["9"]["output"] == by_row["9"]["pages"] == ""
    assert (
        by_row["9"]["errors"]
        .split(" | ")[0]
        .startswith("tumor_site: not an allowed value (7 characters). Did you mean 'pancreas'?")
    )
    assert "error: messy.csv row 10: large_print: not true or false (5 characters)" in result.stderr
    text = result.stderr + (outdir / "report.csv").read_text(encoding="utf-8-sig")
    for private in ("<b>Ann</b>", "Bob", "@Gus", "Fay", "HYPERLINK", "line one", "<script>"):
        assert private not in text
    # HTML in a name is printed as text, not interpreted.
    first = PdfReader(outdir / "N-5.pdf")
    assert "<b>Ann</b> =1+1" in " ".join(p.extract_text() for p in first.pages[:2])


def test_unreadable_header_renders_nothing(runner: CliRunner, tmp_path: Path) -> None:
    result = batch(runner, DATA / "typo-header.csv", tmp_path / "out")
    assert result.exit_code == 1
    assert "Did you mean 'therapies'?" in result.stderr
    assert not (tmp_path / "out").exists()


def two_rows(tmp_path: Path, second_site: str = "lung") -> Path:
    path = tmp_path / "two.csv"
    path.write_text(
        f"{HEADER}\nA-1,Ann,stomach,endoscopic resection,none\n"
        f"A-2,Bo,{second_site},surveillance,none\n",
        encoding="utf-8",
    )
    return path


def test_skip_existing_renders_only_what_changed(runner: CliRunner, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    csv_path = two_rows(tmp_path)
    assert batch(runner, csv_path, outdir).exit_code == 0
    again = batch(runner, csv_path, outdir, "--skip-existing")
    assert again.stderr.splitlines()[-1] == "0 written, 0 failed, 2 skipped"
    assert [r["status"] for r in read_report(outdir / "report.csv")] == ["skipped", "skipped"]
    two_rows(tmp_path, second_site="colon")  # an edited row is rendered again
    (outdir / "A-1.pdf").write_bytes(b"%PDF-damaged")  # so is a damaged file
    edited = batch(runner, csv_path, outdir, "--skip-existing")
    assert edited.stderr.splitlines()[-1] == "2 written, 0 failed, 0 skipped"
    options = batch(runner, csv_path, outdir, "--skip-existing", "--only", "A-1", "--paper", "a4")
    assert options.stderr.splitlines()[-1] == "1 written, 0 failed, 0 skipped"


def test_skipped_rows_that_fill_the_window_never_hang_the_run(tmp_path: Path) -> None:
    """Four skipped rows fill one worker's window; the run must go on to the rows after them."""
    rows = [f"S-{n},Name {n},stomach,active_surveillance,none" for n in range(1, 7)]
    csv_path = tmp_path / "six.csv"
    csv_path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    outdir = tmp_path / "out"
    command = [sys.executable, "-m", "careplan", "batch", str(csv_path), "-o", str(outdir)]
    command += ["--date", DATE, "--jobs", "1"]
    assert subprocess.run(command, capture_output=True, timeout=120).returncode == 0
    rows[4:] = [row.replace("stomach", "rectum") for row in rows[4:]]
    csv_path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    again = subprocess.run(
        [*command, "--skip-existing"], capture_output=True, text=True, timeout=120
    )
    assert again.stderr.splitlines()[-1] == "2 written, 0 failed, 4 skipped"


def test_only_reprints_chosen_ids(runner: CliRunner, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    result = batch(runner, two_rows(tmp_path), outdir, "--only", "a-2,Z-9")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "1 written, 0 failed, 0 skipped"
    assert "warning: --only: no row has the id 'z-9'" in result.stderr
    assert [r["id"] for r in read_report(outdir / "report.csv")] == ["A-2"]
    assert not (outdir / "A-1.pdf").exists()


def test_a_row_that_now_fails_loses_its_old_pdf(runner: CliRunner, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    csv_path = two_rows(tmp_path)
    assert batch(runner, csv_path, outdir).exit_code == 0
    two_rows(tmp_path, second_site="lungg")
    result = batch(runner, csv_path, outdir, "--skip-existing", "--report", str(tmp_path / "r.csv"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "0 written, 1 failed, 1 skipped"
    assert not (outdir / "A-2.pdf").exists()
    assert "A-2.pdf" not in json.loads((outdir / "manifest.json").read_text())["outputs"]
    assert [r["status"] for r in read_report(tmp_path / "r.csv")] == ["skipped", "failed"]
    # The first run's report in OUTDIR is left alone when --report points elsewhere.
    assert [r["status"] for r in read_report(outdir / "report.csv")] == ["written", "written"]


def test_ctrl_c_stops_promptly_and_the_next_run_resumes(tmp_path: Path) -> None:
    rows = "".join(f"K-{i},Name {i},stomach,endoscopic resection,none\n" for i in range(12))
    csv_path = tmp_path / "many.csv"
    csv_path.write_text(f"{HEADER}\n{rows}", encoding="utf-8")
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / ".careplan-stale.part").write_bytes(b"left by a killed run")
    command = [sys.executable, "-m", "careplan", "batch", str(csv_path), "-o", str(outdir)]
    command += ["--date", DATE, "--jobs", "2"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(outdir.glob("*.pdf"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    started = time.monotonic()
    _, stderr = process.communicate(timeout=30)
    assert time.monotonic() - started < 5
    assert process.returncode == 130, stderr
    last = stderr.splitlines()[-1]
    assert last.endswith("skipped (interrupted)")
    written = int(last.split()[0])
    assert 2 <= written < 12
    assert list(outdir.glob(".careplan-*")) == []
    manifest = json.loads((outdir / "manifest.json").read_text())["outputs"]
    for pdf in outdir.glob("*.pdf"):
        PdfReader(pdf)  # complete
    assert len(manifest) == written
    for name, entry in manifest.items():
        assert hashlib.sha256((outdir / name).read_bytes()).hexdigest() == entry["sha256"]
    resumed = CliRunner().invoke(cli, [*command[3:], "--skip-existing"])
    assert resumed.exit_code == 0, resumed.stderr
    summary = resumed.stderr.splitlines()[-1]
    assert summary == f"{12 - written} written, 0 failed, {written} skipped"


def test_neutralize_formula_like_cells() -> None:
    assert [neutralize(v) for v in ("=1+1", "+1", "-2", "@x", "\tx", "\rx", "a=b", 3)] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@x",
        "'\tx",
        "'\rx",
        "a=b",
        "3",
    ]


def test_progress_prints_plain_lines_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = BatchProgress(stream, tty=False)
    progress.start(40)
    problem = Problem("f.csv row 3", "grade", "not an allowed value (2 characters)")
    failed = RowResult(row=3, id="X", status="failed", errors=(problem,))
    for _ in range(40):
        progress.result("f.csv row 3", failed)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "error: f.csv row 3: grade: not an allowed value (2 characters)"
    progress_lines = [line for line in lines if not line.startswith("error:")]
    assert len(progress_lines) == 20
    assert progress_lines[-1].startswith("40/40 rows, ")
    assert "\r" not in stream.getvalue()


def test_progress_redraws_one_line_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = BatchProgress(stream, tty=True)
    progress.start(2)
    progress.result("f.csv row 2", RowResult(row=2, id="A", status="written"))
    progress.warning(Problem("f.csv", None, "something to check"))
    progress.finish()
    text = stream.getvalue()
    assert text.startswith("\r\x1b[K1/2 rows, ")
    assert "/s, about " in text
    assert text.endswith("\r\x1b[Kwarning: f.csv: something to check\n")


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="workers must inherit the patch"
)
def test_a_worker_that_cannot_start_fails_rows_instead_of_hanging(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("templates missing")

    monkeypatch.setattr("careplan.html.environment", broken)
    result = batch(runner, two_rows(tmp_path), tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "0 written, 2 failed, 0 skipped"
    assert "error: two.csv row 2: the renderer could not start (RuntimeError)" in result.stderr
