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
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawler.errors import ENVIRONMENT_ERRORS, describe_error
from crawler.middlewares.fetchlog import STORAGE_ERRORS
from crawler.runtime import run_id_for, store_for
from storage import Store, lease
from storage.health import RunHealth, run_health
from storage.migrate import SchemaOutOfDate, require_current_schema

log = logging.getLogger(__name__)


def with_retries(action: Callable[[], Any], what: str, attempts: int = 5, wait: float = 0.5) -> Any:
    """``action()``, tried again with a doubling wait (0.5 s … 4 s, about 7 s in all) while the database
    is out of reach: a short outage or a held lock must not leave a run's record untrue."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except ENVIRONMENT_ERRORS as exc:
            if attempt == attempts:
                raise
            log.warning("%s: %s; trying again in %.1f s", what, describe_error(exc), wait)
            time.sleep(wait)
            wait *= 2
    return None


def parent_gone() -> bool:
    """The process that started this crawl (``TALKWATCH_PARENT_PID``: a monitor, ``talkwatch crawl``)
    is no longer its parent: it died."""
    parent = os.environ.get("TALKWATCH_PARENT_PID")
    return parent is not None and parent.isdigit() and os.getppid() != int(parent)


def _reactor() -> Any:
    """The installed Twisted reactor (typed by zope interfaces, which mypy cannot read)."""
    from twisted.internet import reactor

    return reactor


class RunLog:
    """Every crawl, however started (``talkwatch crawl``, ``scrapy crawl``, the monitor, scrapyd), ends
    with an outcome read from its own fetch log: ok, quiet, degraded or failed, with counts by kind.

    A crawl the monitor did not start records itself in the run log, so ``talkwatch status`` and the
    report's health table see it. A write the crawl could not make (a full disk, a lost database) is
    counted as a storage error and fails the run. It takes the outlet's :class:`CrawlLock` before
    anything else. The run's record is kept true: its start and end are
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
        # the outlet's lock first: a crawl that may not run records nothing and stores nothing
        if getattr(crawler.spidercls, "name", None):  # (a bare Spider in a test has no outlet to lock)
            CrawlLock.from_crawler(crawler)
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
            health = run_health(store_for(self.crawler), run_id, storage_errors)
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
        store.runs.finish(run_id, outcome, None, {}, health.to_dict(), message)


class CrawlLocked(RuntimeError):
    """Another live crawl of the outlet holds its lock: this crawl does not start."""


class CrawlLock:
    """The outlet's crawl lock, held by the crawl process itself: the lease ``crawl:<outlet>``
    (:mod:`storage.lease`) taken before anything is fetched or stored, renewed by a heartbeat thread
    every third of ``TALKWATCH_CRAWL_LOCK_SECONDS`` (30 s) and released when the crawl ends.

    One mechanism on SQLite and PostgreSQL. However the crawl was started, a second crawl of the same
    outlet refuses to start while the first lives, also when the first is an orphan whose monitor died;
    a crawl killed with ``kill -9`` frees its outlet at once on its host (its pid is dead), else after
    the lease time. A refused crawl logs who holds the lock and exits with status 1 (and, when asked for
    a stats file, leaves ``talkwatch/locked_by`` in it for the process that started it)."""

    def __init__(self, crawler: Crawler, outlet: str, ttl: float) -> None:
        self.crawler = crawler
        self.name = lease.crawl_lease(outlet)
        self.ttl = timedelta(seconds=ttl)
        self.holder = lease.crawl_holder(run_id_for(crawler))
        self.store = Store(crawler.settings.get("TALKWATCH_DATABASE_URL") or None)
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        spider = crawler.spider
        outlet = getattr(spider, "outlet_name", None) or getattr(spider, "name", None) or "crawl"
        extension = cls(crawler, outlet, crawler.settings.getfloat("TALKWATCH_CRAWL_LOCK_SECONDS", 30))
        extension.take()
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def take(self) -> None:
        try:
            # a new database gets its schema here; an old one is not locked: RunLog stops the crawl
            with_retries(lambda: require_current_schema(self.store.db.engine),
                         "the database could not be opened")
            taken = with_retries(lambda: lease.acquire(self.store, self.name, self.holder, self.ttl),
                                 f"the {self.name} lock could not be taken")
        except SchemaOutOfDate:
            self.store.db.dispose()
            return
        except ENVIRONMENT_ERRORS:
            self.store.db.dispose()
            raise
        if not taken:
            held = lease.current(self.store, self.name)
            self.store.db.dispose()
            who = held.holder if held else "another crawl"
            message = (f"another crawl of {self.name.removeprefix(lease.CRAWL_PREFIX)} is running ({who}"
                       + (f", lock renewed until {held.expires_at:%Y-%m-%d %H:%M:%S} UTC" if held else "")
                       + "); not starting a second one")
            log.error("%s", message)
            self._tell_parent(who, message)
            raise CrawlLocked(message)
        self.thread = threading.Thread(target=self._heartbeat, name="crawl-lock", daemon=True)
        self.thread.start()

    def _tell_parent(self, holder: str, message: str) -> None:
        path = self.crawler.settings.get("TALKWATCH_STATS_FILE")
        if path:
            Path(path).write_text(json.dumps({"talkwatch/locked_by": holder, "talkwatch/outcome": "locked",
                                              "talkwatch/message": message}), encoding="utf-8")

    def _heartbeat(self) -> None:
        while not self.stop.wait(self.ttl.total_seconds() / 3):
            try:
                kept = lease.acquire(self.store, self.name, self.holder, self.ttl)
            except ENVIRONMENT_ERRORS as exc:  # try again at the next beat, well before the lease ends
                log.warning("could not renew the %s lock: %s", self.name, describe_error(exc))
                continue
            if not kept and not self.stop.is_set():
                log.error("the %s lock was taken over (this crawl stalled past its lease): stopping",
                          self.name)
                self._close_spider()
                return

    def _close_spider(self) -> None:
        engine = self.crawler.engine
        if engine is not None:
            _reactor().callFromThread(
                lambda: deferred_from_coro(engine.close_spider_async(reason="lock lost")))

    def engine_stopped(self) -> None:
        self.stop.set()
        if self.thread is None:  # never taken (an old schema)
            return
        self.thread.join(timeout=5)
        try:
            with_retries(lambda: lease.release(self.store, self.name, self.holder),
                         f"the {self.name} lock could not be released", attempts=3)
        except ENVIRONMENT_ERRORS as exc:
            log.warning("the %s lock was not released (%s): it runs out in %.0f s", self.name,
                        describe_error(exc), self.ttl.total_seconds())
        finally:
            self.store.db.dispose()


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
        _reactor().callFromThread(self._stop)

    def _stop(self) -> None:
        engine = self.crawler.engine
        if engine is None or not engine.running:  # not started yet: stop as soon as it has
            _reactor().callLater(0.2, self._stop)
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
