"""The revisit schedule: recently published articles are fetched again on a decaying schedule to catch
edits, driven from ``articles.next_visit_at`` (set on every save and visit), not from re-discovery."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_DURATION = re.compile(r"^(\d+)([smhd])$")


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 15m, 3h or 30d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_published(published: str | None) -> datetime | None:
    """An ISO 8601 date (``Z`` or an offset; a naive one is taken as UTC), or None."""
    if not published:
        return None
    try:
        value = datetime.fromisoformat(published)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class RevisitSchedule:
    """``steps``: (while the article is younger than this, visit this often), oldest last; older: stop."""

    steps: tuple[tuple[timedelta, timedelta], ...] = (
        (timedelta(hours=3), timedelta(minutes=15)),
        (timedelta(days=1), timedelta(hours=1)),
        (timedelta(days=30), timedelta(days=1)),
    )

    SPEC_ENV = "TALKWATCH_REVISIT_SCHEDULE"

    @classmethod
    def parse(cls, spec: str) -> RevisitSchedule:
        """``"3h:15m,1d:1h,30d:1d"``: every 15 min while < 3 h old, hourly to 1 day, daily to 30 days."""
        steps: list[tuple[timedelta, timedelta]] = []
        for part in spec.split(","):
            if not part.strip():
                continue
            age, _, every = part.partition(":")
            if not every:
                raise ValueError(f"revisit step {part!r} must be AGE:EVERY, e.g. 3h:15m")
            steps.append((parse_duration(age), parse_duration(every)))
        ages = [age for age, _ in steps]
        if ages != sorted(ages):
            raise ValueError(f"revisit schedule {spec!r}: ages must increase")
        return cls(tuple(steps))

    @classmethod
    def from_env(cls, spec: str | None = None) -> RevisitSchedule:
        spec = spec if spec is not None else os.environ.get(cls.SPEC_ENV, "")
        return cls.parse(spec) if spec.strip() else cls()

    def interval(self, age: timedelta) -> timedelta | None:
        for limit, every in self.steps:
            if age < limit:
                return every
        return None

    def next_visit(self, published: datetime | None, now: datetime) -> datetime | None:
        """When to fetch again, counted from ``now``; None once the article is past the last step."""
        age = now - published if published else timedelta(0)
        every = self.interval(max(age, timedelta(0)))
        return now + every if every else None

    @property
    def stops_after(self) -> timedelta:
        return self.steps[-1][0] if self.steps else timedelta(0)


def visits(schedule: RevisitSchedule, published: datetime,
           until: datetime | None = None) -> Sequence[datetime]:
    """Every visit the schedule makes of an article published at ``published`` (for tests and docs)."""
    out: list[datetime] = []
    now = published
    limit = until or published + schedule.stops_after + timedelta(days=1)
    while (nxt := schedule.next_visit(published, now)) is not None and nxt <= limit:
        out.append(nxt)
        now = nxt
    return out
