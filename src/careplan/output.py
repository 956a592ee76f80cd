"""Safe output: names that cannot leave their folder, writes that are never partial, and no
file replaced that careplan did not make.

- A regular file is written to a temporary file beside it and renamed into place.
- ``-`` is standard output; a character device or FIFO (``/dev/null``, a pipe) is written
  directly, and nothing under ``/dev`` or ``/proc`` is ever renamed over; a folder, socket or
  block device is refused.
- An existing file is replaced only when it is careplan's own output (a PDF whose Creator
  starts with ``careplan ``, an HTML file whose generator does, careplan's report, or a file
  the folder's manifest lists), and a handout only by one for the same id, unless ``force``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from careplan.errors import OutputConflict, OutputError, Problem
from careplan.options import RenderOptions

if TYPE_CHECKING:
    from careplan.inputs import Record

MAX_STEM = 64
RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
TEMP_PREFIX = ".careplan-"
TEMP_SUFFIX = ".part"
LOCK_NAME = ".careplan.lock"
CREATOR_PREFIX = "careplan "
HTML_GENERATOR = re.compile(rb'<meta name="generator" content="careplan ')
HTML_ID = re.compile(rb'<meta name="careplan-id" content="([0-9a-f]{64})"')
SYSTEM_FOLDERS = ("/dev/", "/proc/")


def safe_stem(raw: str | None) -> str | None:
    """Reduce an id to letters, digits, '-' and '_' (no path, no reserved name), or None."""
    if raw is None:
        return None
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", str(raw)).strip("-_")[:MAX_STEM].strip("-_")
    if not stem:
        return None
    if stem.casefold() in RESERVED:
        stem = f"id-{stem}"
    return stem


CHART_SUFFIX = ".chart-en"  # the English chart copy of a handout in another language


def copy_suffix(suffix: str, options: RenderOptions) -> str:
    """Return the file suffix for this copy: ``.pdf`` for the patient, ``.clinician.pdf``."""
    return suffix if options.copy == "patient" else f".{options.copy}{suffix}"


def chart_name(name: str, suffix: str) -> str:
    """Name the English chart copy that goes beside the handout ``name`` (``A-1.chart-en.pdf``)."""
    return f"{name.removesuffix(suffix)}{CHART_SUFFIX}{suffix}"


def handout_name(profile_id: str | None, source: str, suffix: str) -> str:
    """Name a handout: its cleaned id, else its input file's name, else ``handout``."""
    from_file = None if source in ("-", "<stdin>") else safe_stem(Path(source).stem)
    return f"{safe_stem(profile_id) or from_file or 'handout'}{suffix}"


class OutputNames:
    """Give each row a file name: its cleaned id, made unique in row order, or ``row-<n>``."""

    def __init__(self, suffix: str, reserved: Iterable[str] = (), *, charts: bool = False) -> None:
        self.suffix = suffix
        self.charts = charts  # each row also writes a chart copy: reserve its name too
        self.used: set[str] = {name.casefold() for name in reserved}
        self.ids: dict[str, str] = {}

    def _names(self, stem: str) -> list[str]:
        name = f"{stem}{self.suffix}"
        return [name, chart_name(name, self.suffix)] if self.charts else [name]

    def assign(self, record: Record) -> tuple[str, str | None]:
        """Return (file name, the earlier row's source when the id repeats one)."""
        base = safe_stem(record.raw_id) or f"row-{record.number}"
        stem, counter = base, 1
        while any(n.casefold() in self.used for n in self._names(stem)):
            counter += 1
            stem = f"{base}-{counter}"
        self.used.update(n.casefold() for n in self._names(stem))
        key = record.raw_id.casefold()
        earlier = self.ids.get(key) if key else None
        if key and earlier is None:
            self.ids[key] = record.source
        return f"{stem}{self.suffix}", earlier


def id_digest(profile_id: str | None) -> str:
    """Return the SHA-256 a handout records of its profile's id (never the id itself)."""
    return hashlib.sha256(f"careplan-id:{profile_id or ''}".encode()).hexdigest()


