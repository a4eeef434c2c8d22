"""Store a new version (with its diff and change kind) when the text changed (:func:`crawler.ingest.version`);
drop the page when it did not: "unchanged" (the same text as the latest version, or a revert to one held)
or "trivial" (it differs only in width, spacing or punctuation). Both are counted in the fetch log and in
the crawl stats, and both are a visit for the revisit schedule.

``store.articles.save_version`` also keeps the revisit schedule in step, and the near-duplicate index, the
copy links (syndication) and the jiji 速報 merges.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

from crawler.ingest import version
from crawler.items import ArticleItem
from crawler.pipelines.base import StorePipeline

log = logging.getLogger(__name__)


class VersionPipeline(StorePipeline):
    def process_item(self, item: ArticleItem) -> ArticleItem:
        article = item.article
        # the fetch log row gets the outcome in the version's own transaction
        result = version(self.store, article, snapshot_sha=item.snapshot_sha, fetch_id=item.fetch_id,
                         fingerprint=item.fingerprint)
        if result.status in ("unchanged", "trivial"):
            self.count(result.status)
            raise DropItem(f"{article.key}: text {result.status}", log_level="DEBUG")
        item.article_id, item.version_id = result.article_id, result.version_id
        item.save_status = result.status
        self.count(f"versions/{result.status}")
        log.info("%s version of %s (%s): %s", result.status, article.key, result.change_kind, article.title)
        return item
