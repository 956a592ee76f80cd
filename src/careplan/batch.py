"""Render every row of a CSV of profiles into its own handout, in parallel.

The parent streams the input and feeds a bounded window of rows to warm worker processes
(``careplan.worker``), which validate, render and write one handout each. One bad row never
stops the others, a dead worker never hangs the run, and nothing is lost silently: every row
gets a line in the report, every file-level problem is reported, and the exit code says
whether everything was written. ``OUTDIR/manifest.json`` lets ``--skip-existing`` re-render
only what changed; ``--merge`` assembles one print file after the workers finish.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from careplan.clinic import load_clinic
from careplan.errors import InputError, OutputError, Problem
from careplan.formats import FORMATS
from careplan.inputs import Record, read_records
from careplan.manifest import MANIFEST_NAME, SAVE_SECONDS, Manifest, inputs_digest, row_hash
from careplan.options import RenderOptions
from careplan.output import (
    LOCK_NAME,
    OutputNames,
    chart_name,
    check_distinct,
    check_replace,
    copy_suffix,
    folder_lock,
    remove_stale_temporaries,
)
from careplan.progress import Progress
from careplan.report import REPORT_NAME, BatchSummary, ReportWriter
from careplan.worker import (
    FAILED,
    SKIPPED,
    WRITTEN,
    RenderCallable,
    RowResult,
    Setup,
    StartMethod,
    Task,
    WorkerPool,
    commit_staged,
    default_jobs,
)


class Terminated(Exception):
    """SIGTERM arrived: stop like Ctrl-C, with exit code 143."""


def run_batch(
    input_path: Path,
    outdir: Path,
    *,
    options: RenderOptions,
    clinic_path: Path | None = None,
    jobs: int | None = None,
    merge: Path | None = None,
    skip_existing: bool = False,
    only: Iterable[str] = (),
    report: Path | None = None,
    force: bool = False,
    fmt: str = "pdf",
    progress: Progress | None = None,
    render: RenderCallable | None = None,
    context: StartMethod = "fork",  # how workers start: "spawn" from a threaded server
) -> BatchSummary:
    """Render every row of ``input_path`` into ``outdir``; see the module docstring.

    Raises CareplanError (before rendering anything) when the input as a whole, the clinic
    file or an output path is unusable. ``render`` replaces the renderer (for fault tests).
    """
    clinic = load_clinic(clinic_path)
    records = read_records(input_path)
    if records.problems:
        raise InputError(records.problems)
    report = report or outdir / REPORT_NAME
    check_distinct(
        {"report": report, "merged file": merge, "manifest": outdir / MANIFEST_NAME},
        {"input": input_path, "clinic file": clinic_path, "logo": clinic.logo},
    )
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise OutputError([Problem(str(outdir), None, f"cannot be created ({reason})")]) from None
    with folder_lock(outdir):
        remove_stale_temporaries(outdir)
        manifest = Manifest(outdir)
        for path in filter(None, (report, merge)):
            check_replace(path, owner_id=None, force=force, listed=manifest.lists(path.name))
        inside = [p.name for p in (report, merge) if p and p.parent.resolve() == outdir.resolve()]
        run = _Run(
            outdir=outdir,
            manifest=manifest,
            setup=Setup(clinic, options, fmt, force),
            names=OutputNames(
                copy_suffix(FORMATS[fmt].suffix, options),
                [*inside, MANIFEST_NAME, LOCK_NAME],
                charts=options.chart_copy,
            ),
            inputs=inputs_digest(clinic, options, fmt),
            only={i.strip().casefold() for i in only if i.strip()},
            skip_existing=skip_existing,
            progress=progress,
            summary=BatchSummary(report=report),
            context=context,
        )
        run.render(records.rows, jobs or default_jobs(), render)
        run.summary.problems.extend(records.problems)
        if merge is not None and not run.summary.stopped_by:
            run.merge(merge)
    return run.summary


@dataclass
class _Run:
    """One batch in progress: what it renders with, and the counts, report and manifest."""

    outdir: Path
    manifest: Manifest
    setup: Setup
    names: OutputNames
    inputs: str
    only: set[str]
    skip_existing: bool
    progress: Progress | None
    summary: BatchSummary
    context: StartMethod = "fork"
    written: list[Path] = field(default_factory=list)

    def tasks(self, rows: Iterable[Record]) -> Iterator[Task]:
        """Name every row in order (names stay stable whatever is selected); keep the wanted."""
        matched: set[str] = set()
        for record in rows:
            name, earlier = self.names.assign(record)
            if earlier and self.progress:
                why = f"is also the id of {earlier}; this handout is {name}"
                self.progress.warning(Problem(record.source, "id", why))
            keys = {record.raw_id.casefold(), Path(name).stem.casefold()} & self.only
            if self.only and not keys:
                continue
            matched |= keys
            digest = row_hash(record, self.inputs)
            entry = self.manifest.unchanged(name, digest) if self.skip_existing else None
            skipped = entry and RowResult(
                record.number,
                record.raw_id,
                SKIPPED,
                name,
                int(entry.get("pages", 0)),
                entry.get("sha256", ""),
                digest,
            )
            chart = chart_name(name, self.names.suffix) if self.names.charts else None
            yield Task(
                record,
                self.outdir / name,
                digest,
                self.manifest.lists(name),
                skipped or None,
                self.outdir / chart if chart else None,
            )
        self.summary.notes += [
            f"--only: no row has the id {i!r}" for i in sorted(self.only - matched)
        ]

    def finish(self, report: ReportWriter, task: Task, result: RowResult) -> None:
        assert task.target is not None  # batch tasks always name their file
        if result.staged:
            result = commit_staged(task, result)
        if result.status == WRITTEN:
            self.summary.written += 1
            self.manifest.record(task.target.name, result.input_hash, result.sha256, result.pages)
            if result.chart_output:
                self.manifest.record(result.chart_output, result.input_hash, result.chart_sha256, 0)
        elif result.status == SKIPPED:
            self.summary.skipped += 1
        else:
            self.summary.failed += 1
            for target in filter(None, (task.target, task.chart_target)):
                if self.manifest.forget(target.name):  # an outdated handout must not print
                    target.unlink(missing_ok=True)
        if result.status != FAILED:
            self.written.append(task.target)
        report.add(result)
        self.manifest.save(every=SAVE_SECONDS)
        if self.progress:
            self.progress.result(task.record.source, result)

    def render(
        self, rows: Callable[[], Iterable[Record]], jobs: int, render: RenderCallable | None
    ) -> None:
        if self.progress:
            self.progress.start(sum(1 for _ in rows()))
        report = ReportWriter(self.summary.report or self.outdir / REPORT_NAME)
        pool = WorkerPool(self.setup, jobs, render=render, context=self.context)
        main = threading.current_thread() is threading.main_thread()  # only it may set signals
        previous = signal.signal(signal.SIGTERM, _raise_terminated) if main else None
        try:
            for task, result in pool.run(self.tasks(rows())):
                self.finish(report, task, result)
            pool.close()
        except (KeyboardInterrupt, Terminated) as stop:
            self.summary.stopped_by = (
                signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT
            )
            pool.terminate()
            for task, result in pool.finished():
                self.finish(report, task, result)
        except BaseException:
            pool.terminate()
            report.discard()
            raise
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)
            self.manifest.save()
            if self.progress:
                self.progress.finish()
        report.close()
        remove_stale_temporaries(self.outdir)

    def merge(self, target: Path) -> None:
        from careplan.pdfmerge import merge_pdfs

        if self.written:
            self.summary.merged = target
            self.summary.merged_pages = merge_pdfs(((p, p.stem) for p in self.written), target)
        else:
            self.summary.notes.append(f"no handouts to merge; {target} was not written")


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated
