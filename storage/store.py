"""The one entry object the crawler, the service and the reports use: a :class:`Database` and one
repository per concern, each given that database.

- ``store.db``: the engine, sessions and units of work (:mod:`storage.database`);
- ``store.articles``: articles and versions, the revisit schedule, re-extraction (:mod:`storage.articles`);
- ``store.fetches``: the fetch log and raw snapshots (:mod:`storage.fetchlog`);
- ``store.threads``: topic decisions and event threads (:mod:`storage.threads`);
- ``store.alerts``: alerts and their deliveries (:mod:`storage.alerts`);
- ``store.copies``: the near-duplicate index, copy links, flash merges (:mod:`storage.syndication`);
- ``store.runs``: the service's run log and delivery log (:mod:`storage.runs`);
- ``store.leases``: the monitor's and the crawls' leases (:mod:`storage.lease`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, func, select

from storage.alerts import Alerts, AlertView
from storage.articles import Articles, DueVisit, SaveResult
from storage.database import Database
from storage.fetchlog import FetchLog
from storage.lease import Leases
from storage.models import Alert, Article, Fetch, Thread, Version
from storage.runs import Runs
from storage.schedule import RevisitSchedule
from storage.syndication import Copies, TextRules
from storage.tables import utcnow
from storage.threads import ThreadRow, Threads
from storage.versions import ArticleText

__all__ = ["AlertView", "ArticleText", "DueVisit", "SaveResult", "Store", "ThreadRow"]


class Store:
    """``rules``: how texts are compared for the near-duplicate index (the crawl's:
    ``crawler.syndication.TEXT_RULES``); a Store without them reads, and stores versions with
    ``index=False`` only."""

    def __init__(self, url: str | None = None, engine: Engine | None = None,
                 schedule: RevisitSchedule | None = None, clock: Callable[[], datetime] = utcnow,
                 rules: TextRules | None = None) -> None:
        self.db = Database(url, engine, clock)
        self.copies = Copies(self.db, rules)
        self.articles = Articles(self.db, self.copies, schedule)
        self.fetches = FetchLog(self.db)
        self.threads = Threads(self.db)
        self.alerts = Alerts(self.db)
        self.runs = Runs(self.db)
        self.leases = Leases(self.db)

    def counts(self) -> dict[str, int]:
        """How many rows the main tables hold (the demo's summary)."""
        with self.db.session() as s:
            return {
                "articles": s.scalar(select(func.count(Article.id))) or 0,
                "versions": s.scalar(select(func.count(Version.id))) or 0,
                "fetches": s.scalar(select(func.count(Fetch.id))) or 0,
                "threads": s.scalar(select(func.count(Thread.id))) or 0,
                "alerts": s.scalar(select(func.count(Alert.id))) or 0,
            }
