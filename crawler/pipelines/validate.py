"""Let through only articles with a title, a date and a body; record why others stop, and how each
page's fields were found."""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

from crawler.items import ArticleItem, RejectedPage
from crawler.outlets.base import ParsedArticle, field_paths
from crawler.pipelines.base import StorePipeline

log = logging.getLogger(__name__)


def missing_fields(article: ParsedArticle) -> list[str]:
    """What an article lacks to be stored as a version."""
    return [name for name, value in (("title", article.title), ("published", article.published),
                                     ("body", "".join(article.paragraphs).strip())) if not value]


class ValidatePipeline(StorePipeline):
    def process_item(self, item: ArticleItem | RejectedPage) -> ArticleItem:
        fields = item.fields if isinstance(item, RejectedPage) else field_paths(item.article.sources)
        if item.fetch_id is not None and fields is not None:
            self.store.fetches.record_fields(item.fetch_id, fields)  # crawl health's field coverage
        if isinstance(item, RejectedPage):
            self.reject(item.fetch_id, item.url, item.reason)
        article = item.article
        missing = missing_fields(article)
        if missing:
            self.reject(item.fetch_id, article.url, f"empty {', '.join(missing)}")
        return item

    def reject(self, fetch_id: int | None, url: str, reason: str) -> None:
        if fetch_id is not None:
            self.store.fetches.update_fetch(fetch_id, "rejected", reason)
        self.count("rejected")
        raise DropItem(f"not stored: {url}: {reason}", log_level="INFO")
