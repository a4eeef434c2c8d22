"""What every report format shares: article marks, safe links, the health table's columns."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from storage import AlertView
from storage.health import FIELDS, RunHealth


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL; anything else (``javascript:``, ``data:``…) is no link."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch in url for ch in "\x00\r\n\t"):
        return None
    return url


def article_marks(alert: AlertView, tag: str) -> list[str]:
    marks = [tag]
    if alert.role == "official":
        marks.append("official readout")
    if not alert.body_complete:
        marks.append("teaser only")
    if alert.copy_of:
        marks.append(f"copy of {alert.copy_of}")
    return marks


def coverage_text(health: RunHealth | None) -> str:
    if health is None or health.parsed == 0:
        return "–"
    return " ".join(f"{name} {health.coverage.get(name) or 0:.0%}" for name in FIELDS)


def diff_fields(diff: dict) -> list[tuple[str, list[dict]]]:
    """The diff's fields in reading order (title, lead, body, anything else)."""
    order = {"title": 0, "lead": 1, "body": 2}
    return sorted(diff.items(), key=lambda kv: order.get(kv[0], 9))


def utc_text(moment: datetime) -> str:
    """``2025-01-21 01:30 UTC`` for any aware time (a naive one is UTC, as the database stores it)."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def empty_text(report_channel: str | None, since: datetime | None) -> str:
    """What a report with no alert says: a view says what it looked at, a delivery what it left out."""
    if report_channel is None:
        return f"No alerts since {utc_text(since)}." if since else "No alerts yet."
    return f"Nothing new, no follow-ups, no changes since the last report to {report_channel}."
