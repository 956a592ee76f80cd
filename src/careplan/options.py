"""How to print a handout: the render options every front end shares.

No heavy imports here: the command line builds its ``click.Choice`` lists from these tuples
without loading WeasyPrint or the content library.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from typing import Any

PAPERS = ("letter", "a4")
# The patient's copy, or the clinician's: the same plan with its sources, reasons and review.
COPIES = ("patient", "clinician")
# WeasyPrint's variants worth offering (PDF/X is left out: it is never reproducible);
# "none" gives a tagged PDF that claims no conformance.
PDF_VARIANTS = (
    "pdf/ua-1",
    "pdf/ua-2",
    "pdf/a-2b",
    "pdf/a-3b",
    "pdf/a-2u",
    "pdf/a-3u",
    "pdf/a-2a",
    "pdf/a-3a",
    "none",
)


@dataclass(frozen=True)
class RenderOptions:
    """Paper, print mode, PDF variant and the date printed on the handout."""

    date: dt.date
    paper: str = "letter"
    large_print: bool = False
    pdf_variant: str = "pdf/ua-1"
    allow_pending: bool = False  # print content (or translations) still pending review
    copy: str = "patient"
    language: str | None = None  # overrides the profile's language when set
    chart_copy: bool = False  # also write the English chart copy of a handout in another language
    chart_of: str | None = None  # this document is the English chart copy of one in this language

    def __post_init__(self) -> None:
        if self.paper not in PAPERS:
            raise ValueError(f"unknown paper {self.paper!r}; allowed: {', '.join(PAPERS)}")
        if self.copy not in COPIES:
            raise ValueError(f"unknown copy {self.copy!r}; allowed: {', '.join(COPIES)}")
        if self.copy == "clinician" and self.language not in (None, "en"):
            raise ValueError("the clinician's copy is in English; use --chart-copy instead")
        if self.chart_copy and self.language == "en":
            raise ValueError("a chart copy is the English copy of a handout in another language")
        if self.pdf_variant not in PDF_VARIANTS:
            allowed = ", ".join(PDF_VARIANTS)
            raise ValueError(f"unknown PDF variant {self.pdf_variant!r}; allowed: {allowed}")


def handout_date(explicit: dt.date | None = None) -> dt.date:
    """Return the printed date: ``explicit``, else SOURCE_DATE_EPOCH, else today."""
    if explicit is not None:
        return explicit
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def default_options(**overrides: Any) -> RenderOptions:
    """Return the default render options (US Letter, tagged PDF/UA-1, today's date)."""
    return replace(RenderOptions(date=handout_date()), **overrides)
