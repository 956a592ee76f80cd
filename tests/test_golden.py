"""Golden PDFs: refactoring must not change a single byte of any example handout.

``tests/data/golden-pdfs.sha256`` holds the SHA-256 of every example profile's PDF at a fixed
date, with and without the example clinic file. A commit that changes the output on purpose
regenerates it with ``make golden`` and says why in its message.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from careplan.clinic import load_clinic
from careplan.inputs import load_profile
from careplan.options import RenderOptions
from careplan.render import render_profile

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden-pdfs.sha256"
GOLDEN_DATE = "2026-11-26"


def current_hashes() -> dict[str, str]:
    """Render every example profile, without and with the example clinic file."""
    import datetime as dt

    options = RenderOptions(date=dt.date.fromisoformat(GOLDEN_DATE))
    clinics = {"no-clinic": None, "clinic": load_clinic(ROOT / "examples" / "clinic.yaml")}
    hashes = {}
    for path in sorted((ROOT / "profiles").glob("*.yaml")):
        profile = load_profile(path).profile
        for label, clinic in clinics.items():
            pdf = render_profile(profile, options=options, clinic=clinic).data
            assert pdf is not None
            hashes[f"{path.stem}.{label}.pdf"] = hashlib.sha256(pdf).hexdigest()
    return hashes


def read_golden() -> dict[str, str]:
    """Read the committed hashes (``sha256  name`` lines, as sha256sum writes them)."""
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines if line)}


def test_example_pdfs_are_byte_identical_to_the_golden_hashes(
    request: pytest.FixtureRequest,
) -> None:
    hashes = current_hashes()
    if request.config.getoption("--update-golden"):
        GOLDEN.write_text(
            "".join(f"{digest}  {name}\n" for name, digest in hashes.items()), encoding="utf-8"
        )
    changed = sorted(name for name, digest in hashes.items() if read_golden().get(name) != digest)
    assert changed == [], "example PDFs changed; if on purpose, run `make golden` and say why"
    assert set(read_golden()) == set(hashes)
