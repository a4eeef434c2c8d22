"""Flag US–Japan ministerial talks, file the article into its event thread, raise alerts.

Each version is flagged here, right after it is stored (a few milliseconds beside a page a second).
When the crawl opens and when it closes it also flags whatever is still undecided: the database is
the queue, so a crawl stopped between the two steps is caught up by the next.
"""

from __future__ import annotations

import logging
from typing import Any

from crawler.flagging import FlagTally, flag_backlog, flag_version, warm_up
from crawler.items import ArticleItem
from crawler.pipelines.base import StorePipeline
from storage.threads import UnflaggedVersion

log = logging.getLogger(__name__)


class FlagPipeline(StorePipeline):
    outlet: str | None = None

    def open_spider(self) -> None:
        self.outlet = getattr(self.crawler.spider, "outlet_name", None)
        warm_up()
        if self.outlet:  # versions an earlier crawl stored but did not get to flag
            self._flag_backlog("left unflagged by an earlier crawl")

    def process_item(self, item: ArticleItem) -> ArticleItem:
        article = item.article
        assert item.article_id is not None and item.version_id is not None  # set by VersionPipeline
        first = item.save_status == "new"  # of its seq, the flag only asks whether it is 1
        decision = flag_version(self.store, UnflaggedVersion(
            item.article_id, item.version_id, 1 if first else 2, article.key,
            article.outlet, article.title, article.description, article.body, article.published,
            article.lang))
        self.count("decided")
        if decision.label == "ministerial":
            self.count("flagged")
        return item

    def close_spider(self) -> None:
        if self.outlet:
            self._flag_backlog("stored out of order")

    def _flag_backlog(self, why: str) -> None:
        tally = FlagTally()
        while flag_backlog(self.store, self.outlet or "", tally):
            pass
        if tally.decided or tally.failed:
            log.info("flagged %d version(s) %s", tally.decided, why)
        self._tally(tally)

    def _tally(self, done: Any) -> None:
        for stat in ("decided", "flagged", "failed"):
            if getattr(done, stat):
                self.crawler.stats.inc_value(f"talkwatch/{stat}", getattr(done, stat))
