"""Benchmark ``careplan batch`` (not a test): speed-up, memory and validate time.

Builds N varied synthetic profiles and prints documents per second for ``--jobs 1`` and
``--jobs 2``, their ratio, the peak memory of the process tree, the same documents rendered
by one ``careplan render`` process each (what a shell loop does), the memory growth of a
worker over a long run, and the time ``careplan validate`` takes on a large CSV.

Wall-clock rates depend on what else the machine is doing, so CPU seconds per document
(user + system, all processes) are printed too: their ratios hold on a busy machine.

    .venv/bin/python benchmarks/bench_batch.py --docs 200 --loop-docs 40 \\
        --memory-docs 1000 --validate-rows 10000
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from careplan.errors import ProfileError
from careplan.inputs import read_records
from careplan.profile import parse_profile
from careplan.validate import validate_input
from careplan.vocab import load_vocabulary

DATE = "2026-11-26"
SITES = ("small bowel", "pancreas", "lung", "stomach", "rectum", "appendix", "duodenum", "colon")
THERAPIES = (
    "lanreotide:current",
    "Sandostatin LAR",
    "Lutathera",
    "everolimus",
    "CAPTEM",
    "surveillance",
    "telotristat",
    "liver resection:completed",
    "TACE",
    "PPI",
)
SYNDROMES = ("none", "carcinoid", "insulinoma", "gastrinoma", "unknown")


def synthetic_rows(count: int, seed: int = 7) -> list[dict[str, str]]:
    """Return ``count`` valid, varied profile rows (invalid random draws are redrawn)."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    while len(rows) < count:
        site = rng.choice(SITES)
        whipple = site == "pancreas" and rng.random() < 0.3
        row = {
            "id": f"B-{len(rows) + 1:05d}",
            "patient_name": f"Patient {len(rows) + 1}",
            "tumor_site": site,
            "extent": rng.choice(("localized", "regional", "distant", "")),
            "grade": rng.choice(("g1", "g2", "g3", "")),
            "hormone_syndrome": rng.choice(SYNDROMES),
            "therapies": "" if whipple else "; ".join(rng.sample(THERAPIES, rng.randint(1, 3))),
            "pancreatic_surgery": "done" if whipple else "none",
            "pancreatic_surgery_type": "whipple" if whipple else "",
            "diabetes": rng.choice(("none", "tablets", "insulin", "")),
            "large_print": "yes" if rng.random() < 0.1 else "",
            "notes": "Bring your diary." if rng.random() < 0.5 else "",
        }
        try:
            parse_profile(row, "synthetic")
        except ProfileError:
            continue
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(load_vocabulary().keys))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(c) for c in task.read_text().split()]
        except OSError:
            continue
    return found


