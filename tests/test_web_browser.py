"""careplan serve in a real browser: Playwright driving Debian's chromium-headless-shell.

The server is the real command (``python -m careplan serve --no-browser``) in a subprocess.
These tests fail, never skip, when the browser is missing: ``make test`` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
MESSY = ROOT / "tests" / "data" / "csv" / "messy.csv"
CHROMIUM_PATHS = ("/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/headless_shell")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    """Return Debian's headless Chromium; fail (never skip) when it is not installed."""
    found = shutil.which("chromium-headless-shell") or next(
        (p for p in CHROMIUM_PATHS if Path(p).is_file()), None
    )
    if found is None:
        pytest.fail("chromium-headless-shell is not installed: run make test (apt package)")
    return found


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """Start ``careplan serve`` on a free port; yield the token URL it prints."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
    command = [sys.executable, "-m", "careplan", "serve", "--no-browser", "--jobs", "2"]
    command += ["--clinic", str(ROOT / "examples" / "clinic.yaml")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"careplan serve: open (http://127\.0\.0\.1:\d+/\?token=\S+)", line)
    assert found, line
    yield found.group(1)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    process.stdout.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, bypass_csp=False)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server)
    assert page.url == server.split("?")[0]  # the token left the address bar
    yield page
    context.close()


def choose_therapy(page: Page, therapy: str, status: str) -> None:
    page.fill("#therapy-filter", therapy.split("_")[0])
    page.check(f"#therapy-{therapy}")
    page.select_option(f"#status-{therapy}", status)


def test_fill_the_form_fix_an_inline_error_and_download_the_pdf(page: Page) -> None:
    page.fill("#field-id", "web-01")
    page.fill("#field-patient_name", "Ana Pérez")
    page.select_option("#field-pancreatic_surgery", "none")
    choose_therapy(page, "lanreotide", "current")
    page.click("#check")
    error = page.locator("#error-tumor_site")
    assert "Is required" in error.inner_text()
    assert page.locator("#field-tumor_site").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "error-summary"
    page.select_option("#field-tumor_site", "small_intestine")
    page.click("#check")
    assert page.locator("#ready").is_visible()
    assert page.locator("#error-tumor_site").count() == 0
    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename == "web-01.pdf"
    reader = PdfReader(download.value.path())
    text = " ".join(p.extract_text() or "" for p in reader.pages)
    assert "Ana Pérez" in text
    assert "Lanreotide" in text
    assert len(reader.pages) >= 4


def test_the_pancreas_operation_type_shows_only_when_it_applies(page: Page) -> None:
    kind = page.locator("#field-pancreatic_surgery_type")
    page.select_option("#field-pancreatic_surgery", "none")
    assert not kind.is_visible()
    page.select_option("#field-pancreatic_surgery", "done")
    assert kind.is_visible()


def test_preview_opens_the_pdf_inline_in_a_new_tab(page: Page) -> None:
    page.select_option("#field-tumor_site", "lung")
    page.select_option("#field-pancreatic_surgery", "none")
    choose_therapy(page, "active_surveillance", "current")
    preview = page.context.expect_event("response", lambda r: r.url.endswith("/preview"))
    with preview as seen, page.expect_popup():
        page.click("#preview")
    response = seen.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="handout.pdf"'
    assert response.headers["cache-control"] == "no-store"


def upload(page: Page, server: str, csv: Path) -> None:
    page.goto(server.split("?")[0] + "batch")
    page.set_input_files("#csv-file", str(csv))
    page.click("#upload")


def test_a_messy_csv_gets_a_row_by_row_report(page: Page, server: str) -> None:
    upload(page, server, MESSY)
    assert "9 rows: 6 ready, 3 with problems" in page.inner_text("#check-summary")
    problems = page.inner_text("#problems")
    assert re.search(
        r"9\s+tumor_site\s+Not an allowed value \(7 characters\)\. Did you mean", problems
    )
    assert "12" in problems
    assert page.locator("#start").inner_text().startswith("Make the 6 handouts")


def test_a_batch_shows_live_progress_and_gives_a_zip(
    page: Page, server: str, tmp_path: Path
) -> None:
    rows = (ROOT / "examples" / "clinic-day.csv").read_text(encoding="utf-8").split("\nN-1")
    csv = tmp_path / "six.csv"
    csv.write_text("\nN-1".join(rows[:7]) + "\n", encoding="utf-8")
    upload(page, server, csv)
    assert "6 rows: 6 ready" in page.inner_text("#check-summary")
    page.click("#start")
    seen = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not page.locator("#zip").count():
        try:
            seen.add(page.inner_text("#progress-text", timeout=500))
        except Exception:  # the page reloads when the batch ends
            page.wait_for_load_state()
        time.sleep(0.05)
    counts = {int(re.match(r"(\d+) of 6", s).group(1)) for s in seen if re.match(r"\d+ of 6", s)}
    assert len(counts) >= 2, seen
    assert "6 written, 0 failed, 0 skipped" in page.inner_text("#summary")
    with page.expect_download() as download:
        page.click("#zip")
    assert download.value.suggested_filename == "handouts.zip"
    names = zipfile.ZipFile(download.value.path()).namelist()
    assert names == [*(f"N-10{n}.pdf" for n in range(1, 7)), "report.csv", "all.pdf"]
    page.click("#delete")
    assert page.url.endswith("/batch")


def test_everything_works_without_javascript(browser: Browser, server: str, tmp_path: Path) -> None:
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    page.goto(server)
    assert page.locator("#therapy-filter").count() == 0  # the script adds it
    page.select_option("#field-tumor_site", "appendix")
    page.check("#therapy-appendectomy")
    page.select_option("#status-appendectomy", "completed")
    page.select_option("#field-pancreatic_surgery", "none")
    page.click("#check")
    assert page.locator("#ready").is_visible()
    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename == "handout.pdf"
    csv = tmp_path / "two.csv"
    rows = (ROOT / "tests" / "data" / "csv" / "clinic-day.csv").read_text(encoding="utf-8")
    csv.write_text("\n".join(rows.splitlines()[:3]) + "\n", encoding="utf-8")
    upload(page, server, csv)
    page.click("#start")
    deadline = time.monotonic() + 60
    while page.locator("#refresh").count() and time.monotonic() < deadline:
        time.sleep(0.5)
        page.click("#refresh")  # no script: the nurse follows the refresh link
    assert "2 written" in page.inner_text("#summary")
    context.close()


def focus_ring(page: Page) -> dict[str, Any]:
    return page.evaluate(
        """() => {
            const s = getComputedStyle(document.activeElement);
            return {id: document.activeElement.id, tag: document.activeElement.tagName,
                    outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                    shadow: s.boxShadow, background: s.backgroundColor};
        }"""
    )


def tab_to(page: Page, element_id: str, limit: int = 200) -> None:
    """Press Tab until ``element_id`` has the focus; check every stop shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        assert ring["outline"] != "none", ring
        assert ring["width"] >= 2, ring
        if ring["id"] == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def test_keyboard_only_walk_through(page: Page) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the main content"
    page.keyboard.press("Enter")
    tab_to(page, "field-id")
    page.keyboard.type("kb-01")
    tab_to(page, "field-tumor_site")
    page.keyboard.type("Stomach")
    tab_to(page, "therapy-filter")
    page.keyboard.type("surveillance")
    tab_to(page, "therapy-active_surveillance")
    page.keyboard.press("Space")
    tab_to(page, "field-pancreatic_surgery")
    page.keyboard.type("No operation")
    tab_to(page, "check")
    page.keyboard.press("Enter")
    page.wait_for_selector("#ready")
    assert page.locator("#field-tumor_site").input_value() == "stomach"
    assert page.locator("#therapy-active_surveillance").is_checked()
    with page.expect_download() as download:
        tab_to(page, "download")
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "kb-01.pdf"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_violations(browser: Browser, server: str) -> None:
    context = browser.new_context(bypass_csp=True)  # to load axe itself into the page
    page = context.new_page()
    base = server.split("?")[0]
    page.goto(server)
    states = {"empty form": axe_violations(page)}
    page.click("#check")
    assert page.locator(".error").count() >= 2
    states["form with errors"] = axe_violations(page)
    upload(page, server, MESSY)
    states["batch report"] = axe_violations(page)
    page.goto(base + "clinic")
    states["clinic page"] = axe_violations(page)
    context.close()
    assert states == {name: [] for name in states}


def test_the_server_answers_only_with_its_session(browser: Browser, server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(server.split("?")[0])
    assert response is not None
    assert response.status == 403
    assert "Open the link printed in the terminal" in page.inner_text("body")
    context.close()


def test_the_profile_saves_as_yaml(page: Page) -> None:
    page.fill("#field-id", "yaml-01")
    page.select_option("#field-tumor_site", "rectum")
    with page.expect_download() as download:
        page.click("#save")
    assert download.value.suggested_filename == "yaml-01.yaml"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "tumor_site: rectum" in text
