"""Hostile and damaged CSV files (red-team report, November 2026): no row's data ends up in
another row's handout, nothing is lost silently, and the exit code tells the truth."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner, Result
from pypdf import PdfReader

from careplan.cli import cli

DATE = "2026-01-01"
HEADER = "id,patient_name,tumor_site,therapies,pancreatic_surgery,notes"


def row(ident: str, name: str, notes: str = "fine") -> str:
    return f"{ident},{name},stomach,active_surveillance,none,{notes}"


def batch(runner: CliRunner, path: Path, *args: str) -> Result:
    out = path.parent / "out"
    return runner.invoke(
        cli, ["batch", str(path), "-o", str(out), "--date", DATE, "--jobs", "1", *args]
    )


def report(path: Path) -> list[dict[str, str]]:
    with (path.parent / "out" / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(path).pages)


def test_an_unclosed_quote_never_carries_the_next_rows_into_a_note(
    runner: CliRunner, tmp_path: Path
) -> None:
    # red-team r1: the rows after q2 were printed inside q2's "note from your nurse".
    path = tmp_path / "q.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                row("ok1", "Person One"),
                row("q2", "Person Two", '"unterminated note'),
                row("ok3", "Person Three"),
                row("ok4", "Person Four"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    checked = runner.invoke(cli, ["validate", str(path)])
    assert checked.exit_code == 1
    assert "error: q.csv row 3: a quote opened in notes is never closed" in checked.stderr
    assert checked.stderr.endswith("3 valid, 1 invalid\n")
    result = batch(runner, path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "3 written, 1 failed, 0 skipped"
    out = tmp_path / "out"
    assert sorted(p.name for p in out.glob("*.pdf")) == ["ok1.pdf", "ok3.pdf", "ok4.pdf"]
    assert [(r["id"], r["status"]) for r in report(path)] == [
        ("ok1", "written"),
        ("", "failed"),
        ("ok3", "written"),
        ("ok4", "written"),
    ]
    for name, own in (("ok1", "Person One"), ("ok3", "Person Three"), ("ok4", "Person Four")):
        text = pdf_text(out / f"{name}.pdf")
        assert own in text
        others = {"Person One", "Person Two", "Person Three", "Person Four"} - {own}
        assert not any(other in text for other in others)


def test_a_swallowed_run_longer_than_the_note_limit_is_caught(
    runner: CliRunner, tmp_path: Path
) -> None:
    # Rows with fewer cells than the header do not look like rows; the length limit catches them.
    header = HEADER + ",grade,extent,diabetes,large_print,language,hormone_syndrome"
    short_rows = [f"r{n},Person {n},stomach,active_surveillance,none" for n in range(60)]
    path = tmp_path / "long.csv"
    path.write_text(
        "\n".join([header, row("q1", "Q", '"opened'), *short_rows]) + "\n", encoding="utf-8"
    )
    result = batch(runner, path)
    assert result.exit_code == 1
    assert "long.csv row 2: a quote opened in notes is never closed" in result.stderr
    assert result.stderr.splitlines()[-1] == "60 written, 1 failed, 0 skipped"


def test_a_cell_over_the_csv_field_limit_fails_only_its_row(
    runner: CliRunner, tmp_path: Path
) -> None:
    # red-team r2: batch rendered nothing, printed nothing and exited 0.
    path = tmp_path / "big.csv"
    path.write_text(
        "\n".join(
            [HEADER, row("ok1", "One"), row("big2", "Two", "N" * 140_000), row("ok3", "Three")]
        )
        + "\n",
        encoding="utf-8",
    )
    result = batch(runner, path)
    assert result.exit_code == 1
    assert "big.csv row 3: notes: is too long (140000 characters; at most 2000)" in result.stderr
    assert [(r["id"], r["status"]) for r in report(path)] == [
        ("ok1", "written"),
        ("big2", "failed"),
        ("ok3", "written"),
    ]


def test_mixed_encodings_are_decoded_row_by_row(runner: CliRunner, tmp_path: Path) -> None:
    # red-team r8: one Windows-1252 row made the whole file Windows-1252.
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        (HEADER + "\n").encode()
        + row("m1", "José García").encode("utf-8")
        + b"\n"
        + row("m2", "Zoë Brontë").encode("cp1252")
        + b"\n"
    )
    result = batch(runner, path)
    assert result.exit_code == 0, result.stderr
    assert "José García" in pdf_text(tmp_path / "out" / "m1.pdf")
    assert "Zoë Brontë" in pdf_text(tmp_path / "out" / "m2.pdf")
    warnings = [line for line in result.stderr.splitlines() if "Windows-1252" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: mixed.csv row 3: is not UTF-8")


def test_a_nul_byte_fails_its_row_and_not_the_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(
        (HEADER + "\n" + row("a", "A") + "\n").encode()
        + b"b,B\x00,stomach,x,none,\n"
        + (row("c", "C") + "\n").encode()
    )
    result = batch(runner, path)
    assert result.exit_code == 1
    assert "error: nul.csv row 3: contains a NUL byte" in result.stderr
    assert result.stderr.splitlines()[-1] == "2 written, 1 failed, 0 skipped"


def test_a_header_only_file_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(HEADER + "\n", encoding="utf-8")
    for args in (["validate", str(path)], ["batch", str(path), "-o", str(tmp_path / "o")]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1
        assert "empty.csv: has a header but no data rows; nothing to do" in result.stderr


def test_an_endless_line_stops_with_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "endless.csv"
    path.write_bytes((HEADER + "\n" + row("a", "A") + "\n").encode() + b"x" * (2 << 20))
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert "endless.csv row 3: a line is longer than 1 MB" in result.stderr
    assert result.stderr.endswith("1 valid, 0 invalid\n")


def test_a_file_with_no_header_never_prints_patient_text(runner: CliRunner, tmp_path: Path) -> None:
    # red-team r7: header cells that were really a patient's data were quoted back.
    path = tmp_path / "noheader.csv"
    path.write_text(
        "N-101,Maria Lopez,pancreas,localized,g2,insulinoma,,done,whipple,none,no,"
        "HIV positive; lives alone\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    for private in ("Maria", "Lopez", "HIV", "lives alone", "N-101"):
        assert private not in result.stderr


def test_a_shifted_row_never_quotes_the_name(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "shifted.csv"
    path.write_text(
        "id,patient_name,tumor_site,therapies,pancreatic_surgery\n"
        "N-101,Lopez, Maria,pancreas,lanreotide,none\n",
        encoding="utf-8",
    )
    result = batch(runner, path)
    assert result.exit_code == 1
    text = result.stderr + (tmp_path / "out" / "report.csv").read_text(encoding="utf-8-sig")
    assert "Maria" not in text
    assert "tumor_site: not an allowed value (5 characters)" in text


def test_duplicate_ids_warn_in_batch_as_in_validate(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "dups.csv"
    path.write_text("\n".join([HEADER, row("D1", "A"), row("D1", "B")]) + "\n", encoding="utf-8")
    expected = "dups.csv row 3: id: is also the id of dups.csv row 2"
    assert expected in runner.invoke(cli, ["validate", str(path)]).stderr
    result = batch(runner, path)
    assert expected in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == ["D1-2.pdf", "D1.pdf"]


def test_problem_lines_are_capped_per_row_and_per_report_cell(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "many.csv"
    items = ";".join(f"x{n}" for n in range(29))
    path.write_text(f"{HEADER}\nm1,M,stomach,{items},none,\n", encoding="utf-8")
    result = batch(runner, path)
    errors = [
        line for line in result.stderr.splitlines() if line.startswith("error: many.csv row 2")
    ]
    assert len(errors) == 21
    assert errors[-1] == "error: many.csv row 2: … and 9 more"
    (line,) = report(path)
    assert line["errors"].count(" | ") == 20