def target_kind(path: Path | str) -> str:
    """Return ``stdout``, ``direct`` (device or FIFO) or ``file``; refuse folders and sockets."""
    if str(path) == "-":
        return "stdout"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "file"
    except OSError as error:
        raise OutputError(
            [Problem(str(path), None, f"cannot be used ({error.strerror})")]
        ) from None
    if stat.S_ISDIR(mode):
        raise OutputConflict([Problem(str(path), None, "is a folder; name a file")])
    if stat.S_ISSOCK(mode) or stat.S_ISBLK(mode):
        raise OutputConflict([Problem(str(path), None, "is not a file careplan can write to")])
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "direct"
    resolved = os.path.realpath(path)
    if any(f"{p}/".startswith(SYSTEM_FOLDERS) for p in (str(path), resolved)):
        return "direct"  # e.g. /dev/stdout redirected to a file: write to it, never rename
    return "file"


def write_output(path: Path | str, data: bytes | str) -> None:
    """Write ``data`` to ``path`` as its kind requires; raise OutputError on failure."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    kind = target_kind(path)
    try:
        if kind == "stdout":
            sys.stdout.flush()
            sys.stdout.buffer.write(payload)
            sys.stdout.buffer.flush()
        elif kind == "direct":
            with open(path, "wb") as handle:
                handle.write(payload)
        else:
            write_atomic(Path(path), payload)
    except FileNotFoundError:
        raise OutputError(
            [Problem(str(path), None, "cannot be written: its folder does not exist")]
        ) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise OutputError([Problem(str(path), None, f"cannot be written ({reason})")]) from None


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside ``path`` and rename it into place."""
    commit(stage(path, data), path)


def stage(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to a new temporary file beside ``path``; return the temporary file.

    A batch worker stages its handout and the parent commits it, so a file appears under its
    name only once the run has recorded it (an interrupted run leaves only temporaries, which
    the next run removes).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return Path(temp)


def commit(staged: Path, path: Path) -> None:
    """Rename a staged file into place (removing it if that fails)."""
    try:
        os.replace(staged, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged)
        raise


def careplan_output(path: Path) -> dict[str, str] | None:
    """Return what careplan recorded in a file it wrote ({"id": digest} or {}), else None."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError:
        return None
    if head.startswith(b"%PDF"):
        return _pdf_owner(path)
    if HTML_GENERATOR.search(head):
        found = HTML_ID.search(head)
        return {"id": found.group(1).decode()} if found else {}
    from careplan.report import is_report

    return {} if is_report(head) else None


def _pdf_owner(path: Path) -> dict[str, str] | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        info: Mapping[str, object] = PdfReader(path).metadata or {}
        creator = str(info.get("/Creator", ""))
        digest = str(info.get("/careplanid", "") or "")
    except (PyPdfError, OSError, ValueError, KeyError, RecursionError):
        return None
    if not creator.startswith(CREATOR_PREFIX):
        return None
    return {"id": digest} if digest else {}


def check_replace(path: Path, *, owner_id: str | None, force: bool, listed: bool = False) -> None:
    """Refuse to replace a file careplan did not make, or a handout for another id."""
    if force or target_kind(path) != "file" or not path.exists():
        return
    found = careplan_output(path)
    if found is None and not listed:
        raise OutputError(
            [
                Problem(
                    str(path),
                    None,
                    "exists and was not made by careplan; rerun with --force to replace it",
                )
            ]
        )
    if owner_id and found and found.get("id") and found["id"] != owner_id:
        raise OutputError(
            [
                Problem(
                    str(path),
                    None,
                    "holds a handout made for a different id; rerun with --force to replace it",
                )
            ]
        )


def check_distinct(outputs: Mapping[str, Path | None], inputs: Mapping[str, Path | None]) -> None:
    """Refuse (exit 2) when an output is an input or another output of the same command."""
    named = [(k, p) for k, p in {**inputs, **outputs}.items() if p is not None and str(p) != "-"]
    for n, (label, path) in enumerate(named):
        if label not in outputs:
            continue
        for other, other_path in named[:n] + named[n + 1 :]:
            if _same(path, other_path):
                raise OutputConflict(
                    [
                        Problem(
                            str(path),
                            None,
                            f"is both the {label} and the {other}; choose another file",
                        )
                    ]
                )


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(os.path.abspath(a)).resolve() == Path(os.path.abspath(b)).resolve()


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock for one batch; a second batch into it fails at once."""
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                [Problem(str(folder), None, "is in use by another careplan batch")]
            ) from None
        yield
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files an interrupted run left in ``folder``; return how many."""
    removed = 0
    for stale in folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            removed += 1
    return removed
