"""A CSV of profiles, read the way spreadsheets really export it, one row at a time.

Handles UTF-8 with or without a BOM, UTF-16 ("Unicode Text"), a Windows-1252 row among UTF-8
ones (decoded row by row, with a warning for that row), CRLF, LF or CR line ends, comma,
semicolon or tab delimiters (chosen from the header row), blank lines, stray spaces and header
spellings such as ``Tumor Site`` or ``tumour-site``. Row numbers are those a spreadsheet shows
(the header is row 1).

The parser is written out (rather than ``csv.reader``) so that one damaged row cannot take
others with it: a quoted cell that is never closed would otherwise swallow the following
rows, printing other patients' details inside one patient's note. A quoted cell is suspect
when the file ends inside it, when a following line looks like a row of its own (it has at
least as many delimiters as the header has columns, less one), or when it grows past its
column's length limit; that row fails and reading resumes at the next line. A NUL byte or an
undecodable row fails only its own row. Lines longer than 1 MB stop the reading with a clear
error (``/dev/zero`` is not a CSV file).
"""

from __future__ import annotations

import codecs
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import AnyStr

from careplan.errors import Problem
from careplan.inputs import Record, Records
from careplan.profile import describe, match_key
from careplan.vocab import Vocabulary, load_vocabulary

DELIMITERS = (",", ";", "\t")
CHUNK = 1 << 16
MAX_LINE = 1 << 20
TEXT_NEWLINE = re.compile("\r\n|\r|\n")
BYTES_NEWLINE = re.compile(b"\r\n|\r|\n")
CODED_CELL_LIMIT = 200
UNKNOWN_CELL_LIMIT = 2000
RESAVE = (
    "In Excel choose File > Save As > 'CSV UTF-8 (Comma delimited)'; in LibreOffice tick "
    "'Edit filter settings' and choose 'Unicode (UTF-8)'."
)
# Byte signatures of files that are not CSV at all.
NOT_CSV = {
    b"PK\x03\x04": "an Excel or OpenDocument workbook (.xlsx/.ods), not a CSV file",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls), not a CSV file",
    b"%PDF": "a PDF, not a CSV file",
}


class _LineTooLong(Exception):
    pass


@dataclass
class _Line:
    """One physical line, decoded; ``problem`` when it cannot be read as text."""

    number: int
    text: str
    problem: str | None = None
    cp1252: bool = False


def _split_lines(chunks: Iterable[AnyStr], newline: re.Pattern[AnyStr]) -> Iterator[AnyStr]:
    """Yield physical lines without their ending (CRLF, LF or CR); MAX_LINE bounds each."""
    pending: AnyStr | None = None
    for chunk in chunks:
        buffer = chunk if pending is None else pending + chunk
        start = 0
        for match in newline.finditer(buffer):
            if (
                match.end() == len(buffer)
                and len(match.group()) == 1
                and match.group() in ("\r", b"\r")
            ):
                break  # a CR at the end of the chunk may be half of a CRLF
            yield buffer[start : match.start()]
            start = match.end()
        pending = buffer[start:]
        if len(pending) > MAX_LINE:
            raise _LineTooLong
    if pending:
        yield pending.rstrip("\r" if isinstance(pending, str) else b"\r")


@dataclass
class _Header:
    columns: list[str | None] = field(default_factory=list)
    limits: list[int] = field(default_factory=list)


