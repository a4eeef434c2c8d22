"""Flag US–Japan ministerial talks, file the article into its event thread, raise alerts.

On a machine with more than one core a flag worker does it, in a process beside the crawl
(:mod:`crawler.flagworker`), together with the near-duplicate indexing of each new text (the version
step leaves that to it); this step then only starts the worker, and when the crawl closes waits for
it to finish. Otherwise (``TALKWATCH_FLAG_WORKER = off``, one core, an in-memory database) each version
is flagged here, right after it is stored. Either way, when the crawl closes it flags whatever is still
undecided (the worker failed, or an earlier crawl stopped between the two steps).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from crawler.errors import ConfigError
from crawler.flagging import FlagTally, flag_backlog, flag_version, warm_up
from crawler.flagworker import FlagWorker
from crawler.items import ArticleItem
from crawler.pipelines.base import StorePipeline
from storage.threads import UnflaggedVersion

log = logging.getLogger(__name__)

# TALKWATCH_FLAG_WORKER: None = auto (a worker when the machine has more than one core)
_MODES = {"": None, "auto": None, "on": True, "1": True, "true": True,
          "off": False, "0": False, "false": False}


class FlagPipeline(StorePipeline):
    outlet: str | None = None
    worker: FlagWorker | None = None

    def open_spider(self) -> None:
        self.outlet = getattr(self.crawler.spider, "outlet_name", None)
        if self.outlet and self._use_worker():
            try:
                self.worker = FlagWorker.start(self.store.url, self.outlet,
                                               self.crawler.settings.get("LOG_LEVEL", "INFO"))
                self.crawler.talkwatch_flag_worker = True  # type: ignore[attr-defined]  # see VersionPipeline
                return
            except OSError as exc:
                log.warning("could not start the flag worker (%s): flagging in the crawl's process", exc)
        warm_up()
        if self.outlet:  # versions an earlier crawl stored but did not get to flag
            self._flag_backlog("left unflagged by an earlier crawl")

    def process_item(self, item: ArticleItem) -> ArticleItem:
        if self.worker is not None:
            return item  # stored: the worker reads it from the database
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
        if self.worker is not None:
            report = self.worker.finish()
            if report is not None:
                self._tally(report)
                self.crawler.stats.set_value("talkwatch/flag_worker/peak_rss_mb", report.peak_rss_mb)
        if self.outlet:
            self._flag_backlog("left by the flag worker" if self.worker else "stored out of order")

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

    def _use_worker(self) -> bool:
        value = str(self.crawler.settings.get("TALKWATCH_FLAG_WORKER", "auto")).strip().lower()
        if value not in _MODES:
            raise ConfigError(f"TALKWATCH_FLAG_WORKER={value!r}: use auto, on or off")
        if ":memory:" in self.store.url or self.store.url.rstrip("/") == "sqlite:":
            return False  # another process cannot see an in-memory database
        wanted = _MODES[value]
        return wanted if wanted is not None else (os.cpu_count() or 1) > 1
