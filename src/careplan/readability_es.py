"""Spanish syllable counting and readability indices for patient material.

A rule-based orthographic syllabifier (RAE, Ortografia 2010) and the indices a health-literacy
gate needs: Fernandez-Huerta (Law-corrected), Szigriszt-Pazos / INFLESZ and Crawford.
Standard library only.

Syllabification rules, in brief:

* Nuclei: strong vowels a e o, weak vowels i u (u with diaeresis). Strong+weak, weak+strong and
  two different weak vowels form a diphthong (``ciu-dad``, ``muy``); weak+strong+weak a
  triphthong (``buey``). Two strong vowels, two identical vowels and an accented weak vowel next
  to a strong one are a hiatus (``cre-er``, ``chi-i-ta``, ``dí-a``, ``re-ú-ne``).
* ``h`` between vowels does not affect diphthong or hiatus and starts its syllable
  (``prohi-bir``, ``ahu-ma-do``, ``a-ho-ra``, ``a-hue-car``).
* ``ch``, ``ll``, ``rr`` and ``qu``/``gu`` before e or i are single consonants (the ``u`` is
  silent: ``gui-so``, ``guion``); ``gü`` keeps a spoken ``u`` (``pin-güi-no``).
* ``y`` is a vowel when no vowel follows it (``hoy``, ``rey``, ``y``), else a consonant.
* Between nuclei the next syllable takes one consonant, or two when they form an inseparable
  onset (pr br tr dr cr kr gr fr pl bl cl kl gl fl tl); ``tl`` follows American usage
  (``a-tle-ta``). Prefixes are not detected (``su-bra-yar``).
"""

import itertools
import math
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "TextStats",
    "count_syllables",
    "crawford",
    "fernandez_huerta",
    "inflesz_band",
    "sentences",
    "syllabify",
    "szigriszt_pazos",
    "text_stats",
    "words",
]

_STRONG = "S"  # a e o (with or without accent)
_WEAK = "W"  # unaccented i u, u with diaeresis, vowel y
_ACCENTED_WEAK = "A"  # í ú: a stressed weak vowel, which breaks a diphthong with a strong vowel
_CONSONANT = "C"

_DIGRAPHS = frozenset({"ch", "ll", "rr"})
_FRONT_VOWELS = frozenset("eiéí")
_ONSETS = frozenset(
    {"pr", "br", "tr", "dr", "cr", "kr", "gr", "fr", "pl", "bl", "cl", "kl", "gl", "fl", "tl"}
)
_LETTER_RUN = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class _Unit:
    """One consonant or vowel of a word: its original text, kind and lower-case base letter."""

    text: str
    kind: str
    base: str
    after_h: bool = False


def _vowel_kind(char: str) -> str | None:
    """Return the vowel kind of a lower-case letter, or None for a consonant (``y`` excluded)."""
    if char == "ü":
        return _WEAK
    decomposed = unicodedata.normalize("NFD", char)
    base, marked = decomposed[0], len(decomposed) > 1
    if base in "aeo":
        return _STRONG
    if base in "iu":
        return _ACCENTED_WEAK if marked else _WEAK
    return None


def _base(char: str) -> str:
    """Return a lower-case letter without its accent or diaeresis."""
    return unicodedata.normalize("NFD", char)[0]


def _units(run: str) -> list[_Unit]:
    """Split a run of letters into consonant and vowel units."""
    low = "".join(c.lower() if len(c.lower()) == 1 else c for c in run)
    n = len(low)

    def is_vowel(j: int) -> bool:
        if j >= n:
            return False
        if low[j] == "y":
            return j + 1 >= n or _vowel_kind(low[j + 1]) is None
        return _vowel_kind(low[j]) is not None

    units: list[_Unit] = []
    pending_h = ""
    i = 0
    while i < n:
        char, pair = low[i], low[i : i + 2]
        if pair in _DIGRAPHS or (
            char in "qg" and pair[1:] == "u" and i + 2 < n and low[i + 2] in _FRONT_VOWELS
        ):
            units.append(_Unit(run[i : i + 2], _CONSONANT, pair))
            i += 2
            continue
        if char == "h" and units and units[-1].kind != _CONSONANT and is_vowel(i + 1):
            pending_h = run[i]  # silent h between vowels: attach it to the next vowel
            i += 1
            continue
        kind = _vowel_kind(char) if char != "y" else (_WEAK if is_vowel(i) else None)
        if kind is None:
            units.append(_Unit(run[i], _CONSONANT, char))
        else:
            units.append(_Unit(pending_h + run[i], kind, _base(char), bool(pending_h)))
            pending_h = ""
        i += 1
    return units


