"""Rendering for the web page, always in worker processes: the server never imports WeasyPrint.

- ``WarmRenderer``: one worker started by spawn when the server starts, warmed by rendering a
  throwaway handout, then rendering one handout at a time and handing back the bytes.
- ``Batches``: CSV uploads checked row by row, then rendered by ``run_batch`` (the engine and
  guarantees of ``careplan batch``) in a server thread with ``--jobs`` spawned workers. Each
  upload lives in its own private (0700) temporary folder, removed when the nurse deletes it,
  when the next upload replaces it, and when the server stops.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from careplan.clinic import Clinic
from careplan.errors import CareplanError, Problem
from careplan.inputs import Record, read_records
from careplan.options import RenderOptions, default_options
from careplan.report import REPORT_NAME
from careplan.validate import RecordCheck, check_records
from careplan.vocab import THERAPIES, load_vocabulary
from careplan.worker import FAILED, WRITTEN, RowResult, Setup, Task, WorkerPool

LOG = logging.getLogger("careplan.web")
MAX_ROWS = 1000
INPUT_NAME = "input.csv"
MERGED_NAME = "all.pdf"
ZIP_NAME = "handouts.zip"
STOP_SECONDS = 30  # a batch that does not stop by then is left to die with the server
CHECKED, RUNNING, DONE, STOPPED = "checked", "running", "done", "stopped"


class TooManyRows(Exception):
    """The uploaded CSV has more rows than one batch takes."""


class Busy(Exception):
    """A batch is rendering; another cannot be uploaded until it ends."""


class Cancelled(Exception):
    """The server is stopping: the running batch ends after its current rows."""


class WarmRenderer:
    """One warm worker process for single handouts; one render at a time."""

    def __init__(self, clinic: Clinic) -> None:
        self.pool = WorkerPool(Setup(clinic, default_options()), 1, context="spawn")
        self.lock = threading.Lock()

    def start(self) -> None:
        """Start the worker and render a throwaway handout in it (fonts, styles, caches)."""
        vocab = load_vocabulary()
        first = {key: vocab.fields[key].ids[0] for key in ("tumor_site", "pancreatic_surgery")}
        record = Record("warm-up", None, {**first, THERAPIES: vocab.therapies.ids[0]})
        result = self.render(record, default_options())
        if result.status != WRITTEN:
            LOG.warning("careplan serve: the warm-up handout failed to render")

    def render(self, record: Record, options: RenderOptions) -> RowResult:
        """Validate and render one record in the warm worker; the PDF is in ``data``."""
        with self.lock:
            results = [r for _, r in self.pool.run([Task(record, options=options)])]
        return results[0]

    def close(self) -> None:
        """Stop the worker."""
        with self.lock:
            self.pool.close()


class WebProgress:
    """A batch's progress, read by the page while a server thread renders (``Progress``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0
        self.results: list[RowResult] = []
        self.warnings: list[Problem] = []
        self.cancelled = False

    def start(self, total: int) -> None:
        """Begin counting ``total`` rows."""
        with self.lock:
            self.total = total

    def warning(self, problem: Problem) -> None:
        """Keep a warning for the page."""
        with self.lock:
            self.warnings.append(problem)

    def result(self, source: str, result: RowResult) -> None:
        """Keep one row's outcome (never its PDF); raise Cancelled when the server stops."""
        with self.lock:
            self.results.append(result)
        if self.cancelled:
            raise Cancelled

    def finish(self) -> None:
        """Nothing to close: the page reads the counts."""

    def counts(self) -> tuple[int, int]:
        """Return (rows done, rows in all)."""
        with self.lock:
            return len(self.results), self.total


@dataclass
class BatchJob:
    """One uploaded CSV: its private folder, row checks, options and (once run) results."""

    id: str
    folder: Path
    options: RenderOptions
    checks: list[RecordCheck] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)
    file_warnings: list[Problem] = field(default_factory=list)
    state: str = CHECKED
    progress: WebProgress = field(default_factory=WebProgress)
    problems: list[Problem] = field(default_factory=list)  # why a run stopped
    summary: str = ""

    @property
    def outdir(self) -> Path:
        """Return the folder the handouts, report.csv and all.pdf are written to."""
        return self.folder / "handouts"

    @property
    def valid(self) -> int:
        """Return how many rows passed the checks."""
        return sum(not c.problems for c in self.checks)


