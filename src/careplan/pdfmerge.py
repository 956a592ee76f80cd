"""Join PDF handouts into one print file (beside the PDF writer; needs pypdf, not WeasyPrint)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from careplan import __version__
from careplan.output import CREATOR_PREFIX, write_output


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
    writer.add_metadata({"/Creator": f"{CREATOR_PREFIX}{__version__}"})
    buffer = io.BytesIO()
    writer.write(buffer)
    write_output(target, buffer.getvalue())
    return len(writer.pages)
