"""The benchmark's baseline: a do-nothing Scrapy spider fetching the same pages from the same mirror,
with the same concurrency as a talkwatch crawl of the mirror.

``python -m tests.benchmarks.baseline URLS_FILE MIRROR_URL STATS_FILE``
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response


class Baseline(scrapy.Spider):
    name = "baseline"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: Response) -> None:
        return None


def main(urls_file: str, mirror_url: str, stats_file: str) -> None:
    urls = Path(urls_file).read_text("utf-8").split()
    process = CrawlerProcess({
        "DOWNLOAD_HANDLERS": {"http": "crawler.mirror.handler.MirrorDownloadHandler",
                              "https": "crawler.mirror.handler.MirrorDownloadHandler"},
        "TALKWATCH_MIRROR_URL": mirror_url,
        # what crawler/settings.py uses against the mirror
        "CONCURRENT_REQUESTS": 8, "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False, "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "WARNING",
    })
    crawler = process.create_crawler(Baseline)
    process.crawl(crawler, urls=urls)
    process.start()
    Path(stats_file).write_text(json.dumps(crawler.stats.get_stats(), default=str), "utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
