"""Every input source becomes records: the one seam ``render``, ``validate`` and ``batch`` use.

A record is one profile as the source gave it (its keys and values, before validation), with
where it came from and any problem the reader already found in it. A YAML file (or standard
input) gives one record; a CSV file gives one per data row. A new source (FHIR, a web form)
is a new reader that yields the same records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from careplan.errors import InputError, Problem, ProfileError
from careplan.model import ParsedProfile
from careplan.profile import parse_profile
from careplan.vocab import Vocabulary

CSV_SUFFIXES = (".csv", ".tsv", ".txt")


@dataclass(frozen=True)
class Record:
    """One profile as read: its source ("file.csv row 5"), row number, values and problems."""

    source: str
    number: int | None
    values: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    raw_id: str = ""  # the id as typed (stripped), for naming output files


@dataclass
class Records:
    """An opened input: file-level problems and warnings, and its records.

    ``problems`` can grow while the rows are read (a CSV that stops being readable half way);
    read it again after iterating.
    """

    name: str
    kind: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    reader: Callable[[], Iterator[Record]] | None = None

    def rows(self) -> Iterator[Record]:
        """Yield the records (nothing when the input as a whole cannot be read)."""
        if self.reader is not None and not self.problems:
            yield from self.reader()

    def count(self) -> int:
        """Count the records by reading them once (CSV rows are not validated)."""
        return sum(1 for _ in self.rows())


def read_records(path: str | Path, *, vocab: Vocabulary | None = None) -> Records:
    """Open an input: ``-`` (YAML on standard input), a CSV file, or a YAML profile file."""
    from careplan.inputs import csvfile, yamlfile

    if str(path) == "-":
        return yamlfile.read_profile_yaml("-")
    if Path(path).suffix.casefold() in CSV_SUFFIXES:
        return csvfile.read_csv(Path(path), vocab=vocab)
    return yamlfile.read_profile_yaml(Path(path))


def single_record(records: Records) -> Record:
    """Return the one record of an input meant for one handout; raise InputError otherwise."""
    if records.problems:
        raise InputError(records.problems)
    rows = records.rows()
    first = next(rows, None)
    if first is not None and next(rows, None) is not None:
        raise InputError(
            [Problem(records.name, None, "has more than one profile; use careplan batch")]
        )
    if records.problems or first is None:
        raise InputError(records.problems or [Problem(records.name, None, "has no profile")])
    return first


def to_profile(record: Record, *, vocab: Vocabulary | None = None) -> ParsedProfile:
    """Validate a record; raise ProfileError listing its reader's and the validator's problems."""
    if record.problems and not record.values:  # the reader could not make out the row
        raise ProfileError(record.problems)
    try:
        parsed = parse_profile(record.values, record.source, vocab=vocab)
    except ProfileError as error:
        raise ProfileError([*record.problems, *error.problems]) from None
    if record.problems:
        raise ProfileError(record.problems)
    parsed.warnings[:0] = record.warnings
    return parsed


def load_profile(path: str | Path, *, vocab: Vocabulary | None = None) -> ParsedProfile:
    """Read and validate the one profile in ``path`` (YAML, ``-``, or a one-row CSV)."""
    return to_profile(single_record(read_records(path, vocab=vocab)), vocab=vocab)


def read_limited(path: Path | str, limit: int) -> bytes:
    """Read at most ``limit`` bytes (``-``: standard input); OSError if there is more."""
    import sys

    if str(path) == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"is larger than {limit // (1 << 20)} MB")
    return data