def _hiatus(first: _Unit, second: _Unit) -> bool:
    """Return True when two adjacent vowels belong to different syllables."""
    kinds = {first.kind, second.kind}
    if kinds == {_STRONG} or kinds == {_STRONG, _ACCENTED_WEAK} or kinds == {_ACCENTED_WEAK}:
        return True
    if _STRONG not in kinds:  # two weak vowels: a diphthong unless they are the same vowel
        return first.base == second.base
    return False


def _nuclei(start: int, vowels: list[_Unit]) -> list[tuple[int, int]]:
    """Split a run of adjacent vowels (beginning at unit ``start``) into syllable nuclei."""
    groups: list[tuple[int, int]] = []
    begin = 0
    for k in range(1, len(vowels) + 1):
        if k == len(vowels) or _hiatus(vowels[k - 1], vowels[k]):
            groups.append((begin, k))
            begin = k
    nuclei: list[tuple[int, int]] = []
    for lo, hi in groups:
        strong = [k for k in range(lo, hi) if vowels[k].kind == _STRONG]
        for prev, nxt in itertools.pairwise(strong):
            # Strong + weak + strong ("paranoia", "ahuecar"): the weak vowel stays with the
            # first strong one unless an h stands before it ("noi-a", "a-hue-car").
            cut = next((k for k in range(prev + 1, nxt + 1) if vowels[k].after_h), nxt)
            nuclei.append((start + lo, start + cut))
            lo = cut
        nuclei.append((start + lo, start + hi))
    return nuclei


def _syllabify_run(run: str) -> list[str]:
    """Syllabify one run of letters (no digits, spaces or punctuation)."""
    units = _units(run)
    nuclei: list[tuple[int, int]] = []
    k = 0
    while k < len(units):
        if units[k].kind == _CONSONANT:
            k += 1
            continue
        end = k
        while end < len(units) and units[end].kind != _CONSONANT:
            end += 1
        nuclei.extend(_nuclei(k, units[k:end]))
        k = end
    if not nuclei:
        return [run]  # no vowel ("mg", "F"): read aloud as an abbreviation, one syllable
    bounds = [0]
    for (_, prev_end), (next_start, _) in itertools.pairwise(nuclei):
        between = units[prev_end:next_start]
        onset = 0
        if len(between) >= 2 and between[-2].base + between[-1].base in _ONSETS:
            onset = 2
        elif between:
            onset = 1
        bounds.append(next_start - onset)
    bounds.append(len(units))
    return ["".join(u.text for u in units[a:b]) for a, b in itertools.pairwise(bounds)]


def syllabify(word: str) -> list[str]:
    """Split a Spanish word into orthographic syllables, keeping its letters and their case.

    Digits, spaces and punctuation are dropped; each run of letters is syllabified on its own
    ("COVID-19" gives ["CO", "VID"]). A token with no letters gives [].
    """
    text = unicodedata.normalize("NFC", word)
    return [syl for run in _LETTER_RUN.findall(text) for syl in _syllabify_run(run)]


def count_syllables(word: str) -> int:
    """Return the number of syllables in a word (0 for numbers and symbols)."""
    return len(syllabify(word))


_TERMINATOR = re.compile(
    r"(?:\.{3}|…|[.?!])+[\"'\u201d\u2019»)\]]*(?=\s|$|[¿¡])"  # end mark, closing quotes
    r"|[?!…]+(?=[A-ZÁÉÍÓÚÑÜ])"  # "?" or "!" directly before a capital
)
_LIST_MARKER = re.compile(r"^\s*(?:[-*•·▪◦\u2013\u2014]+|\(?\d{1,3}[.)]|\(?[A-Za-z][)])\s+")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)$")
# A period after these never ends a sentence unless the line ends there (titles before a name).
_TITLES = frozenset({"dr", "dra", "sr", "sra", "srta", "ud", "uds", "lic", "d", "dña"})
# A period after these ends a sentence only before a capital letter, ¿, ¡ or the end of a line.
_ABBREVIATIONS = frozenset(
    {"a", "p", "m", "ej", "etc", "aprox", "máx", "mín", "núm", "pág", "tel", "vs", "fig"}
)
_HAS_ALNUM = re.compile(r"[^\W_]")


def _ends_sentence(line: str, match: re.Match[str]) -> bool:
    """Decide whether a period after an abbreviation really ends the sentence."""
    if not match.group().startswith(".") or match.group().startswith("..."):
        return True
    before = _WORD_BEFORE.search(line, 0, match.start())
    word = before.group(1).lower() if before else ""
    rest = line[match.end() :].lstrip()
    if word in _TITLES:
        return not rest
    if word in _ABBREVIATIONS:
        return not rest or rest[0] in "¿¡" or rest[0].isupper()
    return True


