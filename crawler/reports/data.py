"""What a change-alert report says, independent of its format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from storage import AlertView, Store


@dataclass
class ThreadSection:
    thread_id: int | None
    title: str
    new: list[AlertView] = field(default_factory=list)  # articles that opened the thread
    follow_ups: list[AlertView] = field(default_factory=list)


@dataclass
class Report:
    generated_at: datetime
    channel: str
    since: datetime | None
    threads: list[ThreadSection]
    changed: list[AlertView]

    @property
    def alert_ids(self) -> list[int]:
        ids = [a.alert_id for t in self.threads for a in (*t.new, *t.follow_ups)]
        return ids + [a.alert_id for a in self.changed]

    @property
    def is_empty(self) -> bool:
        return not self.alert_ids


def build_report(store: Store, channel: str = "report", since: datetime | None = None) -> Report:
    """Alerts not yet reported to ``channel`` (and newer than ``since``), grouped by thread."""
    threads: dict[int | None, ThreadSection] = {}
    changed: list[AlertView] = []
    for alert in store.alert_views(channel, since):
        if alert.kind == "changed":
            changed.append(alert)
            continue
        section = threads.setdefault(
            alert.thread_id, ThreadSection(alert.thread_id, alert.thread_title or "(no thread)")
        )
        (section.new if alert.kind == "new" else section.follow_ups).append(alert)
    return Report(datetime.now(UTC), channel, since, list(threads.values()), changed)
