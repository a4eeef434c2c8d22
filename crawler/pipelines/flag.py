"""Flag US–Japan ministerial talks, file the article into its event thread, raise alerts.

Classifying is the crawl's costliest step per page (pure Python: 5–20 ms on a news article), so with
``TALKWATCH_CLASSIFY_WORKERS`` > 0 it runs in that many worker processes, on the machine's other cores,
while the crawl's own thread goes on fetching, parsing and storing. The workers start once a crawl has
classified ``WORKER_AFTER`` pages in-process: a routine poll with a few new articles never pays for them.
The decision is the same either way (``classify`` is a pure function); what the database gets for a
version is still written in one transaction, on the crawl's thread, in the order the decisions come
back. A worker that dies makes the crawl classify in-process for the rest of its run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.crawler import Crawler

from crawler.items import ArticleItem
from crawler.pipelines.base import StorePipeline
from crawler.topics.classifier import TopicDecision, classify
from crawler.topics.threads import assign_thread

log = logging.getLogger(__name__)

# labels whose edits an analyst wants to hear about
TRACKED_LABELS = {"ministerial", "related"}
WORKER_AFTER = 20  # pages classified in-process before a crawl starts its classifier workers


class FlagPipeline(StorePipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.workers = crawler.settings.getint("TALKWATCH_CLASSIFY_WORKERS", 0)
        self.pool: ProcessPoolExecutor | None = None
        self.in_process = 0  # pages classified in the crawl's thread so far

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        article = item.article
        assert item.article_id is not None and item.version_id is not None  # set by VersionPipeline
        text = "\n".join(part for part in (article.description, article.body) if part)
        decision = await self._classify(article.title, text, article.published, article.lang)
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

    async def _classify(self, title: str, text: str, published: str | None, lang: str) -> TopicDecision:
        if self.pool is None and self.workers > 0 and self.in_process == WORKER_AFTER:
            # spawn, not fork: the crawl process holds threads and database connections
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_warm_up)
        if self.pool is not None:
            try:
                future = self.pool.submit(classify, title, text, published=published, lang=lang)
                return await asyncio.wrap_future(future)
            except BrokenProcessPool:
                log.warning("the classifier worker died: classifying in the crawl process from now on")
                self.pool, self.workers = None, 0
        self.in_process += 1
        return classify(title, text, published=published, lang=lang)


def _warm_up() -> None:
    """Build the classifier's patterns once per worker, before the first page waits for them."""
    classify("日米外相会談", "", published=None)


def _jsonable(terms: Any) -> list[Any]:
    return [dataclasses.asdict(t) if dataclasses.is_dataclass(t) else t for t in terms]
