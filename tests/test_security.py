"""Hostile input: markup, template syntax, CSS and YAML tags print literally and fetch nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from careplan.cli import cli
from careplan.errors import CareplanError
from careplan.inputs import load_profile
from careplan.pdf import AssetOnlyFetcher
from careplan.resources import assets_dir

HOSTILE_NAME = '<img src="file:///etc/passwd">'
HOSTILE_NOTES = (
    "{{ 7*7 }} {% include 'x' %}\n"
    "<style>@import url(file:///etc/passwd);</style>\n"
    "<link rel=attachment href=file:///etc/hostname>\n"
    "url(http://169.254.169.254/latest) & </body>"
)
PROFILE: dict[str, Any] = {
    "id": "evil",
    "patient_name": HOSTILE_NAME,
    "tumor_site": "lung",
    "therapies": ["lung_resection:completed"],
    "pancreatic_surgery": "none",
    "notes": HOSTILE_NOTES,
}


def test_hostile_text_prints_literally_and_fetches_nothing(
    render: Callable[..., Any], pdf_text: Callable[[bytes], str]
) -> None:
    handout = render(PROFILE)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in handout.html
    assert '<img src="file:///etc/passwd">' not in handout.html
    assert "{{ 7*7 }}" in handout.html
    assert "49" not in handout.html.split("{{ 7*7 }}")[1][:5]
    text = pdf_text(handout.data)
    assert HOSTILE_NAME in text
    assert "{{ 7*7 }}" in text
    assert "@import url(file:///etc/passwd);" in text
    reader = PdfReader(__import__("io").BytesIO(handout.data))
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    assert b"root:x:0:0" not in handout.data


def test_notes_keep_line_breaks(render: Callable[..., Any]) -> None:
    html = render(PROFILE).html
    assert "{{ 7*7 }} {% include &#39;x&#39; %}<br>" in html


def test_yaml_object_tags_are_refused(write_profile: Callable[..., Path], tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write_profile(f'tumor_site: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(CareplanError, match=r"YAML tags \(such as !!binary or !!python\) are not"):
        load_profile(path)
    assert not marker.exists()


def test_duplicate_yaml_keys_are_refused(write_profile: Callable[..., Path]) -> None:
    path = write_profile(
        "tumor_site: lung\ntherapies: [surgery]\ntherapies: []\npancreatic_surgery: none\n"
    )
    with pytest.raises(CareplanError, match="line 3: a key is given twice"):
        load_profile(path)


def test_yaml_top_level_list_is_a_clear_error(
    runner: CliRunner, write_profile: Callable[..., Path]
) -> None:
    path = write_profile("- tumor_site: lung\n")
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {path}: a profile must be a mapping of keys to "
        "values (key: value), but this is a list",
        f"{path}: invalid",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/",
        "https://example.org/x.css",
        "ftp://example.org/x",
        f"{assets_dir().as_uri()}/../../pyproject.toml",
    ],
)
def test_fetcher_refuses_everything_outside_the_assets(url: str) -> None:
    with pytest.raises(ValueError, match="blocked"):
        AssetOnlyFetcher((assets_dir(),)).fetch(url)


def test_fetcher_serves_assets_and_data_urls() -> None:
    fetcher = AssetOnlyFetcher((assets_dir(),))
    font = next((assets_dir() / "fonts").glob("*.ttf"))
    assert fetcher.fetch(font.as_uri()).read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
