"""Drop what is already stored: the same article twice in a run, or text that did not change.

"unchanged": the same text as the latest version; "trivial": it differs only in width, spacing or
punctuation (no version either). Both are counted in the fetch log and in the crawl stats, and both
are a visit for the revisit schedule.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.items import ArticleItem
from crawler.pipelines.base import StorePipeline
from storage import ArticleText
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
            self._drop(item, "unchanged", "duplicate in this crawl")
        self.seen.add(seen_key)
        status = self.store.visit_if_unchanged(ArticleText.of(article))
        if status == "unchanged":
            self._drop(item, status, "text unchanged")
        elif status == "trivial":
            self._drop(item, status, "only width, spacing or punctuation changed")
        return item

    def _drop(self, item: ArticleItem, outcome: str, reason: str) -> None:
        if item.fetch_id is not None:
            self.store.update_fetch(item.fetch_id, outcome, reason, article_key=item.article.key)
        self.count(outcome)
        raise DropItem(f"{item.article.key}: {reason}", log_level="DEBUG")
