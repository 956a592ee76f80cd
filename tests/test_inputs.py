"""The input seam: CSV profiles as spreadsheets export them, YAML files, ``careplan validate``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from careplan.cli import cli
from careplan.errors import ProfileError
from careplan.inputs import Record, read_records, to_profile
from careplan.output import OutputNames
from careplan.validate import validate_input

DATA = Path(__file__).resolve().parent / "data" / "csv"
HEADER = "id,patient_name,tumor_site,therapies,pancreatic_surgery"


def write(tmp_path: Path, data: bytes | str, name: str = "rows.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def rows_of(path: Path) -> list[Record]:
    table = read_records(path)
    assert not table.problems, table.problems
    rows = list(table.rows())
    assert not table.problems, table.problems
    return rows


def strings(problems: list) -> list[str]:
    return [str(p) for p in problems]


def test_messy_export_bom_crlf_semicolons_header_spellings() -> None:
    table = read_records(DATA / "messy.csv")
    assert (table.kind, table.problems) == ("csv", [])
    assert strings(table.warnings) == [
        "messy.csv row 1: column 13: is not a profile field (4 characters); ignored"
    ]
    rows = list(table.rows())
    first = rows[0]
    assert first.number == 3  # header is row 1, the blank line is row 2
    assert first.values["id"] == "N-5"  # stray spaces stripped
    assert first.values["tumor_site"] == "Small Bowel"
    assert "Ward" not in first.values
    assert "4B" not in first.values.values()
    profile = to_profile(first).profile
    assert profile.tumor_site == "small_intestine"
    assert profile.extent == "distant"
    assert profile.hormone_syndrome == ("carcinoid_syndrome",)
    assert [(t.id, t.status) for t in profile.therapies] == [
        ("lanreotide", "current"),
        ("prrt_lu177", "planned"),
    ]
    # Blank lines keep their numbers, and a quoted cell with a line break is one row.
    assert [r.number for r in rows] == [3, 4, 6, 7, 8, 9, 10, 11, 12]
    assert to_profile(rows[-2]).profile.notes == "line one\nline two"


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("ID,Patient Name,Tumor Site,Therapies,Pancreatic-Surgery", ","),
        ("id;patient_name;tumour_site;treatment;pancreas_surgery", ";"),
        ("Id\tName\tPrimary Site\tTherapy\tpancreatic surgery", "\t"),
    ],
)
def test_delimiter_detected_from_header(tmp_path: Path, header: str, delimiter: str) -> None:
    line = delimiter.join(["P-1", "Ann, Jr; x", "lung", "surveillance", "none"])
    if delimiter != "\t":
        line = line.replace("Ann, Jr; x", '"Ann, Jr; x"')
    (row,) = rows_of(write(tmp_path, f"{header}\r\n{line}\r\n"))
    assert row.values == {
        "id": "P-1",
        "patient_name": "Ann, Jr; x",
        "tumor_site": "lung",
        "therapies": "surveillance",
        "pancreatic_surgery": "none",
    }


def test_windows_1252_is_decoded_with_a_warning() -> None:
    (row,) = rows_of(DATA / "windows-1252.csv")
    (warning,) = row.warnings
    assert "not UTF-8" in str(warning)
    assert "CSV UTF-8" in str(warning)
    assert to_profile(row).profile.patient_name == "Zoë Café"


def test_utf16_unicode_text_export(tmp_path: Path) -> None:
    text = HEADER.replace(",", "\t") + "\r\nU-1\tZoë\tpancreas\tAfinitor\tnone\r\n"
    (row,) = rows_of(write(tmp_path, text.encode("utf-16")))
    assert to_profile(row).profile.therapy_ids == ("everolimus",)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x81\x8d\x90,tumor_site\nx,y\n", "is not a readable text file"),
        (b"PK\x03\x04rest-of-a-zip", "Excel or OpenDocument workbook"),
        (b"\n\r\n  \n", "is empty"),
    ],
)
def test_unreadable_files_are_fatal_and_say_how_to_resave(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    report = validate_input(write(tmp_path, data))
    assert report.exit_code == 1
    assert report.valid == report.invalid == 0
    assert expected in str(report.problems[0])


def test_missing_file_is_fatal(tmp_path: Path) -> None:
    report = validate_input(tmp_path / "nope.csv")
    assert report.exit_code == 1
    assert str(report.problems[0]) == "nope.csv: file not found"


def test_near_miss_header_is_an_error_with_did_you_mean() -> None:
    table = read_records(DATA / "typo-header.csv")
    assert strings(table.problems) == [
        "typo-header.csv row 1: column 4: unknown column (10 characters). Did you mean 'therapies'?"
    ]
    assert list(table.rows()) == []


def test_header_problems(tmp_path: Path) -> None:
    table = read_records(write(tmp_path, "id,tumor_site,Tumour Site,therapies\n1,lung,lung,rt\n"))
    assert strings(table.problems) == [
        "rows.csv row 1: column 3: is the same field as column 2 (tumor_site); keep one of them",
        "rows.csv row 1: has no 'pancreatic_surgery' column; every row needs one",
    ]


def test_unnamed_column_is_ignored_with_one_warning(tmp_path: Path) -> None:
    table = read_records(write(tmp_path, f"{HEADER},\nA,Ann,lung,rt,none,x\nB,Bo,lung,rt,none,y\n"))
    assert strings(table.warnings) == ["rows.csv row 1: column 6: has no header; ignored"]
    assert len(list(table.rows())) == 2


def test_row_with_more_cells_than_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\nA,Ann,lung,rt,none,,\nB,Bo,lung,rt,none,oops\n")
    first, second = rows_of(path)
    to_profile(first)  # trailing empty cells are harmless
    with pytest.raises(ProfileError) as caught:
        to_profile(second)
    assert str(caught.value) == (
        "rows.csv row 3: has 6 cells but the header has 5 columns; look for a stray "
        "delimiter or an unquoted ',' or ';' in a cell"
    )


def test_list_cells_split_on_semicolons_commas_and_line_breaks(tmp_path: Path) -> None:
    text = (
        f"{HEADER},hormone_syndrome\n"
        'A,,pancreas,"everolimus; Sandostatin LAR:current",none,"gastrinoma,insulinoma"\n'
        'B,,pancreas,"CAPTEM\nPPI",none,\n'
    )
    first, second = (to_profile(r).profile for r in rows_of(write(tmp_path, text)))
    assert first.therapy_ids == ("everolimus", "octreotide_lar")
    assert first.hormone_syndrome == ("gastrinoma", "insulinoma")
    assert second.therapy_ids == ("captem", "ppi")


def test_validate_lists_every_bad_row_with_number_field_value_and_hint() -> None:
    report = validate_input(DATA / "messy.csv")
    assert (report.valid, report.invalid, report.exit_code) == (6, 3, 1)
    messages = strings(report.problems)
    assert messages[0].startswith(
        "messy.csv row 9: tumor_site: not an allowed value (7 characters). Did you mean "
        "'pancreas'? Allowed values: pancreas, small_intestine,"
    )
    assert messages[1].startswith(
        "messy.csv row 9: therapies: item 1: not an allowed value (3 characters)."
    )
    assert messages[2] == (
        "messy.csv row 9: grade: not an allowed value (2 characters). Allowed values: g1, g2, "
        "g3, nec, unknown"
    )
    assert messages[3] == (
        "messy.csv row 10: large_print: not true or false (5 characters). Allowed values: "
        "true, false (also yes/no, 1/0)"
    )
    assert messages[4].startswith(
        "messy.csv row 12: tumor_site: not an allowed value (11 characters)."
    )
    assert messages[5].startswith("messy.csv row 12: extent: not an allowed value (4 characters).")
    for quoted in ("<script>", "<b>", "=1+2", "pancrea'", "maybe", "g7"):
        assert quoted not in " ".join(messages)
    assert (
        "messy.csv row 4: id: is also the id of messy.csv row 3; this handout will be saved as "
        "n-5-2.pdf"
    ) in strings(report.warnings)


def test_problems_never_quote_the_name_or_notes(tmp_path: Path) -> None:
    name, notes = "Secretname " * 12, "Secretnote " * 300
    path = write(tmp_path, f'{HEADER},notes\nA,{name},lung,rt,none,"{notes}"\n')
    report = validate_input(path)
    assert report.invalid == 1
    text = " ".join(map(str, [*report.problems, *report.warnings]))
    assert "patient_name: is too long" in text
    assert "notes: is too long" in text
    assert "Secret" not in text


def test_output_names_are_safe_unique_and_never_the_name() -> None:
    names = OutputNames(".pdf", reserved=("all.pdf",))
    ids = ["N-5", "n-5", "N-5", "../../etc/passwd", "/abs/path", "", "  ", "CON", "ALL", "é"]
    rows = [
        Record(f"x row {i + 2}", i + 2, {"id": v, "patient_name": "Ann"}, raw_id=v.strip())
        for i, v in enumerate(ids)
    ]
    assert [names.assign(r)[0] for r in rows] == [
        "N-5.pdf",
        "n-5-2.pdf",
        "N-5-3.pdf",
        "etc-passwd.pdf",
        "abs-path.pdf",
        "row-7.pdf",
        "row-8.pdf",
        "id-CON.pdf",
        "ALL-2.pdf",
        "row-11.pdf",
    ]


def test_cli_validate_csv_lists_rows_and_renders_nothing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["validate", str(DATA / "messy.csv")])
    assert list(tmp_path.iterdir()) == []
    assert result.exit_code == 1
    assert "error: messy.csv row 9: tumor_site: not an allowed value (7" in result.stderr
    assert result.stderr.endswith("6 valid, 3 invalid\n")
    ok = runner.invoke(cli, ["validate", str(DATA / "clinic-day.csv")])
    assert ok.exit_code == 0, ok.stderr
    assert ok.stderr == "4 valid, 0 invalid\n"


def test_cli_validate_fatal_header_exits_1(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", str(DATA / "typo-header.csv")])
    assert result.exit_code == 1
    assert "Did you mean 'therapies'?" in result.stderr


def test_reading_inputs_never_imports_weasyprint() -> None:
    code = (
        "import sys, careplan.validate as v; v.validate_input(sys.argv[1]); "
        "assert 'weasyprint' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code, str(DATA / "messy.csv")], check=True)
