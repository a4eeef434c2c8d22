"""Crawl-wide extensions: the cycle collector's set-up, and the crawl's stats in a JSON file (so the
process that started the crawl can read them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.memory import peak_rss_mb, tune_collector


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

    def spider_closed(self, spider, reason: str) -> None:  # type: ignore[no-untyped-def]
        stats = {key: value for key, value in (self.crawler.stats.get_stats() or {}).items()}
        stats["finish_reason"] = reason
        stats["talkwatch/peak_rss_mb"] = round(peak_rss_mb(), 1)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(stats, default=str, indent=1), encoding="utf-8")


class CollectorTuning:
    """:func:`crawler.memory.tune_collector` when the spider opens: everything made at start-up is alive."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self) -> None:
        tune_collector()
