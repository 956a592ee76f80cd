"""The clinic file: every key optional, unknown keys refused, and a logo only from its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from careplan.clinic import PRRT_MEASURES, load_clinic, parse_clinic
from careplan.errors import ClinicError
from careplan.pdf import AssetOnlyFetcher
from careplan.resources import assets_dir

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def messages(error: pytest.ExceptionInfo[ClinicError]) -> list[str]:
    return [str(p) for p in error.value.problems]


def test_example_clinic_file_loads_every_key() -> None:
    clinic = load_clinic(ROOT / "examples" / "clinic.yaml")
    assert clinic.get("fever_threshold") == "100.4 °F (38 °C)"
    assert clinic.get("emergency_number") == "911"
    assert clinic.get("prrt_days_laundry") == "7"
    assert clinic.logo == (ROOT / "examples" / "clinic-logo.png").resolve()


def test_no_file_and_missing_keys_leave_blanks(tmp_path: Path) -> None:
    assert load_clinic(None).values == {}
    partial = parse_clinic({"phone": "555 0100", "nurse_name": ""}, tmp_path / "c.yaml")
    assert partial.values == {"phone": "555 0100"}
    assert partial.get("after_hours_phone") is None


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    with pytest.raises(ClinicError) as error:
        parse_clinic({"after_hour_phone": "1", "colour": "blue"}, tmp_path / "c.yaml")
    first, second = messages(error)
    assert "unknown key. Did you mean 'after_hours_phone'?" in first
    assert "colour" in second
    assert "Did you mean" not in second


def test_prrt_days_one_number_or_per_measure(tmp_path: Path) -> None:
    one = parse_clinic({"prrt_precaution_days": 3}, tmp_path / "c.yaml")
    assert {one.get(f"prrt_days_{m}") for m in PRRT_MEASURES} == {"3"}
    each = parse_clinic({"prrt_precaution_days": {"toilet": 2}}, tmp_path / "c.yaml")
    assert each.get("prrt_days_toilet") == "2"
    assert each.get("prrt_days_shower") is None
    with pytest.raises(ClinicError) as error:
        parse_clinic({"prrt_precaution_days": {"bath": 2, "toilet": 0}}, tmp_path / "c.yaml")
    assert len(messages(error)) == 2


@pytest.mark.parametrize(
    ("logo", "expected"),
    [
        ("../outside.png", "must be inside the clinic file's own folder"),
        ("/etc/passwd", "must be a file name relative to the clinic file's folder"),
        ("missing.png", "file not found"),
        ("notes.txt", "must be a PNG or JPEG image"),
    ],
)
def test_logo_outside_the_folder_or_not_an_image_is_refused(
    tmp_path: Path, logo: str, expected: str
) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    (tmp_path / "outside.png").write_bytes(PNG)
    (folder / "notes.txt").write_text("hello")
    with pytest.raises(ClinicError) as error:
        parse_clinic({"logo": logo}, folder / "clinic.yaml")
    assert expected in messages(error)[0]


def test_logo_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    (tmp_path / "secret.png").write_bytes(PNG)
    (folder / "logo.png").symlink_to(tmp_path / "secret.png")
    with pytest.raises(ClinicError):
        parse_clinic({"logo": "logo.png"}, folder / "clinic.yaml")


def test_fetcher_reads_only_assets_and_the_named_logo(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    other = tmp_path / "other.png"
    other.write_bytes(PNG)
    fetcher = AssetOnlyFetcher((assets_dir(),), (logo,))
    assert fetcher.fetch(logo.as_uri()).url == logo.as_uri()
    css = (assets_dir() / "handout.css").as_uri()
    assert fetcher.fetch(css).headers["Content-Type"] == "text/css"
    for url in (other.as_uri(), "file:///etc/passwd", "https://example.org/x.png"):
        with pytest.raises(ValueError, match="blocked"):
            fetcher.fetch(url)


def test_a_handout_with_a_logo_does_not_depend_on_the_folder(tmp_path: Path) -> None:
    """The same clinic file and logo in two folders give byte-identical PDFs (golden hashes
    hold on any checkout): the logo goes into the HTML as data, never as a file address."""
    import datetime as dt
    import shutil

    from careplan.inputs import load_profile
    from careplan.options import RenderOptions
    from careplan.render import render_profile

    profile = load_profile(ROOT / "profiles" / "rectal-net-endoscopic-removal.yaml").profile
    options = RenderOptions(date=dt.date(2026, 11, 26))
    made = []
    for folder in ("one", "two/deeper"):
        place = tmp_path / folder
        place.mkdir(parents=True)
        for name in ("clinic.yaml", "clinic-logo.png"):
            shutil.copy(ROOT / "examples" / name, place / name)
        clinic = load_clinic(place / "clinic.yaml")
        document = render_profile(profile, options=options, clinic=clinic)
        assert str(place) not in document.html
        made.append(document.data)
    assert made[0] == made[1]
