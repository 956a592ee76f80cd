"""How a batch reports progress: the ``Progress`` protocol, and its terminal display."""

from __future__ import annotations

import time
from typing import Protocol, TextIO

from careplan.errors import Problem, capped
from careplan.worker import RowResult


class Progress(Protocol):
    """What a front end shows while a batch runs (the library itself never prints)."""

    def start(self, total: int) -> None: ...
    def warning(self, problem: Problem) -> None: ...
    def result(self, source: str, result: RowResult) -> None: ...
    def finish(self) -> None: ...


class BatchProgress:
    """Prints warnings, each row's errors and warnings, and progress, on ``stream``.

    On a terminal it redraws one status line (count, rate, time left); otherwise it prints a
    plain progress line every 5 % of the rows.
    """

    def __init__(self, stream: TextIO, *, tty: bool | None = None) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self._drawn = False

    def _print(self, text: str) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self._drawn = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def warning(self, problem: Problem) -> None:
        """Print a warning for the nurse."""
        self._print(f"warning: {problem}")

    def start(self, total: int) -> None:
        """Begin counting ``total`` rows."""
        self.total, self.done, self.started = total, 0, time.monotonic()

    def status(self) -> str:
        """Return ``done/total rows, rate, time left``."""
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else 0.0
        minutes, seconds = divmod(int(left + 0.5), 60)
        return f"{self.done}/{self.total} rows, {rate:.1f}/s, about {minutes}:{seconds:02d} left"

    def result(self, source: str, result: RowResult) -> None:
        """Show one row's outcome."""
        self.done += 1
        for error in capped(result.errors):
            self._print(f"error: {error}")
        for warning in capped(result.warnings):
            self._print(f"warning: {warning}")
        if self.tty:
            self.stream.write("\r\x1b[K" + self.status())
            self.stream.flush()
            self._drawn = True
        elif self.done == self.total or self.done % max(1, self.total // 20) == 0:
            self._print(self.status())

    def finish(self) -> None:
        """End the status line."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
