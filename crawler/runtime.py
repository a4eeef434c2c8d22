"""The one Store and the one run id a crawl shares between its middlewares, pipelines and extensions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.syndication import TEXT_RULES
from storage import Store
from storage.migrate import require_current_schema


def store_for(crawler: Crawler) -> Store:
    store = getattr(crawler, "_talkwatch_store", None)
    if store is None:
        store = Store(crawler.settings.get("TALKWATCH_DATABASE_URL") or None, rules=TEXT_RULES)
        require_current_schema(store.db.engine)
        crawler._talkwatch_store = store  # type: ignore[attr-defined]
        # close the pool with the crawl (crawls in one process — tests, scrapyd — would leak it otherwise)
        crawler.signals.connect(store.db.dispose, signal=signals.engine_stopped, weak=False)
    return store


def outlet_name(crawler: Crawler) -> str | None:
    spider = crawler.spider
    return getattr(spider, "outlet_name", None) if spider else None


def new_run_id(job: str) -> str:
    # fits Fetch.run_id (40 chars) and sorts by time
    return f"{job.replace(':', '-')[:16]}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def run_id_for(crawler: Crawler) -> str:
    """The run id every fetch-log row of this crawl carries: the monitor's, else one of its own, so a
    crawl started by ``talkwatch crawl`` or ``scrapy crawl`` is judged from its fetch log too."""
    run_id = getattr(crawler, "_talkwatch_run_id", None)
    if run_id is None:
        spider = crawler.spidercls.name if crawler.spidercls else "crawl"
        run_id = crawler.settings.get("TALKWATCH_RUN_ID") or new_run_id(f"crawl:{spider}")
        crawler._talkwatch_run_id = run_id  # type: ignore[attr-defined]
    return str(run_id)
