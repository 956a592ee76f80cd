"""The warm render worker, shared by ``careplan batch`` and the web app.

A worker process is set up once (WeasyPrint's fonts and stylesheets, the Jinja environment,
the content library) and then renders one record at a time: validate, render, write the file
atomically (or hand the bytes back), and return a small result. It never prints.

``WorkerPool`` runs several such processes and watches each one's exit. When a worker dies
(a native crash in Pango, the OOM killer, SIGKILL), the rows it held are re-run one at a time
in a fresh worker; a row that kills that worker too fails with "the renderer stopped
unexpectedly (signal N)". Nothing waits forever on a dead process. Workers are replaced after
``max_tasks`` documents, which bounds WeasyPrint's slow memory growth.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal

from careplan.clinic import Clinic
from careplan.errors import CareplanError, Problem
from careplan.formats import release_renderer
from careplan.inputs import Record, to_profile
from careplan.options import RenderOptions
from careplan.output import check_replace, commit, id_digest, stage

MAX_TASKS_PER_WORKER = 400  # bounds WeasyPrint's slow memory growth (≈20 KB per document)
WINDOW_PER_JOB = 4  # rows in flight per worker: enough to keep it busy, never the whole file

WRITTEN, FAILED, SKIPPED = "written", "failed", "skipped"
StartMethod = Literal["fork", "spawn"]  # "spawn" from a process with threads (a web server)


@dataclass(frozen=True)
class Setup:
    """What every worker renders with: clinic settings, options and the output format."""

    clinic: Clinic
    options: RenderOptions
    fmt: str = "pdf"
    force: bool = False


@dataclass(frozen=True)
class RowResult:
    """What happened to one record. Problems quote coded fields only, never patient text."""

    row: int | None
    id: str
    status: str
    output: str = ""
    pages: int = 0
    sha256: str = ""
    input_hash: str = ""
    warnings: tuple[Problem, ...] = ()
    errors: tuple[Problem, ...] = ()
    data: bytes | None = None
    staged: str = ""  # the written handout, waiting beside its target for the parent to commit
    chart_output: str = ""  # the English chart copy (--chart-copy), named like ``output``
    chart_sha256: str = ""
    chart_staged: str = ""


@dataclass(frozen=True)
class Task:
    """One record to render; ``target`` None hands the bytes back instead of writing a file."""

    record: Record
    target: Path | None = None
    input_hash: str = ""
    listed: bool = False  # the target is listed in its folder's manifest (careplan wrote it)
    decided: RowResult | None = None  # already settled (e.g. skipped): no worker needed
    chart_target: Path | None = None  # where the English chart copy goes (--chart-copy)
    options: RenderOptions | None = None  # None: the pool's ``Setup.options``


def failed(task: Task, *problems: Problem) -> RowResult:
    """Return a failed result for ``task``."""
    record = task.record
    return RowResult(
        record.number, record.raw_id, FAILED, input_hash=task.input_hash, errors=problems
    )


_SETUP: Setup | None = None
_BROKEN: str | None = None


def warm(setup: Setup) -> None:
    """Build this process's rendering state once (WeasyPrint, Jinja, content, vocabulary).

    A failure is kept and reported on every row: a worker that raised here would be restarted
    forever.
    """
    global _SETUP, _BROKEN
    _SETUP = setup
    try:
        from careplan.html import environment
        from careplan.library import load_library
        from careplan.vocab import load_vocabulary

        if setup.fmt == "pdf":
            from careplan.pdf import renderer

            renderer()
        environment()
        load_library()
        load_vocabulary()
    except Exception as error:
        _BROKEN = f"the renderer could not start ({type(error).__name__})"


def render_task(task: Task) -> RowResult:
    """Validate and render one record in this warm process; never raises."""
    from careplan.render import chart_copy, language_override, render_profile

    record = task.record
    if _SETUP is None or _BROKEN:
        return failed(task, Problem(record.source, None, _BROKEN or "the renderer is not set up"))
    options, staged = task.options or _SETUP.options, []
    try:
        parsed = to_profile(record)
        kwargs: dict[str, Any] = {
            "clinic": _SETUP.clinic,
            "fmt": _SETUP.fmt,
            "source": record.source,
        }
        document = render_profile(parsed.profile, options=options, **kwargs)
        chart = None
        language = options.language or parsed.profile.language
        if task.chart_target is not None and language != "en":
            chart = chart_copy(parsed.profile, options=options, **kwargs)
        if task.target is not None:
            for target, written in ((task.target, document), (task.chart_target, chart)):
                if target is not None and written is not None:
                    owner = id_digest(parsed.profile.id)
                    check_replace(target, owner_id=owner, force=_SETUP.force, listed=task.listed)
                    staged.append(stage(target, written.data))
    except CareplanError as error:
        _discard(staged)
        return failed(task, *error.problems)
    except OSError as error:
        _discard(staged)
        name = task.target.name if task.target else "the handout"
        reason = error.strerror or type(error).__name__
        return failed(task, Problem(record.source, None, f"cannot write {name} ({reason})"))
    except Exception as error:
        _discard(staged)
        # The message could quote profile text; name only the kind of failure.
        reason = f"unexpected {type(error).__name__} while rendering; please report this"
        return failed(task, Problem(record.source, None, reason))
    warnings = [*parsed.warnings, *document.warnings]
    if override := language_override(parsed, options):
        warnings.append(Problem(record.source, "language", override))
    if task.chart_target is not None and chart is None:
        warnings.append(Problem(record.source, "language", "in English: no chart copy needed"))
    return RowResult(
        row=record.number,
        id=record.raw_id,
        status=WRITTEN,
        output=task.target.name if task.target else "",
        pages=document.pages,
        sha256=hashlib.sha256(document.data).hexdigest(),
        input_hash=task.input_hash,
        warnings=tuple(warnings),
        data=None if task.target is not None else document.data,
        staged=str(staged[0]) if staged else "",
        chart_output=task.chart_target.name if chart and task.chart_target else "",
        chart_sha256=hashlib.sha256(chart.data).hexdigest() if chart else "",
        chart_staged=str(staged[1]) if len(staged) > 1 else "",
    )


def _discard(staged: list[Path]) -> None:
    for path in staged:
        path.unlink(missing_ok=True)


def commit_staged(task: Task, result: RowResult) -> RowResult:
    """Rename a worker's staged handout (and chart copy) into place, in the parent, as it
    records the row: a file appears under its name only once the run knows of it."""
    pairs = [(result.staged, task.target), (result.chart_staged, task.chart_target)]
    done: list[Path] = []
    try:
        for staged, target in pairs:
            if staged and target is not None:
                commit(Path(staged), target)
                done.append(target)
    except OSError as error:  # neither copy stays: the row failed as a whole
        _discard([*done, *(Path(staged) for staged, _ in pairs if staged)])
        reason = error.strerror or type(error).__name__
        name = task.target.name if task.target else "the handout"
        return failed(task, Problem(task.record.source, None, f"cannot write {name} ({reason})"))
    return replace(result, staged="", chart_staged="")


RenderCallable = Callable[[Task], RowResult]


def default_jobs() -> int:
    """Return one worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _serve(conn: Connection, setup: Setup, render: RenderCallable | None, max_tasks: int) -> None:
    """A worker process: warm up, then render tasks until told to stop or ``max_tasks``.

    The cyclic garbage collector never runs during a render: what warm-up and the first
    document built (fonts, stylesheets, content, caches) is frozen out of its reach, and each
    document's garbage is collected once its result has been sent (about 15 ms, against about
    50 ms of automatic collections inside a render).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides how Ctrl-C ends a run
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    warm(setup)
    gc.freeze()
    gc.disable()
    try:
        for done in range(max_tasks):
            try:
                message = conn.recv()
            except (EOFError, OSError):  # the parent has gone
                return
            if message is None:
                return
            seq, task = message
            result = (render or render_task)(task)
            try:
                conn.send((seq, result))
            except OSError:
                return
            gc.collect()
            if done == 0:
                gc.freeze()
    finally:
        release_renderer()


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    inflight: deque[int] = field(default_factory=deque)
    sent: int = 0


def _stopped(process: BaseProcess) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        return f"the renderer stopped unexpectedly (signal {-code})"
    return f"the renderer stopped unexpectedly (exit code {code})"


class WorkerPool:
    """Warm worker processes rendering tasks, each watched; results come back in task order."""

    def __init__(
        self,
        setup: Setup,
        jobs: int,
        *,
        render: RenderCallable | None = None,
        context: StartMethod = "fork",
        max_tasks: int = MAX_TASKS_PER_WORKER,
    ) -> None:
        self.setup = setup
        self.jobs = max(1, jobs)
        self.render = render
        self.context = (
            multiprocessing.get_context("spawn")
            if context == "spawn"
            else multiprocessing.get_context("fork")
        )
        self.max_tasks = max_tasks
        self.workers: list[_Worker] = []
        self.isolated: deque[int] = deque()  # lost rows, re-run one at a time
        self.isolation: _Worker | None = None
        self.tasks: dict[int, Task] = {}
        self.done: dict[int, RowResult] = {}
        self.seq = 0

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_serve, args=(child, self.setup, self.render, self.max_tasks), daemon=True
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def _send(self, worker: _Worker, seq: int) -> None:
        worker.inflight.append(seq)
        worker.sent += 1
        with contextlib.suppress(OSError):  # the worker is gone; its sentinel will say so
            worker.conn.send((seq, self.tasks[seq]))

    def _collect(self, worker: _Worker) -> None:
        while True:
            try:
                if not worker.conn.poll():
                    return
                seq, result = worker.conn.recv()
            except (EOFError, OSError):
                return
            self.done[seq] = result
            worker.inflight.remove(seq)

    def _reap(self, worker: _Worker, *, isolation: bool) -> None:
        """A worker exited: keep what it finished, and deal with what it held."""
        self._collect(worker)
        worker.process.join()
        worker.conn.close()
        if isolation:
            for seq in worker.inflight:  # the row killed a fresh worker on its own: it fails
                self.done[seq] = failed(
                    self.tasks[seq],
                    Problem(self.tasks[seq].record.source, None, _stopped(worker.process)),
                )
        elif worker.inflight and worker.sent <= self.max_tasks:
            self.isolated.extend(worker.inflight)

    def run(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, RowResult]]:
        """Render ``tasks``; yield (task, result) in the order the tasks came."""
        source = iter(tasks)
        first = self.seq
        next_out = first
        exhausted = False
        while True:
            while not exhausted and len(self.tasks) < self.jobs * WINDOW_PER_JOB:
                task = next(source, None)
                if task is None:
                    exhausted = True
                    break
                self.tasks[self.seq] = task
                if task.decided is not None:
                    self.done[self.seq] = task.decided
                else:
                    self._feed(self.seq)
                self.seq += 1
            while next_out in self.done:
                yield self.tasks.pop(next_out), self.done.pop(next_out)
                next_out += 1
            if exhausted and next_out == self.seq:
                return
            if not exhausted and len(self.tasks) < self.jobs * WINDOW_PER_JOB:
                continue  # the window drained (e.g. skipped rows): take more before waiting
            self._step()

    def _feed(self, seq: int) -> None:
        live = [w for w in self.workers if w.sent < self.max_tasks]
        if len(self.workers) < self.jobs:
            live.append(self._start())
            self.workers.append(live[-1])
        self._send(min(live, key=lambda w: len(w.inflight)), seq)

    def _step(self) -> None:
        """Wait for results or exits; replace dead or used-up workers; run isolated rows."""
        if self.isolation is None and self.isolated:
            self.isolation = self._start()
            self._send(self.isolation, self.isolated.popleft())
        watched = [*self.workers, *([self.isolation] if self.isolation else [])]
        ready = wait([w.conn for w in watched] + [w.process.sentinel for w in watched])
        for worker in watched:
            if worker.conn in ready:
                self._collect(worker)
            if worker.process.sentinel in ready:
                is_isolation = worker is self.isolation
                self._reap(worker, isolation=is_isolation)
                if is_isolation:
                    self.isolation = None
                else:
                    self.workers.remove(worker)
                    for seq in list(worker.inflight):
                        if seq not in self.isolated and seq not in self.done:
                            self.isolated.append(seq)
        if self.isolation is not None and not self.isolation.inflight:
            if self.isolated:
                self._send(self.isolation, self.isolated.popleft())
            else:
                self._retire(self.isolation)
                self.isolation = None
        for worker in list(self.workers):
            if worker.sent >= self.max_tasks and not worker.inflight:
                self._retire(worker)
                self.workers.remove(worker)
        self._refill()

    def _refill(self) -> None:
        """Give rows waiting for a worker (after a worker left) to the workers there are."""
        waiting = [s for s in self.tasks if s not in self.done and not self._held(s)]
        for seq in waiting:
            self._feed(seq)

    def _held(self, seq: int) -> bool:
        holders = [*self.workers, *([self.isolation] if self.isolation else [])]
        return seq in self.isolated or any(seq in w.inflight for w in holders)

    def _retire(self, worker: _Worker) -> None:
        with contextlib.suppress(OSError):
            worker.conn.send(None)
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()

    def finished(self) -> Iterator[tuple[Task, RowResult]]:
        """Yield results that are done but were not yielded yet (after an interruption)."""
        for seq in sorted(self.done):
            yield self.tasks[seq], self.done[seq]
        self.done.clear()

    def close(self) -> None:
        """Stop every worker after its current row."""
        for worker in [*self.workers, *([self.isolation] if self.isolation else [])]:
            self._retire(worker)
        self.workers, self.isolation = [], None

    def terminate(self) -> None:
        """Stop every worker now, keeping the results they had already sent."""
        for worker in [*self.workers, *([self.isolation] if self.isolation else [])]:
            worker.process.kill()
            worker.process.join()
            with contextlib.suppress(Exception):  # a message cut off by the kill is dropped
                self._collect(worker)
            worker.conn.close()
        self.workers, self.isolation = [], None