class Batches:
    """The uploaded batches (one at a time), their folders and the thread that renders them."""

    def __init__(self, clinic_path: Path | None, jobs: int) -> None:
        self.clinic_path = clinic_path
        self.jobs = jobs
        self.root = Path(tempfile.mkdtemp(prefix="careplan-serve-"))  # mode 0700
        self.lock = threading.Lock()
        self.current: BatchJob | None = None
        self.thread: threading.Thread | None = None

    def get(self, job_id: str) -> BatchJob | None:
        """Return the batch with this id, if it is the current one."""
        job = self.current
        return job if job is not None and secrets.compare_digest(job.id, job_id) else None

    def running(self) -> bool:
        """Tell whether a batch is rendering now."""
        return self.thread is not None and self.thread.is_alive()

    def upload(self, data: bytes, options: RenderOptions) -> BatchJob:
        """Keep an uploaded CSV in a new private folder and check every row.

        Raises Busy while a batch renders, TooManyRows past ``MAX_ROWS``; the previous upload
        is removed first.
        """
        with self.lock:
            if self.running():
                raise Busy
            self._remove_current()
            job = BatchJob(
                secrets.token_urlsafe(16), Path(tempfile.mkdtemp(dir=self.root)), options
            )
            self.current = job
        path = job.folder / INPUT_NAME
        path.write_bytes(data)
        records = read_records(path)
        if records.count() > MAX_ROWS:
            self.remove(job)
            raise TooManyRows
        job.checks = list(check_records(records))
        job.file_problems, job.file_warnings = list(records.problems), list(records.warnings)
        return job

    def start(self, job: BatchJob) -> None:
        """Render the batch in a server thread; the page follows ``job.progress``."""
        with self.lock:
            if self.running() or job.state != CHECKED:
                return
            job.state = RUNNING
            self.thread = threading.Thread(target=self._run, args=(job,), daemon=True)
            self.thread.start()

    def _run(self, job: BatchJob) -> None:
        from careplan.batch import run_batch

        try:
            summary = run_batch(
                job.folder / INPUT_NAME,
                job.outdir,
                options=job.options,
                clinic_path=self.clinic_path,
                jobs=self.jobs,
                merge=job.outdir / MERGED_NAME,
                progress=job.progress,
                context="spawn",
            )
            job.problems = summary.problems
            job.summary = summary.line()
            job.state = DONE
        except CareplanError as error:
            job.problems, job.state = error.problems, STOPPED
        except Cancelled:
            job.state = STOPPED
        except Exception as error:  # the message could quote a row: name the kind only
            LOG.error("careplan serve: batch failed (%s)", type(error).__name__)
            job.problems = [Problem("batch", None, f"unexpected {type(error).__name__}")]
            job.state = STOPPED

    def zip(self, job: BatchJob) -> Path:
        """Write ``handouts.zip`` (the handouts, report.csv and all.pdf) in the job's folder."""
        target = job.folder / ZIP_NAME
        names = [r.output for r in job.progress.results if r.status != FAILED and r.output]
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in [*names, REPORT_NAME, MERGED_NAME]:
                if (job.outdir / name).is_file():
                    archive.write(job.outdir / name, name)
        return target

    def remove(self, job: BatchJob) -> bool:
        """Delete a batch's folder (not while it renders); return True when it is gone."""
        with self.lock:
            if job is not self.current or self.running():
                return False
            self._remove_current()
            return True

    def _remove_current(self) -> None:
        if self.current is not None and not self.running():
            shutil.rmtree(self.current.folder, ignore_errors=True)
            self.current = None

    def close(self) -> None:
        """Stop a running batch after its current rows, then remove every folder."""
        job, thread = self.current, self.thread
        if job is not None and thread is not None:
            job.progress.cancelled = True
            thread.join(timeout=STOP_SECONDS)
        shutil.rmtree(self.root, ignore_errors=True)
