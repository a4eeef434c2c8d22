"""Flag US–Japan ministerial talks, file the article into its event thread, raise alerts.

Classifying runs in the crawl's own thread (~1–3 ms an article once the vocabulary's patterns are built);
the patterns are built when the crawl opens, so the first page does not wait for them.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from crawler.items import ArticleItem
from crawler.pipelines.base import StorePipeline
from crawler.topics.classifier import classify
from crawler.topics.threads import assign_thread

log = logging.getLogger(__name__)

# labels whose edits an analyst wants to hear about
TRACKED_LABELS = {"ministerial", "related"}


class FlagPipeline(StorePipeline):
    def open_spider(self) -> None:
        classify("日米外相会談", "", published=None)  # loads the vocabulary and compiles its patterns once

    def process_item(self, item: ArticleItem) -> ArticleItem:
        article = item.article
        assert item.article_id is not None and item.version_id is not None  # set by VersionPipeline
        text = "\n".join(part for part in (article.description, article.body) if part)
        decision = classify(article.title, text, published=article.published, lang=article.lang)
        terms, explanation = _jsonable(decision.terms), decision.explain()
        # the decision, the thread and the alerts of one version: one transaction
        with self.store.unit():
            previous_label = self.store.label_of(article.key)
            self.store.record_decision(item.article_id, item.version_id, decision.label, decision.score,
                                       terms, explanation)
            assignment = assign_thread(self.store, article.key, article.outlet, decision, article.published,
                                       text)
            thread_id = assignment.thread.id if assignment.thread else None
            if item.save_status == "new" and assignment.is_new_thread:
                self.store.add_alert("new", item.article_id, item.version_id, thread_id)
            elif assignment.is_follow_up:
                self.store.add_alert("follow-up", item.article_id, item.version_id, thread_id)
            if item.save_status == "changed" and TRACKED_LABELS & {decision.label, previous_label}:
                self.store.add_alert("changed", item.article_id, item.version_id, thread_id)
        if decision.label == "ministerial":
            self.count("flagged")
            log.info("flagged %s: %s", article.key, decision.explain())
        return item


def _jsonable(terms: Any) -> list[Any]:
    return [dataclasses.asdict(t) if dataclasses.is_dataclass(t) else t for t in terms]
