"""Can this machine print every character of a name or note? (asks fontconfig, never the text)

The handout's fonts cover Latin scripts; for other scripts WeasyPrint (through Pango and
fontconfig) falls back to any installed font that has the character. A character no
installed font has prints as an empty box, so the nurse is warned, with a count, never the
text.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from functools import cache

from careplan.errors import Problem
from careplan.model import Profile

# Latin, Latin-1 and Latin Extended-A: the bundled Atkinson Hyperlegible faces (and the
# Noto and DejaVu fallbacks) cover them; no need to ask fontconfig.
ALWAYS_COVERED = 0x0180
SILENT = frozenset({"Cc", "Cf", "Mn", "Me", "Zs", "Zl", "Zp"})  # drawn with, or as, nothing


@cache
def _fc_list() -> str | None:
    return shutil.which("fc-list")


@cache
def has_glyph(char: str) -> bool:
    """Tell whether some installed font has ``char`` (True when fontconfig cannot be asked)."""
    if ord(char) < ALWAYS_COVERED or unicodedata.category(char) in SILENT:
        return True
    program = _fc_list()
    if program is None:
        return True
    try:
        found = subprocess.run(
            [program, f":charset={ord(char):x}", "family"],
            capture_output=True,
            check=False,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return True
    return bool(found.strip())


def missing_glyphs(text: str) -> int:
    """Count the characters of ``text`` that no installed font can print."""
    return sum(1 for char in text if not has_glyph(char))


def font_problems(profile: Profile, source: str) -> list[Problem]:
    """Warn about the name and notes characters that would print as empty boxes."""
    problems = []
    for field in ("patient_name", "notes"):
        count = missing_glyphs(getattr(profile, field) or "")
        if count:
            noun = "character has" if count == 1 else "characters have"
            problems.append(Problem(source, field, f"{count} {noun} no installed font"))
    return problems
