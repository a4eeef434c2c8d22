"""Flag US–Japan ministerial talks, file the article into its event thread, raise alerts
(:func:`crawler.ingest.flag`).

Each version is flagged here, right after it is stored (a few milliseconds beside a page a second).
When the crawl opens and when it closes it also flags whatever is still undecided: the database is
the queue, so a crawl stopped between the two steps is caught up by the next.
"""

from __future__ import annotations

import logging

from crawler.flagging import FlagTally, flag_backlog, warm_up
from crawler.ingest import flag
from crawler.items import ArticleItem
from crawler.pipelines.base import StorePipeline
from crawler.pipelines.version import VersionPipeline

log = logging.getLogger(__name__)


class FlagPipeline(StorePipeline):
    outlet: str | None = None

    def open_spider(self) -> None:
        self._require_version_step()
        self.outlet = getattr(self.crawler.spider, "outlet_name", None)
        warm_up()
        if self.outlet:  # versions an earlier crawl stored but did not get to flag
            self._flag_backlog("left unflagged by an earlier crawl")

    def _require_version_step(self) -> None:
        """The flag reads the ids the version step sets on the item (ITEM_PIPELINES orders the two)."""
        if self.crawler.get_item_pipeline(VersionPipeline) is None:
            raise RuntimeError("ITEM_PIPELINES: FlagPipeline needs VersionPipeline before it")

    def process_item(self, item: ArticleItem) -> ArticleItem:
        assert item.article_id is not None and item.version_id is not None  # set by VersionPipeline
        decision = flag(self.store, item.article, item.article_id, item.version_id,
                        first=item.save_status == "new")
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
        for stat in ("decided", "flagged", "failed"):
            if getattr(tally, stat):
                self.crawler.stats.inc_value(f"talkwatch/{stat}", getattr(tally, stat))
