"""The flag worker: a process beside a crawl that flags the versions the crawl stores.

Topic flagging (classifying, threads, alerts: ~3 ms an article) is a third of a crawl's own work, and
a crawl's Scrapy engine runs on one core. The worker takes that work to another core: the crawl only
stores versions; the worker reads the versions without a decision from the database, in the order they
were stored, and flags them. The database is the queue, so nothing is lost when either process stops:
the crawl flags what the worker left when it closes, and a version left even then is flagged by the
next crawl of its outlet.

    TALKWATCH_DATABASE_URL=... python -m crawler.flagworker OUTLET

It polls until a line ``drain`` arrives on its standard input (or the input closes: the crawl is
gone), flags what is left and prints one JSON line: ``{"decided", "flagged", "failed", "peak_rss_mb"}``.
It ignores SIGTERM and SIGINT: they reach the whole process group (systemd, the monitor, Ctrl-C), and
the crawl, closing cleanly on them, sends ``drain`` itself.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import TextIO

from crawler.flagging import FlagTally, flag_backlog, warm_up
from crawler.memory import peak_rss_mb, tune_collector
from storage import Store

log = logging.getLogger(__name__)

# the wait between two looks at the database doubles while there is nothing to flag (a polite live crawl
# stores a version a second or less often), and is short again once there is
POLL_SECONDS, MAX_POLL_SECONDS = 0.02, 1.0
# the worker's CPU priority below the crawl's: its work can wait (the database is its queue), the crawl's
# cannot, and on two busy cores the scheduler would otherwise take turns between them
NICENESS = 10


@dataclass(frozen=True)
class WorkerReport:
    decided: int
    flagged: int
    failed: int
    peak_rss_mb: float


def run(database_url: str, outlet: str, commands: TextIO) -> WorkerReport:
    """Flag the outlet's unflagged versions until ``commands`` says ``drain`` (or closes), then the rest."""
    store = Store(database_url)
    warm_up()
    tune_collector()
    tally = FlagTally()
    draining, wait = False, POLL_SECONDS
    try:
        while True:
            if flag_backlog(store, outlet, tally):
                wait = POLL_SECONDS
                continue
            if draining:
                break
            draining = _drain_requested(commands, wait)
            wait = min(2 * wait, MAX_POLL_SECONDS)
    finally:
        store.dispose()
    return WorkerReport(tally.decided, tally.flagged, tally.failed, round(peak_rss_mb(), 1))


def _drain_requested(commands: TextIO, timeout: float) -> bool:
    readable, _, _ = select.select([commands], [], [], timeout)
    if not readable:
        return False
    line = commands.readline()
    return line == "" or line.strip() == "drain"


class FlagWorker:
    """The crawl's handle on its worker process."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    @classmethod
    def start(cls, database_url: str, outlet: str, log_level: str = "INFO") -> FlagWorker:
        # the parent's import path, so a crawl started from a scrapyd egg finds this package too; the
        # database URL in the environment, not on a command line others can read (it may hold a password)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
               "TALKWATCH_DATABASE_URL": database_url, "TALKWATCH_LOG_LEVEL": log_level}
        process = subprocess.Popen([sys.executable, "-m", "crawler.flagworker", outlet],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        return cls(process)

    def finish(self, timeout: float = 600) -> WorkerReport | None:
        """Ask the worker to flag what is left and stop; its report, or None when it failed."""
        try:
            out, _ = self.process.communicate("drain\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            log.error("the flag worker did not finish within %.0f s: stopped it", timeout)
            return None
        if self.process.returncode != 0:
            log.error("the flag worker exited with code %s", self.process.returncode)
            return None
        try:
            return WorkerReport(**json.loads(out.strip().splitlines()[-1]))
        except (IndexError, ValueError, TypeError):
            log.error("the flag worker's report is unreadable: %r", out[-200:])
            return None


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1 or not os.environ.get("TALKWATCH_DATABASE_URL"):
        print("usage: TALKWATCH_DATABASE_URL=... python -m crawler.flagworker OUTLET", file=sys.stderr)
        return 2
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, signal.SIG_IGN)
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    logging.basicConfig(level=os.environ.get("TALKWATCH_LOG_LEVEL", "INFO"), stream=sys.stderr,
                        format="%(asctime)s [flagworker] %(levelname)s: %(message)s")
    report = run(os.environ["TALKWATCH_DATABASE_URL"], args[0], sys.stdin)
    print(json.dumps(asdict(report)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
