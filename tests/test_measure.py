"""Line counts from the handout font's own widths (careplan.measure)."""

from __future__ import annotations

from careplan.measure import line_count, text_width


def test_widths_come_from_the_font() -> None:
    assert text_width("m", 12) > text_width("i", 12) > 0
    assert text_width("mmm", 24) == 2 * text_width("mmm", 12)
    assert text_width("word", 12, bold=True) > text_width("word", 12)


def test_words_wrap_at_the_column_width() -> None:
    word = text_width("word", 12)
    space = text_width(" ", 12)
    assert line_count("word word", 2 * word + space, 12) == 1
    assert line_count("word word", 2 * word + space - 0.1, 12) == 2
    assert line_count("word " * 30, 10 * word + 9 * space, 12) == 3


def test_a_no_break_space_keeps_words_together_and_long_words_break() -> None:
    word = text_width("word", 12)
    assert line_count("a word\N{NO-BREAK SPACE}word", 1.5 * word + 2, 12) >= 2
    assert line_count("x" * 100, text_width("x" * 10, 12), 12) == 10
    assert line_count("", 100, 12) == 1