class _CsvReader:
    """Reads one CSV file into records, collecting file-level problems and warnings."""

    def __init__(self, path: Path, vocab: Vocabulary, records: Records) -> None:
        self.path = path
        self.vocab = vocab
        self.records = records
        self.name = path.name
        self.utf16 = False
        self.delimiter = ","
        self.header = _Header()
        self.header_row = 0

    # -- lines ---------------------------------------------------------------------------
    def lines(self) -> Iterator[_Line]:
        with self.path.open("rb") as handle:
            chunks = iter(lambda: handle.read(CHUNK), b"")
            number = 0
            try:
                split: Iterator[bytes | str] = (
                    _split_lines(codecs.iterdecode(chunks, "utf-16"), TEXT_NEWLINE)
                    if self.utf16
                    else _split_lines(chunks, BYTES_NEWLINE)
                )
                for raw in split:
                    number += 1
                    yield self.decode(number, raw)
            except _LineTooLong:
                self.records.problems.append(
                    Problem(
                        f"{self.name} row {number + 1}",
                        None,
                        "a line is longer than 1 MB; this is not a CSV of profiles. "
                        "Reading stopped here",
                    )
                )
            except UnicodeDecodeError:
                self.records.problems.append(Problem(self.name, None, f"is damaged. {RESAVE}"))

    @staticmethod
    def decode(number: int, raw: bytes | str) -> _Line:
        if isinstance(raw, str):
            problem = "contains a NUL character" if "\x00" in raw else None
            return _Line(number, raw.lstrip("\ufeff") if number == 1 else raw, problem)
        if b"\x00" in raw:
            return _Line(number, "", "contains a NUL byte")
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            return _Line(number, raw.decode("utf-8"))
        except UnicodeDecodeError:
            pass
        try:
            return _Line(number, raw.decode("cp1252"), cp1252=True)
        except UnicodeDecodeError:
            return _Line(number, "", "is not UTF-8 or Windows-1252 text")

    # -- opening ---------------------------------------------------------------------------
    def open(self) -> None:
        """Check the file's kind and encoding, find the header and map its columns."""
        try:
            with self.path.open("rb") as handle:
                head = handle.read(8)
        except FileNotFoundError:
            self.records.problems.append(Problem(self.name, None, "file not found"))
            return
        except OSError as error:
            reason = error.strerror or type(error).__name__
            self.records.problems.append(Problem(self.name, None, f"cannot be read ({reason})"))
            return
        for magic, what in NOT_CSV.items():
            if head.startswith(magic):
                self.records.problems.append(Problem(self.name, None, f"is {what}. {RESAVE}"))
                return
        self.utf16 = head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        for line in self.lines():
            if line.problem or not line.text.strip():
                if line.problem:
                    self.records.problems.append(
                        Problem(self.name, None, f"is not a readable text file. {RESAVE}")
                    )
                    return
                continue
            self.header_row = line.number
            self.map_header(line.text)
            if line.cp1252:
                self.records.warnings.append(_cp1252_warning(f"{self.name} row {line.number}"))
            return
        if not self.records.problems:
            self.records.problems.append(
                Problem(self.name, None, "is empty; the first row must be the header")
            )

    def map_header(self, text: str) -> None:
        splits = {d: _parse_one_line(text, d) for d in DELIMITERS}

        def score(d: str) -> tuple[int, int]:
            known = sum(1 for c in splits[d] if c.strip() and any(match_key(c.strip(), self.vocab)))
            return known, len(splits[d])

        self.delimiter = max(DELIMITERS, key=score)
        source = f"{self.name} row {self.header_row}"
        where: dict[str, int] = {}
        suggested: set[str] = set()
        for index, cell in enumerate(splits[self.delimiter], start=1):
            header = cell.strip()
            key, suggestion = match_key(header, self.vocab) if header else (None, None)
            column = f"column {index}"
            if key is not None and key in where:
                self.records.problems.append(
                    Problem(
                        source,
                        column,
                        f"is the same field as column {where[key]} ({key}); keep one of them",
                    )
                )
                key = None
            elif key is not None:
                where[key] = index
            elif suggestion is not None:
                suggested.add(suggestion)
                self.records.problems.append(
                    Problem(
                        source,
                        column,
                        f"unknown column ({describe(header)}). Did you mean {suggestion!r}?",
                    )
                )
            elif header:
                self.records.warnings.append(
                    Problem(source, column, f"is not a profile field ({describe(header)}); ignored")
                )
            else:
                self.records.warnings.append(Problem(source, column, "has no header; ignored"))
            self.header.columns.append(key)
            self.header.limits.append(self.limit(key))
        for key in self.vocab.required:
            if key not in where and key not in suggested:
                self.records.problems.append(
                    Problem(source, None, f"has no {key!r} column; every row needs one")
                )

    def limit(self, key: str | None) -> int:
        if key is None:
            return UNKNOWN_CELL_LIMIT
        spec = self.vocab.keys[key]
        return spec.max_length or (UNKNOWN_CELL_LIMIT if spec.kind == "text" else CODED_CELL_LIMIT)

    # -- rows ------------------------------------------------------------------------------
    def rows(self) -> Iterator[Record]:
        """Yield a record per non-blank data row, streaming the file."""
        lines = self.lines()
        pushed: deque[_Line] = deque()

        def next_line() -> _Line | None:
            return pushed.popleft() if pushed else next(lines, None)

        row = 0
        data_rows = 0
        while (first := next_line()) is not None:
            if first.number <= self.header_row:
                continue
            row += 1
            number = self.header_row + row
            source = f"{self.name} row {number}"
            if first.problem:
                data_rows += 1
                yield Record(source, number, {}, (Problem(source, None, first.problem),))
                continue
            parser = _RowParser(self.delimiter)
            parser.feed(first.text)
            taken: list[_Line] = []
            unclosed = False
            while parser.open:
                nxt = next_line()
                field_index = len(parser.cells)
                limit = (
                    self.header.limits[field_index]
                    if field_index < len(self.header.limits)
                    else UNKNOWN_CELL_LIMIT
                )
                if (
                    nxt is None
                    or nxt.problem
                    or nxt.text.count(self.delimiter) >= max(len(self.header.columns) - 1, 1)
                    or len(parser.field) > limit
                ):
                    if nxt is not None:
                        taken.append(nxt)
                    unclosed = True
                    break
                taken.append(nxt)
                parser.feed(nxt.text, continued=True)
            if unclosed:
                pushed.extendleft(reversed(taken))
                data_rows += 1
                column = self.column_name(len(parser.cells))
                yield Record(
                    source,
                    number,
                    {},
                    (Problem(source, None, f"a quote opened in {column} is never closed"),),
                )
                continue
            cells = parser.finish()
            if not any(c.strip() for c in cells):
                continue
            data_rows += 1
            yield self.record(source, number, cells, [first, *taken])
        if data_rows == 0 and not self.records.problems:
            self.records.problems.append(
                Problem(self.name, None, "has a header but no data rows; nothing to do")
            )

    def column_name(self, index: int) -> str:
        key = self.header.columns[index] if index < len(self.header.columns) else None
        return key or f"column {index + 1}"

    def record(self, source: str, number: int, cells: list[str], lines: list[_Line]) -> Record:
        width = len(self.header.columns)
        values = {
            key: cell.strip()
            for key, cell in zip(self.header.columns, cells, strict=False)
            if key is not None
        }
        problems: list[Problem] = []
        if any(cell.strip() for cell in cells[width:]):
            problems.append(
                Problem(
                    source,
                    None,
                    f"has {len(cells)} cells but the header has {width} columns; look for a "
                    "stray delimiter or an unquoted ',' or ';' in a cell",
                )
            )
        warnings = [_cp1252_warning(source)] if any(line.cp1252 for line in lines) else []
        return Record(
            source, number, values, tuple(problems), tuple(warnings), raw_id=values.get("id", "")
        )


