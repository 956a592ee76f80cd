"""``report.csv``: one line per row of a batch, safe to open in a spreadsheet.

Cells never start like a formula, hold at most 20 problems each, and quote coded fields only.
The report is written to a temporary file and renamed into place when the run ends (or
written straight to a device or pipe given as ``--report``).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from careplan.errors import MAX_PROBLEMS_SHOWN, Problem
from careplan.output import TEMP_PREFIX, TEMP_SUFFIX, target_kind, write_output
from careplan.worker import FAILED, RowResult

REPORT_NAME = "report.csv"
REPORT_COLUMNS = (
    *("row", "id", "status", "output", "pages", "sha256", "warnings", "errors"),
    "chart_output",  # the English chart copy (--chart-copy), last so older reports still match
)
HEADER = ",".join(REPORT_COLUMNS[:8]).encode()
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SHOWN_ID_LENGTH = 64


@dataclass
class BatchSummary:
    """Counts for the closing line, file-level problems, and where the outputs went."""

    written: int = 0
    failed: int = 0
    skipped: int = 0
    stopped_by: int | None = None  # the signal that ended the run early
    problems: list[Problem] = field(default_factory=list)
    report: Path | None = None
    merged: Path | None = None
    merged_pages: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        """Return ``N written, M failed, K skipped`` (and whether the run was interrupted)."""
        text = f"{self.written} written, {self.failed} failed, {self.skipped} skipped"
        return f"{text} (interrupted)" if self.stopped_by else text

    @property
    def exit_code(self) -> int:
        """130 after Ctrl-C, 143 after SIGTERM, 1 when anything failed, else 0."""
        if self.stopped_by:
            return 128 + self.stopped_by
        return 1 if self.failed or self.problems else 0


def is_report(head: bytes) -> bool:
    """Tell whether a file's first bytes are a careplan report's header."""
    return head.removeprefix(b"\xef\xbb\xbf").startswith(HEADER)


def neutralize(value: object) -> str:
    """Return a report cell a spreadsheet will show as text, never run as a formula."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def cell(problems: tuple[Problem, ...]) -> str:
    """Join problems for one cell (field and message, no source), at most 20 of them."""
    parts = [f"{p.field}: {p.message}" if p.field else p.message for p in problems]
    if len(parts) > MAX_PROBLEMS_SHOWN:
        parts = [*parts[:MAX_PROBLEMS_SHOWN], f"… and {len(parts) - MAX_PROBLEMS_SHOWN} more"]
    return " | ".join(parts)


class ReportWriter:
    """Streams the report to a temporary file beside ``path``; ``close`` puts it in place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.buffer: io.StringIO | None = None  # for a device or pipe: written when closed
        self.temp: Path | None = None
        self.handle: TextIO
        if target_kind(path) != "file":
            self.buffer = self.handle = io.StringIO()
        else:
            fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
            self.temp = Path(temp)
            self.handle = os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(REPORT_COLUMNS)

    def add(self, result: RowResult) -> None:
        """Add one row's line."""
        cells = (
            result.row if result.row is not None else "",
            result.id[:SHOWN_ID_LENGTH],
            result.status,
            result.output,
            result.pages if result.status != FAILED else "",
            result.sha256,
            cell(result.warnings),
            cell(result.errors),
            result.chart_output,
        )
        self.writer.writerow([neutralize(c) for c in cells])

    def close(self) -> None:
        """Finish the report and move it into place (or write it to the device)."""
        if self.buffer is not None:
            write_output(self.path, "\ufeff" + self.buffer.getvalue())
            return
        self.handle.close()
        assert self.temp is not None  # a file target always has its temporary file
        os.replace(self.temp, self.path)

    def discard(self) -> None:
        """Remove the temporary file (the report could not be finished)."""
        self.handle.close()
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
