"""Shared fixtures: a CLI runner, profile files, and rendering a profile to PDF text.

(textstat 0.7.8 installs a top-level ``tests`` package, so helpers live here as fixtures
rather than in an importable ``tests`` module.)
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader

from careplan.clinic import Clinic
from careplan.options import RenderOptions
from careplan.profile import parse_profile
from careplan.render import Document, render_profile

ROOT = Path(__file__).resolve().parent.parent
FIXED_DATE = dt.date(2026, 11, 26)
_RENDER_CACHE: dict[str, Document] = {}


def normalize_text(text: str) -> str:
    """Collapse whitespace and undo line-end hyphen-free wrapping, for phrase searches."""
    return re.sub(r"\s+", " ", text).strip()


def page_starts_with(text: str, heading: str, ui: dict[str, Any]) -> bool:
    """Say whether a page's text, whitespace collapsed, starts with ``heading`` once the running
    header ("Jane Doe Page 3 of 9", in the handout's language) is taken off; without a patient
    name the header may come last instead."""
    page_number = re.escape(ui["page_number"]).replace(r"\{page\}", r"\d+")
    header = "^.{0,80}?" + page_number.replace(r"\{pages\}", r"\d+") + " "
    return re.sub(header, "", text).startswith(heading)


def extract_pdf_text(pdf: bytes) -> str:
    """Return the whole PDF's text with whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    return normalize_text(" ".join(page.extract_text() or "" for page in reader.pages))


@pytest.fixture
def runner() -> CliRunner:
    """Return a Click test runner."""
    return CliRunner()


@pytest.fixture
def repo_root() -> Path:
    """Return the repository root."""
    return ROOT


@pytest.fixture
def write_profile(tmp_path: Path) -> Callable[..., Path]:
    """Return a function writing a profile mapping (or raw text) to a YAML file."""

    def write(data: dict[str, Any] | str, name: str = "profile.yaml") -> Path:
        path = tmp_path / name
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def render_handout(
    data: dict[str, Any], *, clinic: Clinic | None = None, **options: Any
) -> Document:
    """Validate a profile mapping and render it (cached per profile and options)."""
    key = repr((sorted(data.items()), sorted(options.items()), clinic))
    if key not in _RENDER_CACHE:
        profile = parse_profile(data, "test-profile").profile
        render_options = RenderOptions(date=options.pop("date", FIXED_DATE), **options)
        _RENDER_CACHE[key] = render_profile(profile, options=render_options, clinic=clinic)
    return _RENDER_CACHE[key]


@pytest.fixture(scope="session")
def render() -> Callable[..., Document]:
    """Return ``render(profile_dict, **options) -> Document`` (PDF rendered, cached)."""
    return render_handout


@pytest.fixture(scope="session")
def render_text() -> Callable[..., str]:
    """Return ``render_text(profile_dict, **options) -> str``: the rendered PDF's text."""

    def text(data: dict[str, Any], **options: Any) -> str:
        handout = render_handout(data, **options)
        assert handout.data is not None
        return extract_pdf_text(handout.data)

    return text


@pytest.fixture(scope="session")
def pdf_text() -> Callable[[bytes], str]:
    """Return a function extracting normalised text from PDF bytes."""
    return extract_pdf_text


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--update-golden`` rewrites tests/data/golden-pdfs.sha256 (``make golden``)."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/data/golden-pdfs.sha256 from the current output",
    )
