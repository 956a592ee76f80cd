"""Where careplan's own files live, in a source checkout and in an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CONTENT_DIR = PACKAGE_DIR / "content"


@cache
def templates_dir() -> Path:
    """Return the templates folder: packaged in a wheel, at the repository root in a checkout."""
    for candidate in (PACKAGE_DIR / "templates", PACKAGE_DIR.parent.parent / "templates"):
        if (candidate / "handout" / "handout.html.j2").is_file():
            return candidate
    raise FileNotFoundError("careplan templates not found; reinstall careplan")


def handout_dir() -> Path:
    """Return the handout's templates: the only Jinja root a handout renders from."""
    return templates_dir() / "handout"


def assets_dir() -> Path:
    """Return the folder of fonts and stylesheets, the only files a handout may load."""
    return handout_dir() / "assets"
