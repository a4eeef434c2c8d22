"""What every report format shares: article marks, safe links, the health table's columns."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from crawler.reports.timefmt import jst
from storage.alerts import AlertView
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


_LINE_BREAKS = re.compile("\r\n|[\n\r\v\f\x85\u2028\u2029]")
# control characters, bidi overrides (they can make text read backwards) and what XML cannot carry
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def clean_text(value: Any, keep_newlines: bool = False) -> str:
    """Outlet text with its control, bidi-override and XML-invalid characters dropped; line breaks become
    spaces (or ``\n`` when kept), so outlet text can never start a line of its own in a line-based format."""
    text = _LINE_BREAKS.sub("\n" if keep_newlines else " ", str(value))
    return _INVISIBLE.sub("", text)


# Markdown: "<", ">", "&" as entities (no raw HTML; Python-Markdown has no backslash escape for "<"), the
# emphasis, code, link and image characters backslash-escaped, "|" and "~" (tables, strike-through) as
# entities. With line breaks gone, no outlet text starts a line, so none can open a heading, list or quote.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "~": "&#126;"}
_MD_BACKSLASHED = frozenset("\\`*_{}[]()!#")


def md_text(value: Any) -> str:
    """``value`` as literal Markdown text: what a Markdown renderer shows is the text, never markup."""
    out = []
    for char in clean_text(value):
        if char in _MD_ENTITIES:
            out.append(_MD_ENTITIES[char])
        elif char in _MD_BACKSLASHED:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def link_url(url: str | None) -> str | None:
    """A safe http(s) URL with everything outside RFC 3986's characters percent-encoded, so it fits an
    autolink ``<…>`` or a plain-text line unchanged; ``None`` for anything else."""
    safe = safe_url(url)
    return quote(safe, safe=":/?#[]@!$&'()*+,;=%-._~") if safe else None


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




def empty_text(report_channel: str | None, since: datetime | None) -> str:
    """What a report with no alert says: a view says what it looked at, a delivery what it left out."""
    if report_channel is None:
        return f"No alerts since {jst(since)}." if since else "No alerts yet."
    return f"Nothing new, no follow-ups, no changes since the last report to {report_channel}."


def published_text(alert: AlertView) -> str:
    """When the outlet published it, as the desk shows it: JST with its offset, a date alone for MOFA's
    date-only pages, ``undated`` when the page did not say."""
    return jst(alert.published, alert.outlet) if alert.published else "undated"


NOT_IN_A_TALK = "not part of a tracked talk"


def changed_by_talk(changed: list[AlertView]) -> list[tuple[str, list[AlertView]]]:
    """The changed articles under their talk (thread), talks in the order their first change comes;
    articles in no thread last."""
    groups: dict[str | None, list[AlertView]] = {}
    for alert in changed:
        groups.setdefault(alert.thread_title, []).append(alert)
    ordered = [(title, alerts) for title, alerts in groups.items() if title is not None]
    return [(str(title), alerts) for title, alerts in ordered] + (
        [(NOT_IN_A_TALK, groups[None])] if None in groups else [])
