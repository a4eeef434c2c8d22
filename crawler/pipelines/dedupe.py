"""Drop what is already stored: the same article twice in a run, or text that did not change."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.items import ArticleItem
from crawler.pipelines.base import StorePipeline
from storage.normalize import fingerprint


class DedupePipeline(StorePipeline):
    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        super().__init__(crawler)
        self.seen: set[tuple[str, str]] = set()

    def process_item(self, item: ArticleItem) -> ArticleItem:
        article = item.article
        item.fingerprint = fingerprint(article.title, article.description, article.paragraphs)
        seen_key = (article.key, item.fingerprint)
        if seen_key in self.seen:
            self._drop(item, "duplicate in this crawl")
        self.seen.add(seen_key)
        if self.store.latest_fingerprint(article.key) == item.fingerprint:
            self._drop(item, "text unchanged")
        return item

    def _drop(self, item: ArticleItem, reason: str) -> None:
        if item.fetch_id is not None:
            self.store.update_fetch(item.fetch_id, "unchanged", reason, article_key=item.article.key)
        self.count("unchanged")
        raise DropItem(f"{item.article.key}: {reason}", log_level="DEBUG")
