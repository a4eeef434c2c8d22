"""Drop the same article text met twice in one crawl (a listing and a revisit, two listings).

Text already stored is the version step's to tell (:mod:`crawler.pipelines.version`): ``save_version``
compares with the latest version in the transaction that would store a new one, so a second look
here would only cost every page another transaction.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import ArticleItem
from crawler.pipelines.base import StorePipeline
from storage.normalize import fingerprint


class DedupePipeline(StorePipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[tuple[str, str]] = set()

    def process_item(self, item: ArticleItem) -> ArticleItem:
        article = item.article
        item.fingerprint = fingerprint(article.title, article.description, article.paragraphs)
        seen_key = (article.key, item.fingerprint)
        if seen_key in self.seen:
            if item.fetch_id is not None:
                self.store.fetches.update_fetch(item.fetch_id, "unchanged", "duplicate in this crawl",
                                                article_key=article.key)
            self.count("unchanged")
            raise DropItem(f"{article.key}: duplicate in this crawl", log_level="DEBUG")
        self.seen.add(seen_key)
        return item
