"""Benchmark one cold ``careplan render`` against WeasyPrint's own command (not a test).

Both render the same handout: careplan from the profile, ``weasyprint`` from the HTML that
careplan writes for it, with the same stylesheets, fonts, PDF variant and metadata. The
baseline is the engine alone: whatever careplan adds (reading and checking the profile,
loading the content, choosing and laying out the text) must be paid for by what it saves
(a library lookup without helper processes, fonts that need no decoding, no interpreter
teardown). The two commands run in turn, pair by pair; CPU seconds (user + system of the
whole process, from the operating system) are compared pair by pair, since the machine is
shared. The page counts must be equal.

    .venv/bin/python benchmarks/bench_cold.py --pairs 10
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from pypdf import PdfReader

from careplan.html import page_number_css
from careplan.library import load_library
from careplan.pdf import PAGE_CSS
from careplan.resources import assets_dir

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "pancreas-whipple-insulinoma.yaml"
DATE = "2026-11-26"


def cpu_seconds(command: list[str]) -> float:
    """Run ``command`` to completion; return its CPU seconds (user + system)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[0]} failed")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10, help="interleaved pairs (at least 10)")
    parser.add_argument("--profile", type=Path, default=PROFILE)
    args = parser.parse_args()
    careplan = str(Path(sys.executable).with_name("careplan"))
    weasyprint = shutil.which("weasyprint", path=str(Path(sys.executable).parent))
    if weasyprint is None:
        raise SystemExit("the weasyprint command is not installed beside this Python")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        html, ours, theirs = folder / "h.html", folder / "careplan.pdf", folder / "weasyprint.pdf"
        common = [str(args.profile), "--date", DATE, "--force"]
        subprocess.run(
            [careplan, "render", *common, "--html", "-o", str(html)],
            check=True,
            capture_output=True,
        )
        (folder / "paper.css").write_text(PAGE_CSS["letter"], encoding="utf-8")
        (folder / "pages.css").write_text(
            page_number_css(load_library().ui["en"]), encoding="utf-8"
        )
        assets = assets_dir()
        baseline = [
            weasyprint,
            "-s",
            str(assets / "handout.css"),
            "-s",
            str(folder / "paper.css"),
            "-s",
            str(folder / "pages.css"),
            "-u",
            f"{assets}/",
            "--pdf-variant",
            "pdf/ua-1",
            "--custom-metadata",
            str(html),
            str(theirs),
        ]
        render = [careplan, "render", *common, "-o", str(ours)]
        cpu_seconds(render), cpu_seconds(baseline)  # warm the file cache, not counted
        pairs = [(cpu_seconds(render), cpu_seconds(baseline)) for _ in range(max(args.pairs, 10))]
        pages = (len(PdfReader(ours).pages), len(PdfReader(theirs).pages))
        if pages[0] != pages[1]:
            raise SystemExit(f"page counts differ: careplan {pages[0]}, weasyprint {pages[1]}")
        same = ours.read_bytes() == theirs.read_bytes()
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    ratios = [x / y for x, y in pairs]
    print(
        f"profile: {args.profile.name}, {pages[0]} pages in both; PDFs "
        f"{'byte-identical' if same else 'differ'}; {len(pairs)} interleaved pairs"
    )
    print(
        f"cold 'careplan render'    CPU s: median {statistics.median(a):.3f} "
        f"(min {min(a):.3f}, max {max(a):.3f})"
    )
    print(
        f"'weasyprint' on its HTML  CPU s: median {statistics.median(b):.3f} "
        f"(min {min(b):.3f}, max {max(b):.3f})"
    )
    print(
        f"careplan / weasyprint, pair by pair: median {statistics.median(ratios):.3f} "
        f"(min {min(ratios):.3f}, max {max(ratios):.3f})"
    )


if __name__ == "__main__":
    main()
