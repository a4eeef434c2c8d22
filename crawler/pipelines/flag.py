"""Flag US–Japan ministerial talks, file the article into its event thread, raise alerts.

Classifying runs in the crawl's own thread (~1–3 ms an article once the vocabulary's patterns are built);
the patterns are built when the crawl opens, so the first page does not wait for them.
"""

from __future__ import annotations

import logging

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
        # versions an earlier crawl stored but did not get to flag (it stopped between the two steps)
        outlet = getattr(self.crawler.spider, "outlet_name", None)
        for missed in self.store.unflagged_versions(outlet) if outlet else []:
            log.info("flagging %s version %d left unflagged by an earlier crawl", missed.key, missed.seq)
            status = "new" if missed.seq == 1 else "changed"
            self.flag(missed.key, missed.outlet, missed.title, missed.lead, missed.body, missed.published,
                      missed.lang, missed.article_id, missed.version_id, status)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        article = item.article
        assert item.article_id is not None and item.version_id is not None  # set by VersionPipeline
        assert item.save_status is not None
        self.flag(article.key, article.outlet, article.title, article.description, article.body,
                  article.published, article.lang, item.article_id, item.version_id, item.save_status)
        return item

    def flag(self, key: str, outlet: str, title: str, lead: str | None, body: str, published: str | None,
             lang: str, article_id: int, version_id: int, save_status: str) -> None:
        """Decide, file into a thread and raise the alerts of one stored version (``save_status``: new,
        changed)."""
        text = "\n".join(part for part in (lead, body) if part)
        decision = classify(title, text, published=published, lang=lang)
        terms, explanation = [term.to_dict() for term in decision.terms], decision.explain()
        # the decision, the thread and the alerts of one version: one transaction
        with self.store.unit():
            # a first version's article was created a step ago, without a label
            previous_label = None if save_status == "new" else self.store.label_of(key)
            self.store.record_decision(article_id, version_id, decision.label, decision.score, terms,
                                       explanation)
            assignment = assign_thread(self.store, key, outlet, decision, published, text)
            thread_id = assignment.thread.id if assignment.thread else None
            if save_status == "new" and assignment.is_new_thread:
                self.store.add_alert("new", article_id, version_id, thread_id)
            elif assignment.is_follow_up:
                self.store.add_alert("follow-up", article_id, version_id, thread_id)
            if save_status == "changed" and TRACKED_LABELS & {decision.label, previous_label}:
                self.store.add_alert("changed", article_id, version_id, thread_id)
        if decision.label == "ministerial":
            self.count("flagged")
            log.info("flagged %s: %s", key, explanation)
