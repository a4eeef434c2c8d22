"""Let through only articles with a title, a date and a body (:func:`crawler.ingest.validate`); record
why others stop, and how each page's fields were found."""

from __future__ import annotations

from crawler.ingest import validate
from crawler.items import ArticleItem, RejectedPage
from crawler.outlets.base import field_paths
from crawler.pipelines.base import StorePipeline


class ValidatePipeline(StorePipeline):
    def process_item(self, item: ArticleItem | RejectedPage) -> ArticleItem:
        fields = item.fields if isinstance(item, RejectedPage) else field_paths(item.article.sources)
        if item.fetch_id is not None and fields is not None:
            self.store.fetches.record_fields(item.fetch_id, fields)  # crawl health's field coverage
        if isinstance(item, RejectedPage):
            self.refuse(item.fetch_id, item.reason, f"not stored: {item.url}: {item.reason}")
        reason = validate(item.article)
        if reason:
            self.refuse(item.fetch_id, reason, f"not stored: {item.article.url}: {reason}")
        return item
