"""Safe output: file names that cannot leave their folder, and writes that are never partial."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

MAX_STEM = 64
RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
TEMP_PREFIX = ".careplan-"
TEMP_SUFFIX = ".part"


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


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside ``path`` and rename it into place."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files an interrupted run left in ``folder``; return how many."""
    removed = 0
    for stale in folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            removed += 1
    return removed
