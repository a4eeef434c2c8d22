"""How long the commands a user types most take to answer (prints figures; not a test):
``python -m tests.benchmarks.cli [--runs 7]``. Goal: ``talkwatch --help`` and ``talkwatch status`` on an
empty database under 0.4 s each on an idle machine (medians of whole-process wall times).

Figures: ``help_s`` (``talkwatch --help``); ``status_s`` and ``report_s`` on an empty database at the
newest schema (``talkwatch report --out -``, the markdown view); ``status_new_db_s``: ``status`` on a
database that does not exist yet, which the migrations create first.

The commands run as an installed talkwatch runs: with Python's bytecode cache, warmed by one untimed run
each (``PYTHONDONTWRITEBYTECODE``, set on some machines here, would time compiling the project's sources
on every start instead)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

USER_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _median_seconds(command: list[str], runs: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for run in range(runs + 1):  # run 0 warms the bytecode cache and is not timed
        if before is not None:
            before()
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=USER_ENV)
        if run:
            times.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):  # 1: status with an alarm up
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return statistics.median(times)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.cli")
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default: %(default)s)")
    args = parser.parse_args(argv)
    cli = [sys.executable, "-m", "crawler.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        subprocess.run([*cli, "db", "upgrade", "--db", db], capture_output=True, check=True, timeout=120)
        new_db = Path(tmp) / "new.sqlite3"

        def no_database() -> None:
            for path in new_db.parent.glob(f"{new_db.name}*"):  # the file and its -wal, -shm
                path.unlink()

        figures = {"help_s": _median_seconds([*cli, "--help"], args.runs),
                   "status_s": _median_seconds([*cli, "status", "--db", db], args.runs),
                   "report_s": _median_seconds([*cli, "report", "--db", db, "--out", "-"], args.runs),
                   "status_new_db_s": _median_seconds([*cli, "status", "--db", f"sqlite:///{new_db}"],
                                                      args.runs, before=no_database)}
    for name, value in figures.items():
        print(f"{name}: median {value:.3f} s over {args.runs} runs")
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))
    return figures


if __name__ == "__main__":
    main()
