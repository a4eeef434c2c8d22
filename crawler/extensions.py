"""Crawl-wide extensions: the outlet's crawl lock held by the crawl itself, the run's outcome judged from
its fetch log, a crawl that stops with its parent, and the crawl's stats in a JSON file (so the process
that started the crawl can read them)."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import resource
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawler.crawllock import reactor, with_retries
from crawler.errors import ENVIRONMENT_ERRORS, describe_error
from crawler.middlewares.fetchlog import STORAGE_ERRORS
from crawler.runtime import run_id_for, store_for
from storage.health import RunHealth, run_health
from storage.migrate import SchemaOutOfDate

log = logging.getLogger(__name__)


def parent_gone() -> bool:
    """The process that started this crawl (``TALKWATCH_PARENT_PID``: a monitor, ``talkwatch crawl``)
    is no longer its parent: it died."""
    parent = os.environ.get("TALKWATCH_PARENT_PID")
    return parent is not None and parent.isdigit() and os.getppid() != int(parent)


class RunLog:
    """Every crawl, however started (``talkwatch crawl``, ``scrapy crawl``, the monitor, scrapyd), ends
    with an outcome read from its own fetch log: ok, quiet, degraded or failed, with counts by kind.

    A crawl the monitor did not start records itself in the run log, so ``talkwatch status`` and the
    report's health table see it. A write the crawl could not make (a full disk, a lost database) is
    counted as a storage error and fails the run. (The outlet's lock is taken before, by
    :class:`crawler.runtime.CrawlRuntime`.) The run's record is kept true: its start and end are
    written again after a short wait when the database was out of reach, and a crawl whose monitor died
    (an orphan, stopped by :class:`StopWithParent`) records its own end, ``interrupted``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.own_run = False
        self.unrecorded_start = False  # the run could not be recorded at the start: record it at the end
        self.started_at = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        run_id = run_id_for(self.crawler)
        try:
            store = store_for(self.crawler)
            if not store.runs.exists(run_id):  # the monitor records the runs it starts itself
                self.own_run = True
                store.runs.start(run_id, f"crawl:{spider.name}", getattr(spider, "outlet_name", spider.name),
                          started_at=self.started_at)
        except ENVIRONMENT_ERRORS as exc:
            self.unrecorded_start = True  # _record looks again whether the run has a row
            self.storage_error(exc)
        except SchemaOutOfDate as exc:  # a crawl never migrates: it stops, and says what to run
            log.error("%s", exc)
            self.crawler.stats.inc_value(STORAGE_ERRORS)
            if self.crawler.engine is not None:
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="old schema"))

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        if isinstance(failure.value, ENVIRONMENT_ERRORS):
            self.storage_error(failure.value)

    def storage_error(self, exc: BaseException) -> None:
        log.error("storage error: %s", describe_error(exc))
        self.crawler.stats.inc_value(STORAGE_ERRORS)

    def spider_closed(self, spider: Any, reason: str) -> None:
        storage_errors = int(self.crawler.stats.get_value(STORAGE_ERRORS, 0) or 0)
        run_id = run_id_for(self.crawler)
        try:
            health = run_health(store_for(self.crawler).fetches, run_id, storage_errors)
        except SchemaOutOfDate:
            failed = storage_errors or 1
            health = RunHealth(storage_errors=failed, error_causes={"storage": failed})
        except ENVIRONMENT_ERRORS as exc:
            self.storage_error(exc)
            failed = storage_errors + 1
            health = RunHealth(storage_errors=failed, error_causes={"storage": failed})
        outcome = health.outcome
        self.crawler.stats.set_value("talkwatch/run_id", run_id)
        self.crawler.stats.set_value("talkwatch/outcome", outcome)
        self.crawler.stats.set_value("talkwatch/health", health.to_dict())
        log.info("%s: %s — %s", spider.name, outcome, health.counts_line())
        orphan = parent_gone()  # its monitor died: nobody else will say how this run ended
        if self.own_run or self.unrecorded_start or orphan:
            recorded = "interrupted" if reason == "shutdown" or orphan else outcome
            message = "its monitor died; the crawl stopped by itself" if orphan else None
            try:
                with_retries(lambda: self._record(spider, run_id, recorded, health, message),
                             "the run could not be recorded")
            except ENVIRONMENT_ERRORS as exc:
                log.error("the run could not be recorded: %s", describe_error(exc))

    def _record(self, spider: Any, run_id: str, outcome: str, health: RunHealth, message: str | None) -> None:
        store = store_for(self.crawler)
        if not store.runs.exists(run_id):
            store.runs.start(run_id, f"crawl:{spider.name}", getattr(spider, "outlet_name", spider.name),
                      started_at=self.started_at)
        stats = recorded_stats(self.crawler.stats.get_stats() or {})
        store.runs.finish(run_id, outcome, None, stats, health.to_dict(), message)


# what a run record keeps of a crawl's stats, whoever records it (the crawl itself, or its monitor)
_KEPT_STATS = ("finish_reason", "item_scraped_count", "item_dropped_count", "log_count/ERROR",
               "elapsed_time_seconds")


def recorded_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """talkwatch's own counters (versions new and changed, flagged...) and a few of Scrapy's."""
    return {k: v for k, v in stats.items() if k.startswith("talkwatch/") or k in _KEPT_STATS}


class StopWithParent:
    """A crawl started by talkwatch (``TALKWATCH_PARENT_PID``) stops cleanly when that process dies: the
    kernel sends the parent-death signal (``PR_SET_PDEATHSIG``), and the crawl closes as on a first
    SIGTERM (Scrapy's graceful shutdown: what it fetched is stored, its run says ``interrupted``). A
    monitor killed with kill -9 then leaves no orphan crawl storing articles beside the next monitor's
    (Linux only).

    Not SIGTERM itself: the kernel sends the signal again each time the orphan is handed to another
    thread of the dying process and then to its new parent, and a second SIGTERM makes Scrapy stop at
    once, uncleanly. A signal of our own, acted on once, lets the crawl finish its close."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        parent = os.environ.get("TALKWATCH_PARENT_PID")
        if not parent or not sys.platform.startswith("linux"):
            raise NotConfigured
        extension = cls(crawler)
        signal.signal(_PARENT_DEATH_SIGNAL, extension.parent_died)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, _PARENT_DEATH_SIGNAL)
        if parent_gone():  # the parent died before we asked
            extension.parent_died(_PARENT_DEATH_SIGNAL, None)
        return extension

    def parent_died(self, _signum: int, _frame: Any) -> None:
        if self.stopping:
            return
        self.stopping = True
        reactor().callFromThread(self._stop)

    def _stop(self) -> None:
        engine = self.crawler.engine
        if engine is None or not engine.running:  # not started yet: stop as soon as it has
            reactor().callLater(0.2, self._stop)
            return
        log.warning("the process that started this crawl died: closing the crawl cleanly")
        deferred_from_coro(self.crawler.stop_async())


_PARENT_DEATH_SIGNAL = signal.SIGUSR2
_PR_SET_PDEATHSIG = 1


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (``VmHWM``; ``ru_maxrss`` of a process started by fork
    and exec counts the parent's memory at the fork too)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class StatsFile:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("TALKWATCH_STATS_FILE")
        if not path:
            raise NotConfigured
        extension = cls(crawler, Path(path))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = {key: value for key, value in (self.crawler.stats.get_stats() or {}).items()}
        stats["finish_reason"] = reason
        stats["talkwatch/peak_rss_mb"] = round(peak_rss_mb(), 1)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(stats, default=str, indent=1), encoding="utf-8")
