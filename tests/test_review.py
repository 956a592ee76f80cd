"""The clinical reviewer's module list: complete, current, and honest about review state."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from careplan.cli import cli
from careplan.library import load_library
from careplan.review import review_markdown


def test_docs_modules_md_is_current(repo_root: Path) -> None:
    committed = (repo_root / "docs" / "modules.md").read_text(encoding="utf-8")
    assert committed == review_markdown(load_library()), (
        "docs/modules.md is stale: run `careplan modules --markdown > docs/modules.md`"
    )


def test_modules_command_lists_every_module_with_provenance(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["modules", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["id"] for r in rows] == [m.id for m in load_library().modules]
    assert all(r["sources"] and r["reading_grade"] is not None for r in rows)


def test_modules_text_flags_pending_modules(runner: CliRunner) -> None:
    pending = [m.id for m in load_library().modules if m.review_status == "pending"]
    lines = runner.invoke(cli, ["modules"]).output.splitlines()
    flagged = [line.split()[0] for line in lines if "PENDING REVIEW" in line]
    assert flagged == pending


def test_explain_warns_when_content_is_past_review(runner: CliRunner, repo_root: Path) -> None:
    profile = repo_root / "profiles" / "rectal-net-endoscopic-removal.yaml"
    far_future = int(dt.datetime(2100, 1, 1, tzinfo=dt.UTC).timestamp())
    result = runner.invoke(
        cli, ["explain", str(profile)], env={"SOURCE_DATE_EPOCH": str(far_future)}
    )
    assert "was due for review on" in result.stderr
    today = int(dt.datetime(2026, 11, 26, tzinfo=dt.UTC).timestamp())
    on_time = runner.invoke(cli, ["explain", str(profile)], env={"SOURCE_DATE_EPOCH": str(today)})
    assert "was due for review" not in on_time.stderr
