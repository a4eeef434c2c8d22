"""The health page's reads: per outlet the recent crawl runs (from the fetch log, and the scheduler's run
log when it has one), the alarms the reports raise, articles due for a revisit, blocked and failed fetches."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from crawler.reports.data import crawl_health
from crawler.reports.timefmt import parse_time
from crawler.service.config import parse_config
from storage.health import Alarm, RunHealth, health_of
from storage.models import Fetch
from storage.runs import RunRow
from storage.store import Store

RECENT_RUNS = 5
FETCH_WINDOW = 50_000  # the fetch log rows looked at for recent runs
ALARMS_TTL = 15.0
_ALARMS: dict[str, tuple[float, list[Any], list[Alarm]]] = {}
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


def _fetch_runs(store: Store) -> dict[str, list[FetchRun]]:
    """Each outlet's most recent runs in the fetch log, read from its last ``FETCH_WINDOW`` rows only
    (the log grows by every request of every crawl), in two queries for all outlets."""
    with store.db.session() as s:
        conn = s.connection()
        last = conn.execute(select(func.max(Fetch.id))).scalar() or 0
        spans = conn.execute(
            select(Fetch.outlet, Fetch.run_id, func.min(Fetch.fetched_at), func.max(Fetch.fetched_at),
                   func.max(Fetch.id).label("last_id"))
            .where(Fetch.id > last - FETCH_WINDOW, Fetch.run_id.is_not(None), Fetch.outlet.is_not(None))
            .group_by(Fetch.outlet, Fetch.run_id)).all()
        recent: dict[str, list[Any]] = {}
        for span in sorted(spans, key=lambda r: r.last_id, reverse=True):
            runs = recent.setdefault(str(span.outlet), [])
            if len(runs) < RECENT_RUNS:
                runs.append(span)
        wanted = [span.run_id for runs in recent.values() for span in runs]
        rows: dict[str, list[Any]] = {}
        for run_id, role, outcome, fields, reason in conn.execute(
                select(Fetch.run_id, Fetch.role, Fetch.outcome, Fetch.fields, Fetch.reason)
                .where(Fetch.run_id.in_(wanted or [""]))):
            rows.setdefault(str(run_id), []).append((role, outcome, fields, reason))
    return {outlet: [FetchRun(span.run_id, outlet, parse_time(span[2]), parse_time(span[3]),
                              health_of(rows.get(span.run_id, []))) for span in runs]
            for outlet, runs in recent.items()}


def _alarms(store: Store) -> tuple[list[Any], list[Alarm]]:
    """The reports' crawl health and alarms, computed at most every ``ALARMS_TTL`` seconds per database
    (a score of queries per outlet)."""
    key = store.db.url
    cached = _ALARMS.get(key)
    if cached is None or time.monotonic() - cached[0] > ALARMS_TTL:
        cached = _ALARMS[key] = (time.monotonic(), *crawl_health(store.runs, parse_config({})))
    return cached[1], cached[2]


def overview(store: Store) -> Overview:
    config = parse_config({})
    scheduled, alarms = _alarms(store)
    by_outlet = {row.outlet: row.last_run for row in scheduled}
    due = store.articles.due_counts()
    runs = _fetch_runs(store)
    outlets = [OutletState(o.name, runs.get(o.name, []), by_outlet.get(o.name), due.get(o.name, 0))
               for o in config.enabled_outlets()]
    with store.db.session() as s:
        problems = s.connection().execute(
            select(Fetch.id, Fetch.outlet, Fetch.url, Fetch.status, Fetch.outcome, Fetch.reason,
                   Fetch.fetched_at).where(Fetch.outcome.in_(PROBLEMS))
            .order_by(Fetch.id.desc()).limit(30)).all()
    return Overview(outlets, alarms, list(problems))
