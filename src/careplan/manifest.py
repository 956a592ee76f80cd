"""``OUTDIR/manifest.json``: what each handout in a batch folder was made from.

For each file: the hash of its inputs (the row, the clinic file, the options, the content and
template versions), its SHA-256 and page count. ``--skip-existing`` re-renders only what
changed, and a file the manifest lists is known to be careplan's own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from careplan import __version__
from careplan.clinic import Clinic
from careplan.inputs import Record
from careplan.library import load_library
from careplan.options import RenderOptions
from careplan.output import write_atomic
from careplan.resources import templates_dir

MANIFEST_NAME = "manifest.json"
SAVE_SECONDS = 10.0


def file_digest(path: Path) -> str:
    """Return the SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inputs_digest(clinic: Clinic, options: RenderOptions, fmt: str = "pdf") -> str:
    """Hash everything besides the row that shapes a handout: versions, content, clinic, options."""
    library = load_library()
    root = templates_dir() / "handout"
    templates = sorted(p for p in root.rglob("*") if p.is_file())
    parts = {
        "careplan": __version__,
        "weasyprint": metadata.version("weasyprint"),
        "content": [library.content_version, library.digest],
        "templates": {str(p.relative_to(root)): file_digest(p) for p in templates},
        "clinic": file_digest(Path(clinic.source)) if clinic.source else None,
        "logo": file_digest(clinic.logo) if clinic.logo else None,
        "options": {
            "date": options.date.isoformat(),
            "paper": options.paper,
            "large_print": options.large_print,
            "pdf_variant": options.pdf_variant,
            "format": fmt,
        },
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def row_hash(record: Record, inputs: str) -> str:
    """Hash one row's cells (by field, so column order does not matter) with the inputs."""
    data = json.dumps({"row": dict(record.values), "inputs": inputs}, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


class Manifest:
    """The manifest of one output folder, loaded (if readable), updated and saved atomically."""

    def __init__(self, outdir: Path) -> None:
        self.path = outdir / MANIFEST_NAME
        self.outputs: dict[str, dict[str, Any]] = {}
        with contextlib.suppress(OSError, ValueError, AttributeError, RecursionError):
            outputs = json.loads(self.path.read_text(encoding="utf-8")).get("outputs", {})
            self.outputs = {k: v for k, v in outputs.items() if isinstance(v, dict)}
        self.saved = time.monotonic()

    def lists(self, name: str) -> bool:
        """Tell whether the manifest lists ``name`` (careplan wrote it)."""
        return name in self.outputs

    def unchanged(self, name: str, input_hash: str) -> dict[str, Any] | None:
        """Return the entry when ``name`` exists intact and was made from ``input_hash``."""
        entry = self.outputs.get(name)
        path = self.path.parent / name
        if not entry or entry.get("input") != input_hash or not path.is_file():
            return None
        return entry if file_digest(path) == entry.get("sha256") else None

    def record(self, name: str, input_hash: str, sha256: str, pages: int) -> None:
        """Remember a written file."""
        self.outputs[name] = {"input": input_hash, "sha256": sha256, "pages": pages}

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
