"""How long the commands a user types most take to answer (prints figures; not a test):
``python -m tests.benchmarks.cli [--runs 7]``. Goal: ``talkwatch --help`` and ``talkwatch status``
under 0.4 s each on an idle machine (medians of whole-process wall times)."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, timeout=120)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.cli")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    cli = [sys.executable, "-m", "crawler.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        subprocess.run([*cli, "db", "upgrade", "--db", db], capture_output=True, check=True, timeout=120)
        figures = {"help_s": _median_seconds([*cli, "--help"], args.runs),
                   "status_s": _median_seconds([*cli, "status", "--db", db], args.runs)}
    for name, value in figures.items():
        print(f"{name}: median {value:.3f} s over {args.runs} runs")
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))
    return figures


if __name__ == "__main__":
    main()
