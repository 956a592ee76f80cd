"""Read a CSV of profiles the way spreadsheets really export it, one row at a time.

Handles UTF-8 with or without a BOM, UTF-16 ("Unicode Text"), Windows-1252 (with a warning),
CRLF, comma, semicolon or tab delimiters (chosen from the header row), blank lines, stray
spaces and header spellings such as ``Tumor Site`` or ``tumour-site``. Each row goes through
the same ``parse_profile`` as a YAML file. Row numbers are those a spreadsheet shows (the
header is row 1). Nothing here imports WeasyPrint.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from careplan.errors import Problem, ProfileError
from careplan.output import safe_stem
from careplan.profile import REQUIRED_KEYS, ParsedProfile, match_key, parse_profile
from careplan.vocab import Vocabulary, load_vocabulary

DELIMITERS = (",", ";", "\t")
CHUNK = 1 << 20
RESAVE = (
    "In Excel choose File > Save As > 'CSV UTF-8 (Comma delimited)'; in LibreOffice tick "
    "'Edit filter settings' and choose 'Unicode (UTF-8)'."
)
SHOWN_HEADER_LENGTH = 40
# Byte signatures of files that are not CSV at all.
NOT_CSV = {
    b"PK\x03\x04": "an Excel or OpenDocument workbook (.xlsx/.ods), not a CSV file",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls), not a CSV file",
    b"%PDF": "a PDF, not a CSV file",
}


@dataclass(frozen=True)
class CsvRow:
    """One data row: its spreadsheet row number and its cells under canonical profile keys."""

    number: int
    source: str
    values: dict[str, str]
    problems: tuple[Problem, ...] = ()

    @property
    def id(self) -> str:
        """Return the id cell as typed (stripped), or an empty string."""
        return self.values.get("id", "")


@dataclass
class CsvProfiles:
    """An opened CSV: how it is encoded and laid out, header problems, and its rows."""

    path: Path
    encoding: str | None = None
    delimiter: str = ","
    columns: list[str | None] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Return the file name used in messages."""
        return self.path.name

    @property
    def fatal(self) -> bool:
        """Tell whether the file as a whole cannot be read (nothing should be rendered)."""
        return bool(self.problems)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """Yield (spreadsheet row number, cells) for every record, blank ones included."""
        assert self.encoding is not None
        with self.path.open(encoding=self.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            number = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    self.problems.append(
                        Problem(f"{self.name} row {number + 1}", None, f"cannot be read ({error})")
                    )
                    return
                number += 1
                yield number, cells

    def rows(self) -> Iterator[CsvRow]:
        """Yield each non-blank data row, streaming the file (never all of it in memory)."""
        if self.fatal:
            return
        width = len(self.columns)
        seen_header = False
        for number, cells in self._records():
            if not any(cell.strip() for cell in cells):
                continue
            if not seen_header:
                seen_header = True
                continue
            source = f"{self.name} row {number}"
            values = {
                key: cell.strip()
                for key, cell in zip(self.columns, cells, strict=False)
                if key is not None
            }
            problems: tuple[Problem, ...] = ()
            if any(cell.strip() for cell in cells[width:]):
                problems = (
                    Problem(
                        source,
                        None,
                        f"has {len(cells)} cells but the header has {width} columns; "
                        "look for a stray delimiter or an unquoted ',' or ';' in a cell",
                    ),
                )
            yield CsvRow(number, source, values, problems)


def _not_csv(path: Path) -> str | None:
    with path.open("rb") as handle:
        head = handle.read(8)
    for magic, what in NOT_CSV.items():
        if head.startswith(magic):
            return what
    return None


def _decodes(path: Path, encoding: str) -> bool:
    """Tell whether the whole file decodes in ``encoding`` (read in chunks)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                if "\x00" in decoder.decode(chunk):
                    return False
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> tuple[str | None, str | None]:
    """Return (encoding, warning), or (None, reason) when the file cannot be read as text."""
    what = _not_csv(path)
    if what:
        return None, f"is {what}. {RESAVE}"
    with path.open("rb") as handle:
        head = handle.read(2)
    if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return ("utf-16", None) if _decodes(path, "utf-16") else (None, f"is damaged. {RESAVE}")
    if _decodes(path, "utf-8"):
        return "utf-8-sig", None
    if _decodes(path, "cp1252"):
        return "cp1252", (
            f"{path.name} is not UTF-8; it was read as Windows-1252 (Excel's plain "
            f"'CSV (Comma delimited)'). Check letters with accents. {RESAVE}"
        )
    return None, f"is not UTF-8 text, nor Windows-1252. {RESAVE}"


def _header_score(cells: list[str], vocab: Vocabulary) -> tuple[int, int]:
    """Score a header split: (cells naming a profile key or a near miss, cell count)."""
    known = sum(1 for cell in cells if cell.strip() and any(match_key(cell.strip(), vocab)))
    return known, len(cells)


def _show_header(text: str) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return repr(text[:SHOWN_HEADER_LENGTH])


def open_csv(path: str | Path, *, vocab: Vocabulary | None = None) -> CsvProfiles:
    """Open a CSV of profiles and map its header; file-level problems make it ``fatal``."""
    vocab = vocab or load_vocabulary()
    table = CsvProfiles(Path(path))
    name = table.name
    try:
        encoding, message = detect_encoding(table.path)
    except FileNotFoundError:
        table.problems.append(Problem(name, None, "file not found"))
        return table
    except OSError as error:
        table.problems.append(Problem(name, None, f"cannot be read ({error.strerror})"))
        return table
    if encoding is None:
        table.problems.append(Problem(name, None, str(message)))
        return table
    if message:
        table.warnings.append(message)
    table.encoding = encoding

    header_row, header_line = 0, ""
    with table.path.open(encoding=encoding, newline="") as handle:
        for line in handle:
            header_row += 1
            if line.strip():
                header_line = line
                break
    if not header_line:
        table.problems.append(Problem(name, None, "is empty; the first row must be the header"))
        return table
    splits = {d: next(csv.reader([header_line.rstrip("\r\n")], delimiter=d)) for d in DELIMITERS}
    table.delimiter = max(DELIMITERS, key=lambda d: _header_score(splits[d], vocab))
    _map_header(table, splits[table.delimiter], f"{name} row {header_row}", vocab)
    return table


def _map_header(table: CsvProfiles, cells: list[str], source: str, vocab: Vocabulary) -> None:
    """Fill ``table.columns`` from the header cells, recording problems and warnings."""
    where: dict[str, str] = {}
    suggested: set[str] = set()
    for index, cell in enumerate(cells, start=1):
        header = cell.strip()
        key, suggestion = match_key(header, vocab) if header else (None, None)
        if key is not None and key in where:
            table.problems.append(
                Problem(
                    source,
                    _show_header(header),
                    f"is the same field as column {where[key]} ({key}); keep one of them",
                )
            )
            key = None
        elif key is not None:
            where[key] = _show_header(header)
        elif suggestion is not None:
            suggested.add(suggestion)
            table.problems.append(
                Problem(
                    source, _show_header(header), f"unknown column. Did you mean {suggestion!r}?"
                )
            )
        elif header:
            table.warnings.append(
                f"{table.name}: column {_show_header(header)} is not a profile field; ignored"
            )
        else:
            table.warnings.append(f"{table.name}: column {index} has no header; ignored")
        table.columns.append(key)
    for key in REQUIRED_KEYS:
        if key not in where and key not in suggested:
            table.problems.append(
                Problem(source, None, f"has no {key!r} column; every row needs one")
            )


def validate_row(row: CsvRow, *, vocab: Vocabulary | None = None) -> ParsedProfile:
    """Validate one row with ``parse_profile``; raise ProfileError listing every problem."""
    try:
        parsed = parse_profile(row.values, row.source, vocab=vocab)
    except ProfileError as error:
        raise ProfileError([*row.problems, *error.problems]) from None
    if row.problems:
        raise ProfileError(row.problems)
    return parsed


class OutputNames:
    """Give each row a file stem: its cleaned id, made unique in row order, or ``row-<n>``."""

    def __init__(self, reserved: tuple[str, ...] = ()) -> None:
        self.used: set[str] = {stem.casefold() for stem in reserved}

    def assign(self, row: CsvRow) -> str:
        """Return the stem for ``row`` (``N-5``, then ``N-5-2``; compared case-insensitively)."""
        base = safe_stem(row.id) or f"row-{row.number}"
        stem, counter = base, 1
        while stem.casefold() in self.used:
            counter += 1
            stem = f"{base}-{counter}"
        self.used.add(stem.casefold())
        return stem


@dataclass
class CsvReport:
    """The result of ``careplan validate`` on a CSV file."""

    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    valid: int = 0
    invalid: int = 0
    fatal: bool = False


def validate_csv(path: str | Path, *, vocab: Vocabulary | None = None) -> CsvReport:
    """Check every row of a CSV file, listing every problem; render nothing."""
    vocab = vocab or load_vocabulary()
    table = open_csv(path, vocab=vocab)
    report = CsvReport(warnings=list(table.warnings))
    names = OutputNames()
    for row in table.rows():
        stem = names.assign(row)
        if row.id and safe_stem(row.id) and stem != safe_stem(row.id):
            report.warnings.append(
                f"{row.source}: id {row.id[:SHOWN_HEADER_LENGTH]!r} is used by an earlier row; "
                f"this handout will be saved as {stem}.pdf"
            )
        try:
            parsed = validate_row(row, vocab=vocab)
        except ProfileError as error:
            report.problems.extend(error.problems)
            report.invalid += 1
            continue
        report.valid += 1
        report.warnings.extend(parsed.warnings)
    report.problems[:0] = table.problems
    report.fatal = table.fatal
    return report
