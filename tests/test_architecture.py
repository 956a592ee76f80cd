"""The shape of the code, checked: clinical knowledge stays in the content, the PDF step is a
leaf, the command line only wires, and the README's profile table comes from the vocabulary."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from careplan.resources import PACKAGE_DIR
from careplan.vocab import load_vocabulary

SOURCES = sorted(PACKAGE_DIR.rglob("*.py"))
README = Path(__file__).resolve().parent.parent / "README.md"


def literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def careplan_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("careplan"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("careplan")}
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_no_therapy_or_syndrome_id_is_written_in_code(path: Path) -> None:
    vocab = load_vocabulary()
    ids = set(vocab.therapies.ids) | set(vocab.fields["hormone_syndrome"].ids)
    ids -= {"none", "other", "unknown"}
    assert literals(path) & ids == set(), "clinical rules belong in src/careplan/content"


def test_the_pdf_step_imports_only_errors_resources_and_options() -> None:
    imports = careplan_imports(PACKAGE_DIR / "pdf.py")
    assert imports <= {"careplan.errors", "careplan.resources", "careplan.options"}


@pytest.mark.parametrize("name", ["cli.py", "batch.py"])
def test_the_command_line_and_batch_stay_small(name: str) -> None:
    assert len((PACKAGE_DIR / name).read_text(encoding="utf-8").splitlines()) <= 250


@pytest.mark.parametrize("name", ["cli.py", "cli_support.py", "cli_reference.py", "__main__.py"])
def test_the_command_line_never_dispatches_on_file_suffixes(name: str) -> None:
    text = (PACKAGE_DIR / name).read_text(encoding="utf-8")
    suffix_test = r"\.suffix\s*(==|in\b)|\.suffix\.(lower|casefold)|endswith\(\(?[\"']\."
    assert not re.search(suffix_test, text)


def test_the_readme_profile_table_is_the_vocabulary() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- profile-table: careplan vocab --markdown -->\n", "<!-- /profile-table -->"
    assert start in text
    assert end in text
    table = text.split(start, 1)[1].split(end, 1)[0]
    assert table == load_vocabulary().profile_table()


def test_the_readme_names_every_therapy_id() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [t for t in load_vocabulary().therapies.ids if f"`{t}`" not in text]
    assert missing == []
