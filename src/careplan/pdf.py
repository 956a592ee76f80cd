"""Turn handout HTML into PDF bytes with WeasyPrint, safely and reproducibly.

This is a leaf: it takes HTML, render options and the page-number rule, and knows nothing of
profiles, plans or content. Importing it imports WeasyPrint, so only rendering code does.
The parsed stylesheets and the ``FontConfiguration`` are built once per process and reused:
a new FontConfiguration per document is slower and leaks memory (see
shared/reference/weasyprint-notes.md). The URL fetcher allows ``data:`` URLs and files inside
the asset folder (plus the clinic logo); everything else, including any network URL, is
refused and fails the render.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import datetime as dt
import logging
import mimetypes
import os
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from careplan.errors import RenderError
from careplan.options import RenderOptions
from careplan.resources import assets_dir

PAGE_CSS = {
    "letter": "@page { size: letter; }",
    "a4": "@page { size: A4; margin-left: 31mm; margin-right: 31mm; }",  # lines as on letter
}
# ctypes.util's own ABI names for 64-bit machines; other machines match "libc6" (see ctypes).
_LDCONFIG_ABI = {
    "x86_64-64": "libc6,x86-64",
    "ppc64-64": "libc6,64bit",
    "sparc64-64": "libc6,64bit",
    "s390x-64": "libc6,64bit",
    "ia64-64": "libc6,IA-64",
}


@cache
def _ldconfig_cache() -> bytes:
    """Return ``ldconfig -p`` once (the system's table of shared libraries)."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    try:
        return subprocess.run([ldconfig, "-p"], capture_output=True, check=False, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return b""


def _find_library_once(name: str) -> str | None:
    """Answer ``ctypes.util.find_library`` from one ``ldconfig -p`` read, for this machine's ABI.

    WeasyPrint tries several names for each library it loads; for every miss cffi calls
    ``find_library``, which runs ldconfig, gcc and ld each time: 86 processes and about 0.2 s
    of CPU per start. This answers from one cached read and never compiles anything.
    """
    bits = "-32" if struct.calcsize("l") == 4 else "-64"
    abi = _LDCONFIG_ABI.get(os.uname().machine + bits, "libc6")
    pattern = rb"\s+(lib" + re.escape(name.encode()) + rb"\.[^\s]+)\s+\(" + re.escape(abi.encode())
    match = re.search(pattern, _ldconfig_cache())
    return os.fsdecode(match.group(1)) if match else None


@contextlib.contextmanager
def _fast_library_lookup() -> Iterator[None]:
    """Use ``_find_library_once`` while WeasyPrint loads its libraries (Linux only)."""
    original = ctypes.util.find_library
    if os.name == "posix" and os.uname().sysname == "Linux":
        ctypes.util.find_library = _find_library_once
    try:
        yield
    finally:
        ctypes.util.find_library = original


with _fast_library_lookup():
    import pydyf
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse


class AssetOnlyFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
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
    """Collect WeasyPrint's errors during one render."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
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

    def stylesheets(self, options: RenderOptions, page_css: str) -> list[CSS]:
        """Return the parsed stylesheets for these options and page-number rule (cached)."""
        sheets = [
            self._stylesheet("handout.css"),
            self._stylesheet(options.paper, PAGE_CSS[options.paper]),
            self._stylesheet(f"page-number:{page_css}", page_css),
        ]
        if options.large_print:
            sheets.append(self._stylesheet("large-print.css"))
        return sheets

    def render(
        self,
        html: str,
        options: RenderOptions,
        *,
        page_css: str,
        extra_files: tuple[Path, ...] = (),
    ) -> tuple[bytes, int]:
        """Render HTML to (PDF bytes, page count); raise RenderError on any engine error."""
        fetcher = AssetOnlyFetcher((self.assets,), extra_files) if extra_files else self.fetcher
        collector = _LogCollector()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(collector)
        pdf_options: dict[str, object] = (
            {"pdf_tags": True}
            if options.pdf_variant == "none"
            else {"pdf_variant": options.pdf_variant}
        )
        pdf_options["stylesheets"] = self.stylesheets(options, page_css)
        pdf_options["custom_metadata"] = True  # the careplan-id meta: whose handout this is
        try:
            with _source_date(options.date):
                document = HTML(
                    string=html, base_url=str(self.assets) + os.sep, url_fetcher=fetcher
                )
                rendered = document.render(font_config=self.font_config, **pdf_options)
                pdf = rendered.write_pdf(finisher=_scope_header_cells, **pdf_options)
                pages = len(rendered.pages)
        finally:
            logger.removeHandler(collector)
        if collector.messages:
            raise RenderError(f"the PDF engine reported: {collector.messages[0][:160]}")
        if pdf is None:
            raise RenderError("the PDF engine returned no document")
        return pdf, pages

    def close(self) -> None:
        """Remove the font folder WeasyPrint keeps (a process that exits fast skips __del__)."""
        folder = getattr(self.font_config, "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def _scope_header_cells(document: object, pdf: pydyf.PDF) -> None:
    """Give every table header cell its /Scope (WeasyPrint 70 does not write it).

    A header in a table's head labels its column; any other header labels its row (the
    handout writes row headers as <th scope="row">). PDF/UA needs the association.
    """
    objects = [o for o in pdf.objects if isinstance(o, pydyf.Dictionary)]
    by_reference = {o.reference: o for o in objects}
    for cell in objects:
        if cell.get("Type") != "/StructElem" or cell.get("S") != "/TH":
            continue
        row = by_reference.get(cell["P"])
        section = by_reference.get(row["P"]) if row is not None else None
        in_head = section is not None and section.get("S") == "/THead"
        cell["A"]["Scope"] = "/Column" if in_head else "/Row"


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


@cache
def renderer() -> PdfRenderer:
    """Return this process's renderer, building it on first use."""
    return PdfRenderer()
