"""Render every row of a CSV of profiles into its own PDF handout, in parallel.

The parent streams the CSV and feeds a bounded window of rows to a pool of worker processes.
Each worker builds the Jinja environment, parsed CSS, ``FontConfiguration`` and URL fetcher
once, then validates, renders and writes one handout per task (atomically) and returns only a
small status. One bad row never stops the others. ``OUTDIR/manifest.json`` remembers what
each PDF was made from, so ``--skip-existing`` re-renders only what changed; ``report.csv``
lists every row; ``--merge`` assembles one print file after the workers finish.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import signal
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any, TextIO

from careplan import __version__
from careplan.clinic import Clinic, load_clinic
from careplan.csvinput import CsvRow, OutputNames, open_csv, validate_row
from careplan.errors import CareplanError, ProfileError
from careplan.html import RenderOptions
from careplan.library import load_library
from careplan.output import TEMP_PREFIX, TEMP_SUFFIX, remove_stale_temporaries, write_atomic
from careplan.resources import templates_dir
from careplan.vocab import load_vocabulary

MANIFEST_NAME = "manifest.json"
REPORT_NAME = "report.csv"
REPORT_COLUMNS = ("row", "id", "status", "output", "pages", "sha256", "warnings", "errors")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_TASKS_PER_CHILD = 400  # bounds WeasyPrint's slow memory growth (≈20 KB per document)
WINDOW_PER_JOB = 4  # rows in flight per worker: enough to keep workers busy, never the file
MANIFEST_SAVE_SECONDS = 10.0
SHOWN_ID_LENGTH = 64

WRITTEN, FAILED, SKIPPED = "written", "failed", "skipped"


@dataclass(frozen=True)
class RowResult:
    """What happened to one row. ``errors`` and ``warnings`` quote coded fields only."""

    row: int
    id: str
    status: str
    output: str = ""
    pages: int = 0
    sha256: str = ""
    input_hash: str = ""
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass
class BatchSummary:
    """Counts for the closing line, and where the report and merged file went."""

    written: int = 0
    failed: int = 0
    skipped: int = 0
    interrupted: bool = False
    report: Path | None = None
    merged: Path | None = None
    merged_pages: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        """Return ``N written, M failed, K skipped`` (and whether the run was interrupted)."""
        text = f"{self.written} written, {self.failed} failed, {self.skipped} skipped"
        return f"{text} (interrupted)" if self.interrupted else text

    @property
    def exit_code(self) -> int:
        """Return 130 after Ctrl-C, 1 when any row failed, else 0."""
        if self.interrupted:
            return 130
        return 1 if self.failed else 0


@dataclass(frozen=True)
class _Task:
    """One row to render: its cells, row number, target file and input hash."""

    row: CsvRow
    target: Path
    input_hash: str


class BatchProgress:
    """Prints file warnings, each row's errors and warnings, and progress, on ``stream``.

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

    def warning(self, message: str) -> None:
        """Print a warning for the nurse."""
        self._print(f"warning: {message}")

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
        for error in result.errors:
            self._print(f"error: {source}: {error}")
        for warning in result.warnings:
            self._print(f"warning: {source}: {warning}")
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


# --- worker side -----------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(clinic: Clinic, options: RenderOptions) -> None:
    """Warm this worker once: WeasyPrint state, Jinja environment, content and vocabulary.

    A failure here is kept and reported on every row: an initializer that raised would
    make the pool start new workers forever.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides how Ctrl-C ends the run
    _WORKER.update(clinic=clinic, options=options)
    try:
        from careplan.html import environment
        from careplan.pdf import renderer

        renderer()
        environment()
        load_library()
        load_vocabulary()
    except Exception as error:
        _WORKER["broken"] = f"the renderer could not start ({type(error).__name__}: {error})"


def _strip_source(message: str, source: str) -> str:
    return message.removeprefix(f"{source}: ")


def render_row(task: _Task) -> RowResult:
    """Validate, render and atomically write one row's PDF; return only a status."""
    row = task.row
    base = {"row": row.number, "id": row.id, "input_hash": task.input_hash}
    if "broken" in _WORKER:
        return RowResult(status=FAILED, errors=(_WORKER["broken"],), **base)
    try:
        parsed = validate_row(row)
    except ProfileError as error:
        messages = tuple(_strip_source(str(p), row.source) for p in error.problems)
        return RowResult(status=FAILED, errors=messages, **base)
    from careplan.render import render_profile

    try:
        handout = render_profile(
            parsed.profile, options=_WORKER["options"], clinic=_WORKER["clinic"]
        )
        assert handout.pdf is not None
        write_atomic(task.target, handout.pdf)
    except CareplanError as error:
        return RowResult(status=FAILED, errors=tuple(p.message for p in error.problems), **base)
    except OSError as error:
        reason = f"cannot write {task.target.name} ({error.strerror})"
        return RowResult(status=FAILED, errors=(reason,), **base)
    except Exception as error:  # one row must never stop the batch
        # The message could quote profile text; name only the kind of failure.
        reason = f"unexpected {type(error).__name__} while rendering; please report this"
        return RowResult(status=FAILED, errors=(reason,), **base)
    warnings = [_strip_source(w, row.source) for w in (*parsed.warnings, *handout.warnings)]
    return RowResult(
        status=WRITTEN,
        output=task.target.name,
        pages=handout.pages,
        sha256=hashlib.sha256(handout.pdf).hexdigest(),
        warnings=tuple(warnings),
        **base,
    )


