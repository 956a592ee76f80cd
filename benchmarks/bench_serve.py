"""Benchmark ``careplan serve``: a warm download against a cold ``careplan render`` (not a test).

Starts the server, fills the form with the profile (as a browser posts it) and times each
"Download the PDF" request from sending it to the last byte of the PDF (wall clock, one warm
worker). In turn with those, runs ``careplan render`` of the same profile in a fresh process
and takes its CPU seconds (user + system, from the operating system), so that both see the
same machine (it may be shared). Both print the same date. Target: the warm download's median
at most half the cold render's median CPU.

    .venv/bin/python benchmarks/bench_serve.py --pairs 10
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

from careplan.vocab import load_vocabulary
from careplan.web import form as webform

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "pancreas-whipple-insulinoma.yaml"
DATE = "2026-11-26"
CAREPLAN = [sys.executable, "-m", "careplan"]


def cpu_seconds(command: list[str]) -> float:
    """Run ``command`` to completion; return its CPU seconds (user + system)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return usage.ru_utime + usage.ru_stime


def form_body(profile: Path, csrf: str) -> bytes:
    """Return the urlencoded form a browser posts for ``profile``."""
    vocab = load_vocabulary()
    fields = webform.profile_fields(vocab)
    state, _ = webform.state_from_values(yaml.safe_load(profile.read_text()), fields, vocab)
    data = [("csrf_token", csrf), *webform.form_data(state, fields)]
    data += [("option.date", DATE), ("option.paper", "letter"), ("option.pdf_variant", "pdf/ua-1")]
    return urllib.parse.urlencode(data).encode()


def measure(profile: Path, pairs: int) -> tuple[list[float], list[float], int]:
    """Return the wall seconds of each warm download, the CPU of each cold render, PDF size."""
    server = subprocess.Popen(
        [*CAREPLAN, "serve", "--no-browser"], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    try:
        found = re.search(r"open (http://\S+)", server.stdout.readline())
        if not found:
            raise SystemExit("careplan serve did not print its link")
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(found.group(1)).read().decode()  # the token, then the form
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if token is None:
            raise SystemExit("no CSRF token on the form")
        body = form_body(profile, token.group(1))
        download = found.group(1).split("?")[0] + "download"
        size = len(opener.open(download, body).read())  # waits for the warm-up handout
        warm, cold = [], []
        with tempfile.TemporaryDirectory() as scratch:
            output = str(Path(scratch) / "cold.pdf")
            render = [*CAREPLAN, "render", str(profile), "--date", DATE, "-o", output, "--force"]
            for _ in range(pairs):
                start = time.perf_counter()
                with opener.open(download, body) as response:
                    data = response.read()
                warm.append(time.perf_counter() - start)
                if not data.startswith(b"%PDF-"):
                    raise SystemExit("the download is not a PDF")
                cold.append(cpu_seconds(render))
        return warm, cold, size
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10, help="download/render pairs (10 or more)")
    parser.add_argument("--profile", type=Path, default=PROFILE)
    args = parser.parse_args()
    warm, cold, size = measure(args.profile, max(args.pairs, 10))
    warm_median, cold_median = statistics.median(warm), statistics.median(cold)
    print(f"profile: {args.profile.name} ({size:,} bytes of PDF)")
    print(
        f"warm download, careplan serve: median {warm_median:.3f} s wall "
        f"(min {min(warm):.3f}, max {max(warm):.3f}; {len(warm)} requests)"
    )
    print(
        f"cold careplan render:          median {cold_median:.3f} s CPU "
        f"(min {min(cold):.3f}, max {max(cold):.3f}; {len(cold)} processes)"
    )
    ratio = warm_median / cold_median
    verdict = "met" if ratio <= 0.5 else "not met"
    print(f"warm / cold: {ratio:.2f} (target 0.50 or less: {verdict})")


if __name__ == "__main__":
    main()
