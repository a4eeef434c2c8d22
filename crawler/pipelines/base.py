"""What every talkwatch pipeline shares: the crawl's Store (on :class:`crawler.runtime.CrawlRuntime`,
found through Scrapy's ``crawler.get_extension``) and its stats. Each pipeline is a thin wrapper around
one step of :mod:`crawler.ingest`, which re-extraction calls too."""

from __future__ import annotations

from typing import NoReturn, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.runtime import CrawlRuntime, runtime_for
from storage.store import Store


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.runtime: CrawlRuntime = runtime_for(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @property
    def store(self) -> Store:
        return self.runtime.store

    def count(self, stat: str) -> None:
        self.crawler.stats.inc_value(f"talkwatch/{stat}")

    def refuse(self, fetch_id: int | None, reason: str, message: str) -> NoReturn:
        """Record in the fetch log that the page was rejected, and drop the item."""
        if fetch_id is not None:
            self.store.fetches.update_fetch(fetch_id, "rejected", reason)
        self.count("rejected")
        raise DropItem(message, log_level="INFO")
