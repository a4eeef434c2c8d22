"""The report as an Atom feed (feedgen): one entry per alert, one for the crawl alarms.

Entry ids are stable (``tag:talkwatch,2025:alert/<id>``), so a feed reader shows an alert once
even when the same feed file is read again.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from crawler.reports import html
from crawler.reports.common import article_marks, clean_text, published_text, safe_url
from crawler.reports.data import Report
from storage.alerts import AlertView

if TYPE_CHECKING:  # feedgen is imported when a feed is rendered (fast commands)
    from feedgen.feed import FeedGenerator

FEED_ID = "tag:talkwatch,2025:report"


def render(report: Report, feed_url: str | None = None) -> str:
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(f"{FEED_ID}/{report.channel or 'all'}")
    feed.title(f"talkwatch — {report.channel or 'all alerts'}")
    feed.subtitle("US–Japan ministerial talks: new articles, follow-ups and edits")
    feed.author({"name": "talkwatch"})
    feed.updated(report.generated_at)
    feed.generator("talkwatch")
    if safe_url(feed_url):
        feed.link(href=feed_url, rel="self")
    if report.alarms:
        entry = feed.add_entry(order="append")
        entry.id(f"{FEED_ID}/alarms/{report.generated_at:%Y%m%dT%H%M%S}")
        entry.title(f"Crawl alarms ({len(report.alarms)})")
        entry.updated(report.generated_at)
        entry.content("\n".join(f"{clean_text(a.kind)}: {clean_text(a.message)}" for a in report.alarms),
                      type="text")
    for thread in report.threads:
        for alert in thread.new:
            _entry(feed, alert, f"New: {alert.title}", "new", thread.title)
        for alert in thread.follow_ups:
            _entry(feed, alert, f"Follow-up: {alert.title}", "follow-up", thread.title)
    for alert in report.changed:
        _entry(feed, alert, f"Changed ({alert.change_kind}): {alert.title}", "changed", alert.thread_title)
    return feed.atom_str(pretty=True).decode("utf-8")


def _entry(feed: FeedGenerator, alert: AlertView, title: str, tag: str, thread: str | None) -> None:
    entry = feed.add_entry(order="append")
    entry.id(f"tag:talkwatch,2025:alert/{alert.alert_id}")
    entry.title(clean_text(title))  # feedgen escapes text; readers show it as text (lxml refuses controls)
    created = alert.created_at
    entry.updated(created if created.tzinfo else created.replace(tzinfo=UTC))  # SQLite gives naive UTC
    if safe_url(alert.url):
        entry.link(href=alert.url, rel="alternate")
    entry.category(term=clean_text(alert.kind))
    marks = ", ".join(article_marks(alert, tag))
    lines = [f"<p>{html._e(alert.outlet)} · {html._e(published_text(alert))} · {html._e(marks)}</p>"]
    if thread:
        lines.append(f"<p>Thread: {html._e(thread)}</p>")
    if alert.explanation:
        lines.append(f"<p>{html._e(alert.explanation)}</p>")
    if alert.kind == "changed":
        lines += [html._diff_field(name, ops) for name, ops in alert.diff.items()]
    entry.content("".join(lines), type="html")
