"""File every URL variant of an article under one stable key and canonical URL."""

from __future__ import annotations

from dataclasses import replace

from scrapy.exceptions import DropItem

from crawler.items import ArticleItem
from crawler.outlets import get_outlet
from crawler.outlets.base import ParsedArticle
from crawler.pipelines.base import StorePipeline


def canonical(article: ParsedArticle) -> ParsedArticle:
    """The article filed under its outlet's stable key and canonical URL. The parser's key stands
    where the URL carries none (English Reuters: the Arc id is in the page)."""
    outlet = get_outlet(article.outlet)
    ref = outlet.canonicalize(article.canonical_url or article.url) or outlet.canonicalize(article.url)
    if ref is None:
        return article
    return replace(article, stable_key=ref.stable_key or article.stable_key, canonical_url=ref.canonical_url)


class CanonicalizePipeline(StorePipeline):
    def process_item(self, item: ArticleItem) -> ArticleItem:
        item.article = canonical(item.article)
        if not item.article.stable_key:
            if item.fetch_id is not None:
                self.store.fetches.update_fetch(item.fetch_id, "rejected", "no stable key")
            raise DropItem(f"no stable key for {item.article.url}", log_level="INFO")
        return item
