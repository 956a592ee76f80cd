"""Names and notes as people really type them, and what a hostile one cannot do to the page."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from careplan.cli import cli
from careplan.clinic import load_clinic
from careplan.errors import ClinicError
from careplan.fonts import font_problems
from careplan.profile import parse_profile

BASE: dict[str, Any] = {
    "tumor_site": "stomach",
    "therapies": ["active_surveillance"],
    "pancreatic_surgery": "none",
}


def test_direction_controls_cannot_reorder_a_name(render: Callable[..., Any]) -> None:
    # red-team T4: "Ann\u202eeb\u202c Smith" printed as "Annbe Smith".
    document = render({**BASE, "patient_name": "Ann\u202eeb\u202c Smith"})
    assert "\u202e" not in document.html
    assert '<bdi class="patient-name" data-running="Anneb Smith">Anneb Smith</bdi>' in document.html


def test_a_long_unbroken_name_wraps_and_the_header_copy_is_cut(
    render: Callable[..., Any], pdf_text: Callable[[bytes], str]
) -> None:
    # red-team T9: a 100-character name ran off the page and over "Page 1 of 6".
    name = "W" * 100
    document = render({**BASE, "patient_name": name, "notes": "N" * 2000})
    assert f'data-running="{"W" * 31}…"' in document.html
    reader = PdfReader(__import__("io").BytesIO(document.data))
    first = reader.pages[0].extract_text()
    assert "W" * 31 + "…" in first
    assert first.count("W") >= 100 + 31  # the whole name wraps in "Prepared for"
    assert pdf_text(document.data).count("N") >= 2000  # the whole note is on the page


@pytest.mark.parametrize(
    "name",
    ["محمد العلي", "דוד כהן", "สมชาย ใจดี", "राहुल शर्मा", "山田 太郎", "김민준", "José Ñúñez"],
)
def test_names_in_other_scripts_print_without_a_warning(name: str) -> None:
    profile = parse_profile({**BASE, "patient_name": name}, "p.yaml").profile
    assert font_problems(profile, "p.yaml") == []


def test_characters_no_font_has_are_counted_never_quoted() -> None:
    profile = parse_profile(
        {**BASE, "patient_name": "Ana \U0001f389\U0001f38a Lopez"}, "x.csv row 4"
    ).profile
    (problem,) = font_problems(profile, "x.csv row 4")
    assert str(problem) == "x.csv row 4: patient_name: 2 characters have no installed font"


def test_validate_warns_about_unprintable_characters(
    runner: CliRunner, write_profile: Callable[..., Path]
) -> None:
    path = write_profile({**BASE, "patient_name": "Ana \U0001f389 Lopez"})
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0
    assert "patient_name: 1 character has no installed font" in result.stderr
    assert "Ana" not in result.stderr


def png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def test_a_huge_logo_is_refused_when_the_clinic_file_is_read(tmp_path: Path) -> None:
    # red-team C10: a 657 KB PNG of 13,000 x 13,000 pixels cost 1.56 GB per render.
    (tmp_path / "logo.png").write_bytes(png_header(13_000, 13_000))
    (tmp_path / "clinic.yaml").write_text("logo: logo.png\n")
    with pytest.raises(ClinicError) as caught:
        load_clinic(tmp_path / "clinic.yaml")
    assert re.search(r"logo: is 13000 x 13000 pixels; use a smaller image", str(caught.value))


def test_an_escaped_nul_in_a_name_never_reaches_the_html(
    render: Callable[..., Any], write_profile: Callable[..., Path], runner: CliRunner
) -> None:
    path = write_profile(
        "tumor_site: stomach\npancreatic_surgery: none\n"
        'therapies: surgery\npatient_name: "Nul\\0Name"\n'
    )
    out = path.with_suffix(".html")
    result = runner.invoke(cli, ["render", str(path), "--html", "-o", str(out)])
    assert result.exit_code == 0
    assert "\x00" not in out.read_text()
    assert "patient_name: 1 invisible or stacked character was removed" in result.stderr
