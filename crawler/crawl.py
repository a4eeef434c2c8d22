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


@dataclass
class CrawlResult:
    outlet: str
    returncode: int
    stats: dict[str, Any] = field(default_factory=dict)
    timed_out: bool = False
    log_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def stat(self, name: str) -> int:
        return int(self.stats.get(f"talkwatch/{name}", 0) or 0)

    def summary(self) -> str:
        pages = sum(int(v) for k, v in self.stats.items() if k.startswith("talkwatch/fetch/"))
        return (f"{pages} responses, {self.stat('versions/new')} new articles, "
                f"{self.stat('versions/changed')} changed, {self.stat('unchanged')} unchanged, "
                f"{self.stat('fetch/not_modified')} not modified (304), {self.stat('flagged')} flagged, "
                f"{self.stat('fetch/blocked')} blocked, {self.stat('rejected')} rejected")


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
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                                  cwd=Path(__file__).resolve().parents[1])
        except subprocess.TimeoutExpired as exc:
            tail = (exc.stderr or b"")[-2000:]
            return CrawlResult(outlet, -1, timed_out=True,
                               log_tail=tail.decode(errors="replace") if isinstance(tail, bytes) else tail)
        stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else {}
        return CrawlResult(outlet, done.returncode, stats, log_tail=done.stderr[-4000:])