def sentences(text: str) -> list[str]:
    """Split text into sentences, counting every one, however short.

    A sentence ends at . ? ! or an ellipsis followed by a space, the end of the text, or an
    opening ¿ or ¡; a question or exclamation counts as a sentence of its own. Each line is at
    least one sentence, so a list item without final punctuation counts as one; a leading list
    marker ("-", "•", "1.", "a)") is ignored. Decimals ("100.4") and common abbreviations ("Dr.",
    "a. m.", "p. ej.") do not end a sentence. Pieces with no letter or digit are dropped.
    """
    found: list[str] = []
    for raw in unicodedata.normalize("NFC", text).splitlines():
        line = _LIST_MARKER.sub("", raw, count=1)
        start = 0
        for match in _TERMINATOR.finditer(line):
            if _ends_sentence(line, match):
                found.append(line[start : match.end()].strip())
                start = match.end()
        found.append(line[start:].strip())
    return [s for s in found if _HAS_ALNUM.search(s)]


_TOKEN_SPLIT = re.compile(r"[\s\u2014…]+")


def words(text: str) -> list[str]:
    """Return the words of a text: whitespace-separated tokens with edge punctuation removed.

    A token counts if it has a letter or a digit, so "100.4 °F" is two words ("100.4", "°F")
    and "mg/dL" one; punctuation-only tokens ("-", "¿") are dropped. Em dashes split words.
    """
    found: list[str] = []
    for token in _TOKEN_SPLIT.split(unicodedata.normalize("NFC", text)):
        start, end = 0, len(token)
        while start < end and unicodedata.category(token[start]).startswith("P"):
            start += 1
        while end > start and unicodedata.category(token[end - 1]).startswith("P"):
            end -= 1
        word = token[start:end]
        if _HAS_ALNUM.search(word):
            found.append(word)
    return found


@dataclass(frozen=True, slots=True)
class TextStats:
    """Counts behind the readability indices."""

    sentences: int
    words: int
    syllables: int

    @property
    def syllables_per_word(self) -> float:
        """Mean syllables per word."""
        return self.syllables / self.words

    @property
    def words_per_sentence(self) -> float:
        """Mean words per sentence."""
        return self.words / self.sentences


def text_stats(text: str) -> TextStats:
    """Count sentences, words and syllables; raise ValueError for text without words."""
    if not text or not text.strip():
        raise ValueError("cannot score readability of empty text")
    found = words(text)
    if not found:
        raise ValueError("cannot score readability of text without words")
    return TextStats(
        sentences=max(1, len(sentences(text))),
        words=len(found),
        syllables=sum(count_syllables(w) for w in found),
    )


def fernandez_huerta(text: str) -> float:
    """Fernandez-Huerta ease, Law-corrected: 206.84 - 60*(syll/words) - 1.02*(words/sentences).

    Higher is easier; 70-80 is "fairly easy" (about US grade 6).
    """
    stats = text_stats(text)
    return 206.84 - 60 * stats.syllables_per_word - 1.02 * stats.words_per_sentence


def szigriszt_pazos(text: str) -> float:
    """Szigriszt-Pazos perspicuity, also the INFLESZ score: 206.835 - 62.3*(syll/words) - w/s."""
    stats = text_stats(text)
    return 206.835 - 62.3 * stats.syllables_per_word - stats.words_per_sentence


def inflesz_band(score: float) -> str:
    """Return the INFLESZ band of a Szigriszt-Pazos score.

    Below 40 "muy difícil"; 40 to below 55 "algo difícil"; 55 to below 65 "normal"; 65 to 80
    "bastante fácil"; above 80 "muy fácil".
    """
    if math.isnan(score):
        raise ValueError("INFLESZ score is NaN")
    if score < 40:
        return "muy difícil"
    if score < 55:
        return "algo difícil"
    if score < 65:
        return "normal"
    if score <= 80:
        return "bastante fácil"
    return "muy fácil"


def crawford(text: str) -> float:
    """Crawford grade: -0.205*(sentences per 100 words) + 0.049*(syllables per 100 words) - 3.407.

    Built on elementary readers, so it is only meaningful up to about grade 6.
    """
    stats = text_stats(text)
    per_100 = 100 / stats.words
    return -0.205 * stats.sentences * per_100 + 0.049 * stats.syllables * per_100 - 3.407
