"""Times as the desk and the reports show them: Japan Standard Time with its offset, dates alone where
the outlet publishes only a date (MOFA's pages carry a day, which the parser stores as midnight JST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
DATE_ONLY_OUTLETS = frozenset({"mofa"})


def parse_time(value: str | datetime | None) -> datetime | None:
    """An aware datetime; naive values (SQLite hands them back) are UTC, as stored."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_date_only(moment: datetime, outlet: str | None) -> bool:
    """``outlet="*"``: a span that may come from either kind of page (a talk's first and last report)."""
    local = moment.astimezone(JST)
    midnight = (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    return midnight and (outlet in DATE_ONLY_OUTLETS or outlet == "*")


def jst(value: str | datetime | None, outlet: str | None = None) -> str:
    """``2025-01-22 00:13 +09:00``; ``2025-01-21`` for a date-only page; ``–`` when unknown."""
    moment = parse_time(value)
    if moment is None:
        return "–" if not value else str(value)
    local = moment.astimezone(JST)
    if is_date_only(moment, outlet):
        return f"{local:%Y-%m-%d}"
    return f"{local:%Y-%m-%d %H:%M} +09:00"


def iso(value: str | datetime | None) -> str:
    """The machine-readable form for ``<time datetime>`` (a date alone stays a date)."""
    moment = parse_time(value)
    return moment.astimezone(JST).isoformat() if moment else ""


def jst_day(value: str | datetime | None) -> date | None:
    moment = parse_time(value)
    return moment.astimezone(JST).date() if moment else None


def day_start_utc(day: date) -> str:
    """The first instant of a JST day, as the UTC ISO text threads store (``+00:00``)."""
    return datetime(day.year, day.month, day.day, tzinfo=JST).astimezone(UTC).isoformat()


def day_end_utc(day: date) -> str:
    return (datetime(day.year, day.month, day.day, tzinfo=JST) + timedelta(days=1)
            - timedelta(microseconds=1)).astimezone(UTC).isoformat()
