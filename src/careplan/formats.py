"""Output formats: each is one entry, naming its file suffix and media type.

A format turns a handout's HTML into bytes. PDF (the default) goes through the leaf PDF step,
imported only when a PDF is wanted; HTML is the same document before layout. A new format
(a FHIR DocumentReference, a DOCX) is one more entry here and a test.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from careplan.options import RenderOptions


@dataclass(frozen=True)
class Format:
    """An output format: how to write HTML as this format, and how to name and serve it."""

    name: str
    suffix: str
    media_type: str
    write: Callable[[str, RenderOptions, str, tuple[Path, ...]], tuple[bytes, int]]


def _write_pdf(
    html: str, options: RenderOptions, page_css: str, extra_files: tuple[Path, ...]
) -> tuple[bytes, int]:
    from careplan.pdf import renderer  # imports WeasyPrint: only when a PDF is wanted

    return renderer().render(html, options, page_css=page_css, extra_files=extra_files)


def _write_html(
    html: str, options: RenderOptions, page_css: str, extra_files: tuple[Path, ...]
) -> tuple[bytes, int]:
    return html.encode("utf-8"), 0


def release_renderer() -> None:
    """Remove the PDF writer's font folder before a process exits without teardown."""
    pdf = sys.modules.get("careplan.pdf")
    if pdf is not None and pdf.renderer.cache_info().currsize:
        pdf.renderer().close()


FORMATS: dict[str, Format] = {
    "pdf": Format("pdf", ".pdf", "application/pdf", _write_pdf),
    "html": Format("html", ".html", "text/html; charset=utf-8", _write_html),
}
