"""Turn handout HTML into PDF bytes with WeasyPrint, safely and reproducibly.

Importing this module imports WeasyPrint (about half a second), so only rendering code does.
The parsed stylesheets and the ``FontConfiguration`` are built once per process and reused:
a new FontConfiguration per document is slower and leaks memory (see
shared/reference/weasyprint-notes.md). The URL fetcher allows ``data:`` URLs and files inside
the asset folder (plus the clinic logo); everything else, including any network URL, is
refused and fails the render.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import mimetypes
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from careplan.errors import RenderError
from careplan.html import PDF_VARIANTS, page_number_css
from careplan.library import load_library
from careplan.resources import assets_dir

PAGE_CSS = {"letter": "@page { size: letter; }", "a4": "@page { size: A4; }"}


class AssetOnlyFetcher(URLFetcher):
    """Allow ``data:`` URLs and local files under the asset folder or named exactly."""

    def __init__(self, roots: tuple[Path, ...], files: tuple[Path, ...] = ()) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=5)
        self.roots = tuple(r.resolve() for r in roots)
        self.files = frozenset(f.resolve() for f in files)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Return the resource, or raise ValueError for anything outside the allow-list."""
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(parts.path)).resolve()
            allowed = path in self.files or any(path.is_relative_to(r) for r in self.roots)
            if allowed and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
        raise ValueError(f"careplan blocked a resource outside its assets: {url[:80]}")


class _LogCollector(logging.Handler):
    """Collect WeasyPrint's warnings and errors during one render."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class PdfRenderer:
    """Holds the per-process WeasyPrint state: fonts, parsed CSS and the asset fetcher."""

    def __init__(self) -> None:
        self.assets = assets_dir()
        self.font_config = FontConfiguration()
        self.fetcher = AssetOnlyFetcher((self.assets,))
        self._css: dict[str, CSS] = {}

    def _stylesheet(self, name: str, string: str | None = None) -> CSS:
        if name not in self._css:
            if string is None:
                css = CSS(
                    filename=str(self.assets / name),
                    url_fetcher=self.fetcher,
                    font_config=self.font_config,
                )
            else:
                css = CSS(string=string, url_fetcher=self.fetcher, font_config=self.font_config)
            self._css[name] = css
        return self._css[name]

    def stylesheets(self, paper: str, large_print: bool, language: str) -> list[CSS]:
        """Return the parsed stylesheets for a paper size, print mode and language (cached)."""
        sheets = [
            self._stylesheet("handout.css"),
            self._stylesheet(paper, PAGE_CSS[paper]),
            self._stylesheet(f"lang-{language}", page_number_css(load_library().ui[language])),
        ]
        if large_print:
            sheets.append(self._stylesheet("large-print.css"))
        return sheets

    def render(
        self,
        html: str,
        *,
        paper: str,
        large_print: bool,
        pdf_variant: str | None,
        date: dt.date,
        extra_files: tuple[Path, ...] = (),
    ) -> tuple[bytes, int]:
        """Render HTML to (PDF bytes, page count); raise RenderError on any engine problem."""
        if pdf_variant not in PDF_VARIANTS and pdf_variant is not None:
            raise RenderError(
                f"unknown PDF variant {pdf_variant!r}; allowed: {', '.join(PDF_VARIANTS)}"
            )
        fetcher = AssetOnlyFetcher((self.assets,), extra_files) if extra_files else self.fetcher
        collector = _LogCollector()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(collector)
        try:
            with _source_date(date):
                document = HTML(
                    string=html, base_url=str(self.assets) + os.sep, url_fetcher=fetcher
                )
                options: dict[str, object] = (
                    {"pdf_tags": True}
                    if pdf_variant in (None, "none")
                    else {"pdf_variant": pdf_variant}
                )
                language = document.etree_element.get("lang", "en")
                options["stylesheets"] = self.stylesheets(paper, large_print, language)
                rendered = document.render(font_config=self.font_config, **options)
                pdf = rendered.write_pdf(**options)
                pages = len(rendered.pages)
        finally:
            logger.removeHandler(collector)
        problems = [m for m in collector.messages if "blocked" in m or "Failed" in m]
        if problems:
            raise RenderError(f"the PDF engine reported: {problems[0][:200]}")
        assert pdf is not None
        return pdf, pages


@contextlib.contextmanager
def _source_date(date: dt.date) -> Iterator[None]:
    """Pin font timestamps to the handout date when SOURCE_DATE_EPOCH is not set.

    With libharfbuzz-subset WeasyPrint's output is already reproducible; without it the
    fontTools fallback stamps fonts with the current time unless SOURCE_DATE_EPOCH is set.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    epoch = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp()
    os.environ["SOURCE_DATE_EPOCH"] = str(int(epoch))
    try:
        yield
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


_RENDERER: PdfRenderer | None = None


def renderer() -> PdfRenderer:
    """Return this process's renderer, building it on first use."""
    global _RENDERER
    if _RENDERER is None:
        _RENDERER = PdfRenderer()
    return _RENDERER