class _RowParser:
    """The CSV cell grammar spreadsheets write (double quotes; "" inside quotes)."""

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.cells: list[str] = []
        self.field: list[str] = []
        self.state = "start"

    @property
    def open(self) -> bool:
        """Tell whether the line ended inside a quoted cell."""
        return self.state == "quoted"

    def feed(self, text: str, *, continued: bool = False) -> None:
        if continued:
            self.field.append("\n")
        for ch in text:
            if self.state == "quoted":
                if ch == '"':
                    self.state = "quote"
                else:
                    self.field.append(ch)
            elif self.state == "quote":  # just after a quote inside a quoted cell
                if ch == '"':
                    self.field.append('"')
                    self.state = "quoted"
                elif ch == self.delimiter:
                    self.end_field()
                else:
                    self.field.append(ch)
                    self.state = "plain"
            elif ch == self.delimiter:
                self.end_field()
            elif ch == '"' and self.state == "start":
                self.state = "quoted"
            else:
                self.field.append(ch)
                self.state = "plain"

    def end_field(self) -> None:
        self.cells.append("".join(self.field))
        self.field = []
        self.state = "start"

    def finish(self) -> list[str]:
        self.end_field()
        return self.cells


def _parse_one_line(text: str, delimiter: str) -> list[str]:
    parser = _RowParser(delimiter)
    parser.feed(text)
    return parser.finish()


def _cp1252_warning(source: str) -> Problem:
    return Problem(
        source,
        None,
        "is not UTF-8; it was read as Windows-1252 (Excel's plain 'CSV (Comma delimited)'). "
        f"Check letters with accents. {RESAVE}",
    )


def read_csv(path: Path, *, vocab: Vocabulary | None = None) -> Records:
    """Open a CSV of profiles; file-level problems mean no row is read."""
    records = Records(name=path.name, kind="csv")
    reader = _CsvReader(path, vocab or load_vocabulary(), records)
    reader.open()
    records.reader = reader.rows
    return records
