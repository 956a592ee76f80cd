"""Table-driven tailoring checks on the rendered PDF text.

Each row of tests/data/tailoring.yaml is a profile and phrases that MUST and MUST NOT appear in
the text read back from the PDF (not the HTML). Phrases are short and distinctive so they come
from one module or one guarded sentence; the text is NFKC-normalised and its whitespace
collapsed before matching. Every review finding about printed text has at least one row.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from careplan.library import load_library
from careplan.vocab import load_vocabulary

UI = load_library().ui["en"]
ROWS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).resolve().parent / "data" / "tailoring.yaml").read_text(encoding="utf-8")
)


def normalized(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\u2019", "'").casefold()


def test_rows_cover_every_value() -> None:
    """The table spans every site, syndrome, therapy and pancreatic status."""
    vocab = load_vocabulary()
    profiles = [r["profile"] for r in ROWS]
    assert len({r["name"] for r in ROWS}) == len(ROWS), "row names must be unique"
    assert {p["tumor_site"] for p in profiles} == set(vocab.fields["tumor_site"].ids)
    syndromes = {s for p in profiles for s in _as_list(p.get("hormone_syndrome", "none"))}
    assert syndromes == set(vocab.fields["hormone_syndrome"].ids)
    therapies = {t.split(":")[0] for p in profiles for t in p["therapies"]}
    therapies |= {p["pancreatic_surgery_type"] for p in profiles if "pancreatic_surgery_type" in p}
    assert set(vocab.therapies.ids) - therapies == set()
    assert {p["pancreatic_surgery"] for p in profiles} == {"none", "planned", "done"}
    statuses = {t.split(":")[1] for p in profiles for t in p["therapies"] if ":" in t}
    assert statuses == {"planned", "current", "completed"}


def without_source_list(text: str) -> str:
    """Cut the list of sources: the clinician's full list, or the patient's trusted sources
    (either sits between the glossary and the wallet card)."""
    for heading in (UI["sources_heading"], UI["trusted_heading"]):
        start = text.find(normalized(heading))
        if start >= 0:
            end = text.find(normalized(UI["wallet_heading"]), start)
            text = text[:start] + (text[end:] if end >= 0 else "")
    return text


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["name"])
def test_handout_says_what_it_must_and_nothing_it_must_not(
    row: dict[str, Any], render_text: Callable[..., str]
) -> None:
    # The handout's own words; the source list is checked by the invariant tests (a source's
    # title may share words with a phrase, e.g. "Follow-up after treatment for NETs").
    text = without_source_list(normalized(render_text(row["profile"], allow_pending=True)))
    missing = [p for p in row["must"] if normalized(p) not in text]
    present = [p for p in row.get("must_not", []) if normalized(p) in text]
    assert missing == [], f"missing from {row['name']} ({row['finding']})"
    assert present == [], f"must not appear in {row['name']} ({row['finding']})"