class TreeSampler(threading.Thread):
    """Samples the RSS of a process and its children until it exits."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        super().__init__(daemon=True)
        self.process = process
        self.peak_total = 0.0
        self.samples: list[tuple[float, dict[int, float]]] = []

    def run(self) -> None:
        start = time.monotonic()
        while self.process.poll() is None:
            workers = {pid: _rss_mb(pid) for pid in _children(self.process.pid)}
            total = _rss_mb(self.process.pid) + sum(workers.values())
            self.peak_total = max(self.peak_total, total)
            self.samples.append((time.monotonic() - start, workers))
            time.sleep(0.2)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_batch(csv_path: Path, outdir: Path, jobs: int) -> tuple[float, float, TreeSampler]:
    """Run ``careplan batch`` in its own process; return (seconds, CPU seconds, samples)."""
    command = [sys.executable, "-m", "careplan", "batch", str(csv_path), "-o", str(outdir)]
    command += ["--jobs", str(jobs), "--date", DATE]
    started, cpu = time.perf_counter(), _children_cpu()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler = TreeSampler(process)
    sampler.start()
    code = process.wait()
    seconds = time.perf_counter() - started
    sampler.join()
    if code != 0:
        with (outdir / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
            failed = [r for r in csv.DictReader(handle) if r["status"] == "failed"]
        reasons = sorted({r["errors"] for r in failed})[:3]
        raise SystemExit(f"careplan batch exited {code}: {len(failed)} rows failed: {reasons}")
    return seconds, _children_cpu() - cpu, sampler


def run_loop(csv_path: Path, folder: Path, count: int) -> tuple[float, float]:
    """Render the first ``count`` rows with one ``careplan render`` process each."""
    rows = list(read_records(csv_path).rows())[:count]
    profiles = []
    for row in rows:
        path = folder / f"{row.raw_id}.yaml"
        path.write_text(yaml.safe_dump(dict(row.values)), encoding="utf-8")
        profiles.append(path)
    started, cpu = time.perf_counter(), _children_cpu()
    for path in profiles:
        command = [sys.executable, "-m", "careplan", "render", str(path)]
        command += ["-o", str(path.with_suffix(".pdf")), "--date", DATE]
        subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def worker_growth(sampler: TreeSampler) -> tuple[float, float]:
    """Return (worker RSS once warm, peak worker RSS), in MB."""
    warm_after = sampler.samples[-1][0] * 0.1
    warm = [max(w.values()) for t, w in sampler.samples if w and t >= warm_after]
    return (warm[0], max(warm)) if warm else (0.0, 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200, help="documents per jobs run; 0 skips")
    parser.add_argument("--loop-docs", type=int, default=40, help="documents for the loop")
    parser.add_argument("--memory-docs", type=int, default=1000, help="0 to skip")
    parser.add_argument("--validate-rows", type=int, default=10000, help="0 to skip")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        rows = synthetic_rows(max(args.docs, args.memory_docs, args.loop_docs))
        csv_path = write_csv(folder / "bench.csv", rows[: args.docs])
        rates, cpu_per_doc = {}, {}
        for jobs in (1, 2) if args.docs else ():
            seconds, cpu, sampler = run_batch(csv_path, folder / f"jobs{jobs}", jobs)
            rates[jobs], cpu_per_doc[jobs] = args.docs / seconds, cpu / args.docs
            print(
                f"batch --jobs {jobs}: {args.docs} docs in {seconds:.1f} s = "
                f"{rates[jobs]:.2f} docs/s; CPU {cpu_per_doc[jobs]:.2f} s/doc; "
                f"peak memory (all processes) {sampler.peak_total:.0f} MB"
            )
        if rates:
            print(f"speed-up jobs 2 / jobs 1: {rates[2] / rates[1]:.2f}x")
        if rates and args.loop_docs:
            loop_folder = folder / "loop"
            loop_folder.mkdir()
            seconds, cpu = run_loop(csv_path, loop_folder, args.loop_docs)
            loop_rate = args.loop_docs / seconds
            print(
                f"one 'careplan render' process per document: {args.loop_docs} docs in "
                f"{seconds:.1f} s = {loop_rate:.2f} docs/s; CPU {cpu / args.loop_docs:.2f} "
                f"s/doc; batch --jobs 2 is {rates[2] / loop_rate:.1f}x faster "
                f"({cpu / args.loop_docs / cpu_per_doc[2]:.1f}x less CPU per document)"
            )
        if args.memory_docs:
            memory_csv = write_csv(folder / "memory.csv", rows[: args.memory_docs])
            seconds, _, sampler = run_batch(memory_csv, folder / "memory", 2)
            warm, peak = worker_growth(sampler)
            print(
                f"memory: {args.memory_docs} docs with --jobs 2 in {seconds:.1f} s "
                f"({args.memory_docs / seconds:.2f} docs/s); worker RSS {warm:.0f} MB when warm, "
                f"peak {peak:.0f} MB (growth {peak - warm:.0f} MB); all processes peak "
                f"{sampler.peak_total:.0f} MB"
            )
        if args.validate_rows:
            big = synthetic_rows(args.validate_rows, seed=11)
            big_csv = write_csv(folder / "validate.csv", big)
            started = time.perf_counter()
            report = validate_input(big_csv)
            seconds = time.perf_counter() - started
            print(
                f"validate: {args.validate_rows} rows in {seconds:.2f} s "
                f"({report.valid} valid, {report.invalid} invalid)"
            )


if __name__ == "__main__":
    main()
