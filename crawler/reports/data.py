"""What a change-alert report says, independent of its format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from crawler.service.config import Config, parse_config
from storage.health import Alarm, RunHealth, outlet_alarms
from storage.runs import RunRow, Runs

if TYPE_CHECKING:  # crawl_health reads the run log alone: `talkwatch status` loads no ORM repository
    from storage.alerts import AlertView
    from storage.store import Store


@dataclass
class ThreadSection:
    thread_id: int | None
    title: str
    new: list[AlertView] = field(default_factory=list)  # articles that opened the thread
    follow_ups: list[AlertView] = field(default_factory=list)


@dataclass
class OutletHealth:
    """The outlet's last scheduled crawl and its health (``None`` before the monitor ran it)."""

    outlet: str
    last_run: RunRow | None
    health: RunHealth | None


@dataclass
class Report:
    """``channel`` is where the report is being delivered; ``None`` for a view (which changes nothing)."""

    generated_at: datetime
    channel: str | None
    since: datetime | None
    threads: list[ThreadSection]
    changed: list[AlertView]
    health: list[OutletHealth] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)

    @property
    def alert_ids(self) -> list[int]:
        ids = [a.alert_id for t in self.threads for a in (*t.new, *t.follow_ups)]
        return ids + [a.alert_id for a in self.changed]

    @property
    def is_view(self) -> bool:
        return self.channel is None

    @property
    def is_empty(self) -> bool:
        return not self.alert_ids

    @property
    def counts(self) -> dict[str, int]:
        return {"new": sum(len(t.new) for t in self.threads),
                "follow_up": sum(len(t.follow_ups) for t in self.threads),
                "changed": len(self.changed), "alarms": len(self.alarms)}

    @property
    def new_threads(self) -> list[ThreadSection]:
        return [t for t in self.threads if t.new]

    @property
    def followed_threads(self) -> list[ThreadSection]:
        return [t for t in self.threads if t.follow_ups]


def build_report(store: Store, channel: str | None = None, since: datetime | None = None,
                 config: Config | None = None, now: datetime | None = None) -> Report:
    """Alerts by thread, with crawl health: every alert from ``since`` on for a view (``channel`` None),
    or those not yet delivered to ``channel``. Building a report changes nothing."""
    threads: dict[int | None, ThreadSection] = {}
    changed: list[AlertView] = []
    for alert in store.alerts.alert_views(channel, since):
        if alert.kind == "changed":
            changed.append(alert)
            continue
        section = threads.setdefault(
            alert.thread_id, ThreadSection(alert.thread_id, alert.thread_title or "(no thread)")
        )
        (section.new if alert.kind == "new" else section.follow_ups).append(alert)
    health, alarms = crawl_health(store.runs, config or parse_config({}), now=now)
    since = since.astimezone(UTC) if since and since.tzinfo else since.replace(tzinfo=UTC) if since else None
    return Report(now or datetime.now(UTC), channel, since, list(threads.values()), changed, health, alarms)


def crawl_health(runs: Runs, config: Config, now: datetime | None = None) -> tuple[list[OutletHealth],
                                                                                    list[Alarm]]:
    rows: list[OutletHealth] = []
    alarms: list[Alarm] = []
    h = config.health
    for outlet in config.enabled_outlets():
        latest = runs.recent(job=f"crawl:{outlet.name}", limit=1, finished_only=True)
        run = latest[0] if latest else None
        rows.append(OutletHealth(outlet.name, run, RunHealth.from_dict(run.health) if run and run.health
                                 else None))
        alarms += outlet_alarms(runs, outlet.name, outlet.interval_minutes,
                                silent_intervals=h.silent_intervals, coverage_drop=h.coverage_drop,
                                recent_runs=h.recent_runs, blocked_ratio=h.blocked_ratio, now=now)
    return rows, alarms
