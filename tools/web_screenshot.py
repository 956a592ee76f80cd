"""Write the README's picture of the form from a real ``careplan serve`` session.

``make screenshots`` runs it.

Starts ``careplan serve --no-browser`` with the example clinic file, opens its link in Debian's
chromium-headless-shell, fills in the Whipple example (made-up patient) the way a nurse would,
checks it, and saves the top of the page as a PNG.

    .venv/bin/python tools/web_screenshot.py docs/images/web-form.png
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_PATHS = ("/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/headless_shell")


def chromium() -> str:
    """Return Debian's headless Chromium (apt-get install chromium-headless-shell)."""
    found = shutil.which("chromium-headless-shell") or next(
        (p for p in CHROMIUM_PATHS if Path(p).is_file()), None
    )
    if found is None:
        raise SystemExit("chromium-headless-shell is not installed (make system-deps)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    command = [sys.executable, "-m", "careplan", "serve", "--no-browser"]
    command += ["--clinic", str(ROOT / "examples" / "clinic.yaml")]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert server.stdout is not None
    try:
        found = re.search(r"open (http://\S+)", server.stdout.readline())
        if not found:
            raise SystemExit("careplan serve did not print its link")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1000, "height": 1500})
            page.goto(found.group(1))
            page.fill("#field-id", "demo-01")
            page.fill("#field-patient_name", "Maria Lopez")
            page.select_option("#field-tumor_site", "pancreas")
            page.select_option("#field-extent", "localized")
            page.select_option("#field-grade", "g2")
            page.check("#field-hormone_syndrome-insulinoma")
            page.fill("#therapy-filter", "enzyme")
            page.check("#therapy-pert")
            page.select_option("#status-pert", "current")
            page.select_option("#field-pancreatic_surgery", "done")
            page.select_option("#field-pancreatic_surgery_type", "whipple")
            page.select_option("#field-diabetes", "none")
            page.fill("#field-notes", "Dietitian visit booked for next Tuesday.")
            page.click("#check")
            page.fill("#therapy-filter", "enzyme")
            page.locator("body").click(position={"x": 5, "y": 5})  # no focus ring in the picture
            args.output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.output), full_page=False)
            browser.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server.stdout.close()
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
