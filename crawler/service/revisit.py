"""Revisits: fetch recently published articles again on the decaying schedule kept in the database
(``articles.next_visit_at``, see :mod:`storage.schedule`), to catch edits without re-discovering them.

- a crawl with ``-a revisit=1`` (or the setting ``TALKWATCH_REVISIT=1``) also requests its outlet's due
  articles; ``revisit=only`` requests nothing else;
- :func:`outlets_due` says which outlets have due articles; the monitor's revisit job
  (``crawler.service.scheduler.revisit_job``) runs one recorded ``revisit=only`` crawl for each, and
  :func:`run_revisits` does the same without the monitor (scripts, tests).

The schedule is configurable with ``TALKWATCH_REVISIT_SCHEDULE`` (e.g. ``3h:15m,1d:1h,30d:1d``); the
setting ``TALKWATCH_NOW`` (ISO 8601) pins "now" for tests and benchmarks.
"""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.crawler import Crawler

from crawler.runtime import store_for
from crawler.service.crawl import CrawlResult, run_crawl
from storage.articles import DueVisit
from storage.migrate import require_current_schema
from storage.schedule import as_utc
from storage.store import Store

OFF = {"", "0", "false", "no", "off"}


def revisit_mode(argument: str | None, setting: str | None = None) -> str | None:
    """None (no revisits), "also" (due articles plus discovery) or "only" (due articles alone)."""
    value = (argument if argument is not None else setting or "").strip().lower()
    if value in OFF:
        return None
    return "only" if value == "only" else "also"


def pinned_now(value: str | None) -> datetime | None:
    return as_utc(datetime.fromisoformat(value)) if value else None


def claim_due(crawler: Crawler, outlet: str) -> list[DueVisit]:
    """The outlet's due articles, claimed for this crawl (their next visit moves along the schedule)."""
    settings = crawler.settings
    return store_for(crawler).articles.claim_due(outlet,
                                                 limit=settings.getint("TALKWATCH_REVISIT_LIMIT", 500),
                                                 now=pinned_now(settings.get("TALKWATCH_NOW")))


def pending_due(crawler: Crawler, outlet: str) -> list[str]:
    """URLs of the outlet's pending articles (last try not stored) whose backoff has passed: asked for
    again whatever their listing answers, so a failure never loses an article for good."""
    now = pinned_now(crawler.settings.get("TALKWATCH_NOW")) or datetime.now(UTC)
    return [p.url for p in store_for(crawler).fetches.pending_articles(outlet) if p.next_try <= now]


def outlets_due(store: Store, now: datetime | None = None,
                outlets: list[str] | None = None) -> dict[str, int]:
    """Outlets (of ``outlets``) with articles due for a revisit, and how many, in name order."""
    due = store.articles.due_counts(now)
    return {name: count for name, count in sorted(due.items())
            if count and (outlets is None or name in outlets)}


def run_revisits(database_url: str, mirror_url: str | None = None, now: datetime | None = None,
                 outlets: list[str] | None = None, timeout: float = 1800) -> list[CrawlResult]:
    """Run a revisit-only crawl of every outlet (of ``outlets``) that has due articles."""
    store = Store(database_url)
    try:
        require_current_schema(store.db.engine)
        due = outlets_due(store, now, outlets)
    finally:
        store.db.dispose()
    settings = {"TALKWATCH_NOW": now.isoformat()} if now else {}
    return [run_crawl(outlet, database_url, mirror_url=mirror_url, timeout=timeout, settings=settings,
                      spider_args={"revisit": "only"})
            for outlet in due]
