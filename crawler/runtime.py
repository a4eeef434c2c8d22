"""The one Store and the one run id a crawl shares between its middlewares, pipelines and extensions.

They live on an extension, :class:`CrawlRuntime` (``EXTENSIONS`` in ``crawler/settings.py``), and every
component finds it through Scrapy's own ``crawler.get_extension``: the extension manager is built before
the engine, so a middleware or pipeline can ask for it from ``from_crawler`` on. The outlet's crawl lock,
named after the run, is taken by the runtime itself while it is built (no extension can look another
up before all exist).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.crawllock import CrawlLock
from crawler.syndication import TEXT_RULES
from storage.migrate import require_current_schema
from storage.store import Store


def new_run_id(job: str) -> str:
    # fits Fetch.run_id (40 chars) and sorts by time
    return f"{job.replace(':', '-')[:16]}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


class CrawlRuntime:
    """The crawl's Store (opened on first use, on a current schema; closed when the engine stops) and
    its run id: the monitor's (``TALKWATCH_RUN_ID``), else one of its own, so a crawl started by
    ``talkwatch crawl`` or ``scrapy crawl`` is judged from its fetch log too."""

    def __init__(self, database_url: str | None, run_id: str) -> None:
        self.database_url = database_url
        self.run_id = run_id
        self._store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        spider = getattr(crawler.spidercls, "name", None) or "crawl"  # a bare scrapy.Spider has no name
        runtime = cls(crawler.settings.get("TALKWATCH_DATABASE_URL") or None,
                      str(crawler.settings.get("TALKWATCH_RUN_ID") or new_run_id(f"crawl:{spider}")))
        if getattr(crawler.spidercls, "name", None):  # (a bare Spider in a test has no outlet to lock)
            # the outlet's lock first, under this crawl's run id: a crawl that may not run stores nothing
            CrawlLock.take_for(crawler, runtime.run_id)
        # close the pool with the crawl (crawls in one process — tests, scrapyd — would leak it otherwise)
        crawler.signals.connect(runtime.close, signal=signals.engine_stopped)
        return runtime

    @property
    def store(self) -> Store:
        if self._store is None:
            store = Store(self.database_url, rules=TEXT_RULES)
            try:
                # a crawl never migrates: SchemaOutOfDate says what to run
                require_current_schema(store.db.engine)
            except BaseException:
                store.db.dispose()
                raise
            self._store = store
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.db.dispose()
            self._store = None


def runtime_for(crawler: Crawler) -> CrawlRuntime:
    runtime = crawler.get_extension(CrawlRuntime)
    if runtime is None:
        raise RuntimeError("crawler.runtime.CrawlRuntime is not enabled: add it to the EXTENSIONS setting")
    return runtime


def store_for(crawler: Crawler) -> Store:
    return runtime_for(crawler).store


def run_id_for(crawler: Crawler) -> str:
    return runtime_for(crawler).run_id


def outlet_name(crawler: Crawler) -> str | None:
    spider = crawler.spider
    return getattr(spider, "outlet_name", None) if spider else None