# --- parent side -----------------------------------------------------------------------------


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inputs_digest(clinic: Clinic, options: RenderOptions) -> str:
    """Hash everything besides the row that shapes a PDF: versions, content, clinic, options."""
    library = load_library()
    templates = sorted(p for p in templates_dir().rglob("*") if p.is_file())
    parts = {
        "careplan": __version__,
        "weasyprint": metadata.version("weasyprint"),
        "content": [library.content_version, library.digest],
        "templates": {str(p.relative_to(templates_dir())): _file_digest(p) for p in templates},
        "clinic": _file_digest(Path(clinic.source)) if clinic.source else None,
        "logo": _file_digest(clinic.logo) if clinic.logo else None,
        "options": {
            "date": options.date.isoformat(),
            "paper": options.paper,
            "large_print": options.large_print,
            "pdf_variant": options.pdf_variant,
        },
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def row_hash(row: CsvRow, inputs: str) -> str:
    """Hash one row's cells (by field, so column order does not matter) with the inputs."""
    data = json.dumps({"row": row.values, "inputs": inputs}, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


class Manifest:
    """``OUTDIR/manifest.json``: for each PDF, the hash of its inputs, its sha256 and pages."""

    def __init__(self, outdir: Path) -> None:
        self.path = outdir / MANIFEST_NAME
        self.outputs: dict[str, dict[str, Any]] = {}
        with contextlib.suppress(FileNotFoundError, ValueError, AttributeError):
            outputs = json.loads(self.path.read_text(encoding="utf-8")).get("outputs", {})
            self.outputs = {k: v for k, v in outputs.items() if isinstance(v, dict)}
        self.saved = time.monotonic()

    def unchanged(self, name: str, input_hash: str) -> dict[str, Any] | None:
        """Return the entry when ``name`` exists intact and was made from ``input_hash``."""
        entry = self.outputs.get(name)
        path = self.path.parent / name
        if not entry or entry.get("input") != input_hash or not path.is_file():
            return None
        return entry if _file_digest(path) == entry.get("sha256") else None

    def record(self, result: RowResult) -> None:
        """Remember a written PDF."""
        self.outputs[result.output] = {
            "input": result.input_hash,
            "sha256": result.sha256,
            "pages": result.pages,
        }

    def forget(self, name: str) -> bool:
        """Drop an entry; return True if there was one."""
        return self.outputs.pop(name, None) is not None

    def save(self, *, every: float = 0.0) -> None:
        """Write the manifest atomically (at most once per ``every`` seconds)."""
        if time.monotonic() - self.saved < every:
            return
        data = {"format": 1, "careplan": __version__, "outputs": self.outputs}
        write_atomic(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        self.saved = time.monotonic()


def neutralize(value: object) -> str:
    """Return a report cell a spreadsheet will show as text, never run as a formula."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


class ReportWriter:
    """Streams ``report.csv`` to a temporary file, renamed into place when closed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
        self.temp = Path(temp)
        self.handle = os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(REPORT_COLUMNS)

    def add(self, result: RowResult) -> None:
        """Add one row's line."""
        cells = (
            result.row,
            result.id[:SHOWN_ID_LENGTH],
            result.status,
            result.output,
            result.pages if result.status != FAILED else "",
            result.sha256,
            " | ".join(result.warnings),
            " | ".join(result.errors),
        )
        self.writer.writerow([neutralize(cell) for cell in cells])

    def close(self) -> None:
        """Finish the file and move it into place."""
        self.handle.close()
        os.replace(self.temp, self.path)


def merge_pdfs(items: Iterable[tuple[Path, str]], target: Path) -> int:
    """Join PDFs into one print file, each from a fresh sheet, with a bookmark per handout.

    A blank page follows every handout with an odd page count, so each starts on a front
    side when printed double-sided. Returns the merged file's page count.
    """
    from pypdf import PdfWriter

    writer = PdfWriter()
    for path, title in items:
        start = len(writer.pages)
        writer.append(path, outline_item=title)
        if (len(writer.pages) - start) % 2:
            box = writer.pages[-1].mediabox
            writer.add_blank_page(width=box.width, height=box.height)
    buffer = io.BytesIO()
    writer.write(buffer)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, buffer.getvalue())
    return len(writer.pages)


def _reserved_stems(outdir: Path, merge: Path | None) -> tuple[str, ...]:
    """Keep a row from being named like the merged file when it sits in OUTDIR."""
    if merge is not None and merge.resolve().parent == outdir.resolve():
        return (merge.stem,) if merge.suffix.casefold() == ".pdf" else ()
    return ()


def _default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_batch(
    csv_path: Path,
    outdir: Path,
    *,
    options: RenderOptions,
    clinic_path: Path | None = None,
    jobs: int | None = None,
    merge: Path | None = None,
    skip_existing: bool = False,
    only: Iterable[str] = (),
    report: Path | None = None,
    progress: BatchProgress | None = None,
) -> BatchSummary:
    """Render every row of ``csv_path`` into ``outdir``; see the module docstring.

    Raises CareplanError (before rendering anything) when the CSV's header or encoding, or
    the clinic file, is unusable. Ctrl-C ends the run promptly with ``interrupted`` set.
    """
    vocab = load_vocabulary()
    clinic = load_clinic(clinic_path)
    table = open_csv(csv_path, vocab=vocab)
    if table.fatal:
        raise ProfileError(table.problems)
    if progress:
        for warning in table.warnings:
            progress.warning(warning)
    outdir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(outdir)
    report = report or outdir / REPORT_NAME
    summary = BatchSummary(report=report)
    manifest = Manifest(outdir)
    inputs = inputs_digest(clinic, options)
    wanted = {item.strip().casefold() for item in only if item.strip()}
    matched: set[str] = set()
    reserved = _reserved_stems(outdir, merge)
    jobs = jobs or _default_jobs()

    def tasks() -> Iterator[_Task]:
        """Name every row in order (names stay stable whatever is selected); keep the wanted."""
        names = OutputNames(reserved)
        for row in table.rows():
            stem = names.assign(row)
            keys = {row.id.casefold(), stem.casefold()} & wanted
            if wanted and not keys:
                continue
            matched.update(keys)
            yield _Task(row, outdir / f"{stem}.pdf", row_hash(row, inputs))

    report_writer = ReportWriter(report)
    merge_items: list[tuple[Path, str]] = []

    def finish(task: _Task, pending: AsyncResult[RowResult] | RowResult) -> None:
        result = pending if isinstance(pending, RowResult) else pending.get()
        if result.status == WRITTEN:
            summary.written += 1
            manifest.record(result)
        elif result.status == SKIPPED:
            summary.skipped += 1
        else:
            summary.failed += 1
            _drop_stale(task.target, manifest)
        if result.status != FAILED:
            merge_items.append((task.target, task.target.stem))
        report_writer.add(result)
        manifest.save(every=MANIFEST_SAVE_SECONDS)
        if progress:
            progress.result(task.row.source, result)

    queue: deque[tuple[_Task, AsyncResult[RowResult] | RowResult]] = deque()
    pool = Pool(
        jobs,
        initializer=_init_worker,
        initargs=(clinic, options),
        maxtasksperchild=MAX_TASKS_PER_CHILD,
    )
    try:
        if progress:
            progress.start(sum(1 for _ in tasks()))
        for task in tasks():
            entry = manifest.unchanged(task.target.name, task.input_hash) if skip_existing else None
            if entry is not None:
                queue.append((task, _skipped(task, entry)))
            else:
                queue.append((task, pool.apply_async(render_row, (task,))))
            while len(queue) > jobs * WINDOW_PER_JOB:
                finish(*queue.popleft())
        while queue:
            finish(*queue.popleft())
        pool.close()
    except KeyboardInterrupt:
        summary.interrupted = True
        pool.terminate()
        for task, pending in queue:
            if isinstance(pending, RowResult) or (pending.ready() and pending.successful()):
                finish(task, pending)
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
        report_writer.close()
        manifest.save()
        remove_stale_temporaries(outdir)
        if progress:
            progress.finish()
    for item in sorted(wanted - matched):
        summary.notes.append(f"--only: no row has the id {item!r}")
    if merge is not None and not summary.interrupted:
        if merge_items:
            summary.merged = merge
            summary.merged_pages = merge_pdfs(merge_items, merge)
        else:
            summary.notes.append(f"no handouts to merge; {merge} was not written")
    return summary


def _skipped(task: _Task, entry: dict[str, Any]) -> RowResult:
    return RowResult(
        row=task.row.number,
        id=task.row.id,
        status=SKIPPED,
        output=task.target.name,
        pages=int(entry.get("pages", 0)),
        sha256=str(entry.get("sha256", "")),
        input_hash=task.input_hash,
    )


def _drop_stale(target: Path, manifest: Manifest) -> None:
    """Remove an earlier PDF for a row that now fails, so an outdated handout is not printed."""
    if manifest.forget(target.name):
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
