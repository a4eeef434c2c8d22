"""File every URL variant of an article under one stable key and canonical URL
(:func:`crawler.ingest.canonicalize`)."""

from __future__ import annotations

from crawler.ingest import NO_STABLE_KEY, canonicalize
from crawler.items import ArticleItem
from crawler.pipelines.base import StorePipeline


class CanonicalizePipeline(StorePipeline):
    def process_item(self, item: ArticleItem) -> ArticleItem:
        item.article = canonicalize(item.article)
        if not item.article.stable_key:
            self.refuse(item.fetch_id, NO_STABLE_KEY, f"{NO_STABLE_KEY} for {item.article.url}")
        return item
