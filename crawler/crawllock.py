"""The outlet's crawl lock, held by the crawl process itself (see :class:`CrawlLock`), and the small
helpers the crawl's extensions share: retrying a database write through a short outage, and reaching
the running reactor from another thread."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from crawler.errors import ENVIRONMENT_ERRORS, describe_error
from storage import lease
from storage.migrate import SchemaOutOfDate, require_current_schema
from storage.store import Store

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


def reactor() -> Any:
    """The installed Twisted reactor (typed by zope interfaces, which mypy cannot read)."""
    from twisted.internet import reactor

    return reactor


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

    def __init__(self, crawler: Crawler, outlet: str, ttl: float, run_id: str) -> None:
        self.crawler = crawler
        self.name = lease.crawl_lease(outlet)
        self.ttl = timedelta(seconds=ttl)
        self.holder = lease.crawl_holder(run_id)
        self.store = Store(crawler.settings.get("TALKWATCH_DATABASE_URL") or None)
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    @classmethod
    def take_for(cls, crawler: Crawler, run_id: str) -> CrawlLock:
        """Take the lock of the crawler's outlet (raises :class:`CrawlLocked` when another crawl holds
        it), released when the engine stops. Called while the crawl's components are built, so a crawl
        that may not run records nothing and stores nothing."""
        spider = crawler.spider
        outlet = getattr(spider, "outlet_name", None) or getattr(spider, "name", None) or "crawl"
        lock = cls(crawler, outlet, crawler.settings.getfloat("TALKWATCH_CRAWL_LOCK_SECONDS", 30), run_id)
        lock.take()
        crawler.signals.connect(lock.engine_stopped, signal=signals.engine_stopped)
        return lock

    def take(self) -> None:
        try:
            # a new database gets its schema here; an old one is not locked: RunLog stops the crawl
            with_retries(lambda: require_current_schema(self.store.db.engine),
                         "the database could not be opened")
            taken = with_retries(lambda: self.store.leases.acquire(self.name, self.holder, self.ttl),
                                 f"the {self.name} lock could not be taken")
        except SchemaOutOfDate:
            self.store.db.dispose()
            return
        except ENVIRONMENT_ERRORS:
            self.store.db.dispose()
            raise
        if not taken:
            held = self.store.leases.current(self.name)
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
                kept = self.store.leases.acquire(self.name, self.holder, self.ttl)
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
            reactor().callFromThread(
                lambda: deferred_from_coro(engine.close_spider_async(reason="lock lost")))

    def engine_stopped(self) -> None:
        self.stop.set()
        if self.thread is None:  # never taken (an old schema)
            return
        self.thread.join(timeout=5)
        try:
            with_retries(lambda: self.store.leases.release(self.name, self.holder),
                         f"the {self.name} lock could not be released", attempts=3)
        except ENVIRONMENT_ERRORS as exc:
            log.warning("the %s lock was not released (%s): it runs out in %.0f s", self.name,
                        describe_error(exc), self.ttl.total_seconds())
        finally:
            self.store.db.dispose()
