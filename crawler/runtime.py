"""The one Store a crawl shares between its middlewares and pipelines."""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler

from storage import Store
from storage.migrate import ensure_schema


def store_for(crawler: Crawler) -> Store:
    store = getattr(crawler, "_talkwatch_store", None)
    if store is None:
        store = Store(crawler.settings.get("TALKWATCH_DATABASE_URL") or None)
        ensure_schema(store)
        crawler._talkwatch_store = store  # type: ignore[attr-defined]
        # close the pool with the crawl (crawls in one process — tests, scrapyd — would leak it otherwise)
        crawler.signals.connect(store.dispose, signal=signals.engine_stopped, weak=False)
    return store


def outlet_name(crawler: Crawler) -> str | None:
    spider = crawler.spider
    return getattr(spider, "outlet_name", None) if spider else None
