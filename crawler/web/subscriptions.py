"""Subscriptions and mutes per delivery channel, set from the desk.

A channel with no subscription gets everything (as before); with subscriptions, it gets the alerts whose
article has one of its labels or outlets, or belongs to one of its talks — a desk that follows only the
tariff talks subscribes to those talks and gets only them. A talk can be muted for a channel, for good or
until a time (snoozed). The tables (``desk_subscriptions``, ``desk_mutes`` in :mod:`storage.tables`) are
made by the migrations, like every other: nothing here creates them.

Delivery applies them with :func:`narrow_report` on the report it built for the channel: it sends the
report that comes back and marks the skipped alerts delivered too, so they are not looked at again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, union
from sqlalchemy.exc import IntegrityError

from crawler.reports.timefmt import parse_time
from storage.alerts import AlertView
from storage.models import Delivery
from storage.store import Store
from storage.tables import desk_mutes as mutes
from storage.tables import desk_subscriptions as subscriptions

KINDS = ("label", "outlet", "talk")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ChannelRules:
    channel: str
    labels: frozenset[str]
    outlets: frozenset[str]
    talks: frozenset[int]
    muted: dict[int, datetime | None]  # thread id -> until (None: for good)

    @property
    def subscribed(self) -> bool:
        return bool(self.labels or self.outlets or self.talks)

    def mute_active(self, thread_id: int | None, now: datetime) -> bool:
        if thread_id is None or thread_id not in self.muted:
            return False
        until = self.muted[thread_id]
        return until is None or until > now

    def wants(self, alert: AlertView, now: datetime | None = None) -> bool:
        if self.mute_active(alert.thread_id, now or utcnow()):
            return False
        if not self.subscribed:
            return True
        return (alert.label in self.labels or alert.outlet in self.outlets
                or (alert.thread_id is not None and alert.thread_id in self.talks))


def rules(store: Store, channel: str) -> ChannelRules:
    with store.db.session() as s:
        conn = s.connection()
        rows = conn.execute(select(subscriptions.c.kind, subscriptions.c.value)
                            .where(subscriptions.c.channel == channel)).all()
        muted = {r.thread_id: parse_time(r.until) for r in conn.execute(
            select(mutes.c.thread_id, mutes.c.until).where(mutes.c.channel == channel))}
    values: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for kind, value in rows:
        values.setdefault(kind, set()).add(value)
    return ChannelRules(channel, frozenset(values["label"]), frozenset(values["outlet"]),
                        frozenset(int(v) for v in values["talk"] if v.isdigit()), muted)


def subscribe(store: Store, channel: str, kind: str, value: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown subscription kind {kind!r}")
    try:
        with store.db.session() as s:
            s.execute(subscriptions.insert().values(channel=channel, kind=kind, value=value,
                                                    created_at=utcnow()))
    except IntegrityError:
        pass  # subscribed already


def unsubscribe(store: Store, channel: str, kind: str, value: str) -> None:
    with store.db.session() as s:
        s.execute(delete(subscriptions).where(subscriptions.c.channel == channel,
                                              subscriptions.c.kind == kind, subscriptions.c.value == value))


def mute(store: Store, channel: str, thread_id: int, until: datetime | None = None) -> None:
    """Mute a talk for a channel, for good or until ``until`` (a snooze); muting again moves the end."""
    with store.db.session() as s:
        s.execute(delete(mutes).where(mutes.c.channel == channel, mutes.c.thread_id == thread_id))
        s.execute(mutes.insert().values(channel=channel, thread_id=thread_id, until=until,
                                        created_at=utcnow()))


def unmute(store: Store, channel: str, thread_id: int) -> None:
    with store.db.session() as s:
        s.execute(delete(mutes).where(mutes.c.channel == channel, mutes.c.thread_id == thread_id))


def channels(store: Store) -> list[str]:
    """Channels the desk knows: those with subscriptions or mutes, and those alerts were delivered to."""
    query = union(select(subscriptions.c.channel), select(mutes.c.channel),
                  select(Delivery.channel).distinct())
    with store.db.session() as s:
        return sorted({row[0] for row in s.execute(query)})


def narrow_report(store: Store, report: Any, now: datetime | None = None) -> tuple[Any, list[int]]:
    """``report`` (:class:`crawler.reports.data.Report`) with only what its channel wants, and the ids of
    the alerts left out (the caller marks them delivered with the rest once the send succeeds)."""
    channel_rules = rules(store, report.channel)
    now = now or utcnow()
    skipped: list[int] = []

    def keep(alerts: list[AlertView]) -> list[AlertView]:
        kept = [a for a in alerts if channel_rules.wants(a, now)]
        skipped.extend(a.alert_id for a in alerts if a not in kept)
        return kept

    threads = [replace(t, new=keep(t.new), follow_ups=keep(t.follow_ups)) for t in report.threads]
    threads = [t for t in threads if t.new or t.follow_ups]
    return replace(report, threads=threads, changed=keep(report.changed)), skipped
