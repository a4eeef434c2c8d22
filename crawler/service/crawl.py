"""Run one outlet's crawl in its own process (Twisted's reactor cannot be restarted in-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.outlets import get_outlet
from storage.health import RunHealth


@dataclass
class CrawlResult:
    outlet: str
    returncode: int
    stats: dict[str, Any] = field(default_factory=dict)
    timed_out: bool = False
    log_tail: str = ""

    @property
    def ok(self) -> bool:
        """The crawl process ran to its end (whether it fetched anything is :attr:`outcome`)."""
        return self.returncode == 0 and not self.timed_out

    @property
    def locked_by(self) -> str | None:
        """The holder of the outlet's crawl lock when this crawl did not start because another crawl of
        the outlet was running (``crawler.crawllock.CrawlLock``)."""
        holder = self.stats.get("talkwatch/locked_by")
        return str(holder) if holder else None

    @property
    def outcome(self) -> str:
        """ok, quiet, degraded or failed, as the crawl judged itself from its fetch log; ``locked`` when
        it did not start because another crawl of the outlet runs."""
        if self.locked_by:
            return "locked"
        if not self.ok:
            return "failed"
        return str(self.stats.get("talkwatch/outcome") or "failed")

    @property
    def health(self) -> RunHealth:
        return RunHealth.from_dict(self.stats.get("talkwatch/health"))

    def stat(self, name: str) -> int:
        return int(self.stats.get(f"talkwatch/{name}", 0) or 0)

    def summary(self) -> str:
        return f"{self.health.counts_line()}, {self.stat('flagged')} flagged"


def run_crawl(outlet: str, database_url: str, mirror_url: str | None = None, timeout: float = 1800,
              settings: dict[str, str] | None = None, spider_args: dict[str, str] | None = None,
              run_id: str | None = None) -> CrawlResult:
    get_outlet(outlet)  # an unknown outlet fails here, with the list of known ones
    with tempfile.TemporaryDirectory(prefix="talkwatch-crawl-") as tmp:
        stats_file = Path(tmp) / "stats.json"
        command = [sys.executable, "-m", "scrapy", "crawl", outlet,
                   "-s", f"TALKWATCH_STATS_FILE={stats_file}"]
        for key, value in (settings or {}).items():
            command += ["-s", f"{key}={value}"]
        for key, value in (spider_args or {}).items():
            command += ["-a", f"{key}={value}"]
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings",
               "TALKWATCH_DATABASE_URL": database_url}
        if mirror_url:
            env["TALKWATCH_MIRROR_URL"] = mirror_url
        if run_id:
            env["TALKWATCH_RUN_ID"] = run_id
        env["TALKWATCH_PARENT_PID"] = str(os.getpid())  # crawler.extensions.StopWithParent
        # the crawl's log goes to a file, not a pipe: a crawl whose monitor died must still be able to
        # log while it stops (writing to a pipe nobody reads any more would break it off mid-way)
        log_path = Path(tmp) / "crawl.log"
        try:
            with log_path.open("wb") as log_file:
                done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
                                      stderr=subprocess.STDOUT, timeout=timeout,
                                      cwd=Path(__file__).resolve().parents[2])
        except subprocess.TimeoutExpired:
            return CrawlResult(outlet, -1, timed_out=True, log_tail=_tail(log_path, 2000))
        stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else {}
        return CrawlResult(outlet, done.returncode, stats, log_tail=_tail(log_path, 4000))


def _tail(path: Path, chars: int) -> str:
    """The end of a crawl's log (it can be many megabytes after a long crawl)."""
    try:
        with path.open("rb") as log_file:
            log_file.seek(max(path.stat().st_size - 4 * chars, 0))
            return log_file.read().decode("utf-8", errors="replace")[-chars:]
    except OSError:
        return ""
