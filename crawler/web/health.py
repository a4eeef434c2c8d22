"""The health page's reads: per outlet the recent crawl runs (from the fetch log, and the scheduler's run
log when it has one), the alarms the reports raise, articles due for a revisit, blocked and failed fetches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from crawler.config import parse_config
from crawler.reports.data import crawl_health
from crawler.web.timefmt import parse_time
from storage import Store
from storage.health import Alarm, RunHealth, RunRow, health_of
from storage.models import Fetch

RECENT_RUNS = 5
PROBLEMS = ("blocked", "error", "refused", "disallowed")


@dataclass
class FetchRun:
    run_id: str
    outlet: str | None
    started: datetime | None
    finished: datetime | None
    health: RunHealth


@dataclass
class OutletState:
    outlet: str
    runs: list[FetchRun] = field(default_factory=list)
    scheduled: RunRow | None = None
    due: int = 0


@dataclass
class Overview:
    outlets: list[OutletState]
    alarms: list[Alarm]
    problems: list[Any]


def _fetch_runs(store: Store, outlet: str) -> list[FetchRun]:
    with store.session() as s:
        conn = s.connection()
        recent = conn.execute(
            select(Fetch.run_id, func.min(Fetch.fetched_at), func.max(Fetch.fetched_at))
            .where(Fetch.outlet == outlet, Fetch.run_id.is_not(None)).group_by(Fetch.run_id)
            .order_by(func.max(Fetch.id).desc()).limit(RECENT_RUNS)).all()
        runs = []
        for run_id, started, finished in recent:
            rows = conn.execute(select(Fetch.role, Fetch.outcome, Fetch.reason)
                                .where(Fetch.run_id == run_id)).all()
            runs.append(FetchRun(run_id, outlet, parse_time(started), parse_time(finished), health_of(rows)))
        return runs


def overview(store: Store) -> Overview:
    config = parse_config({})
    scheduled, alarms = crawl_health(store, config)
    by_outlet = {row.outlet: row.last_run for row in scheduled}
    due = store.due_counts()
    outlets = [OutletState(o.name, _fetch_runs(store, o.name), by_outlet.get(o.name), due.get(o.name, 0))
               for o in config.enabled_outlets()]
    with store.session() as s:
        problems = s.connection().execute(
            select(Fetch.id, Fetch.outlet, Fetch.url, Fetch.status, Fetch.outcome, Fetch.reason,
                   Fetch.fetched_at).where(Fetch.outcome.in_(PROBLEMS))
            .order_by(Fetch.id.desc()).limit(30)).all()
    return Overview(outlets, alarms, list(problems))
