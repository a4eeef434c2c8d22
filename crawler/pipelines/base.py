"""What every talkwatch pipeline shares: the crawl's Store."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler

from crawler.runtime import store_for
from storage import Store


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @property
    def store(self) -> Store:
        return store_for(self.crawler)

    def count(self, stat: str) -> None:
        self.crawler.stats.inc_value(f"talkwatch/{stat}")
