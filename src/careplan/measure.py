"""Count the lines a text takes in the handout's font, before the PDF engine lays it out.

The HTML step uses it to decide what goes where (does the call box fit one page?). It wraps
words greedily with the font's own advance widths (no kerning, which only narrows a line), so
a count errs on the long side.
"""

from __future__ import annotations

import re
from functools import cache

from fontTools.ttLib import TTFont

from careplan.resources import assets_dir

# The stylesheet's font, by weight: the Latin file first, then Latin Extended.
FONT_FILES = {
    weight: tuple(
        f"atkinson-hyperlegible-{part}-{weight}-normal.ttf" for part in ("latin", "latin-ext")
    )
    for weight in (400, 700)
}
PT_PER_MM = 72 / 25.4
ROUNDING = 1e-6  # points: a sum of widths that rounds over the column still fits
WORD_BREAKS = re.compile(r"[ \t\n]+")


@cache
def advance_widths(weight: int) -> dict[str, float]:
    """Return each character's advance width, in ems, at this weight."""
    widths: dict[str, float] = {}
    for name in reversed(FONT_FILES[weight]):  # the first file wins where both have a glyph
        with TTFont(assets_dir() / "fonts" / name, lazy=True) as font:
            per_em = font["head"].unitsPerEm
            metrics = font["hmtx"]
            cmap = font.getBestCmap()
            widths.update({chr(code): metrics[glyph][0] / per_em for code, glyph in cmap.items()})
    return widths


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Return the width of ``text`` in points at ``size`` points."""
    widths = advance_widths(700 if bold else 400)
    return size * sum(widths.get(char, 0.6) for char in text)  # 0.6 em: a wide fallback glyph


def line_count(text: str, width: float, size: float, *, bold: bool = False) -> int:
    """Return how many lines ``text`` takes in a column ``width`` points wide (at least 1)."""
    space = text_width(" ", size, bold=bold)
    lines, used = 1, 0.0
    for word in WORD_BREAKS.split(text.strip()):  # a no-break space joins words
        wide = text_width(word, size, bold=bold)
        if used and used + space + wide > width + ROUNDING:
            lines, used = lines + 1, 0.0
        used += (space if used else 0.0) + wide
        while used > width + ROUNDING:  # a word wider than the column breaks anywhere
            lines, used = lines + 1, used - width
    return lines
