"""The report as plain text: the text/plain part of an e-mail and the body for chat services that show text.

Nothing in it is markup. Outlet text is cleaned (:func:`clean_text`: no control characters, no line
breaks, so it never starts a line of its own and cannot forge a section), and only http(s) URLs are
printed (a mail client turns those into links; anything else is left out).
"""

from __future__ import annotations

from typing import Any

from crawler.reports.common import (
    article_marks,
    clean_text,
    coverage_text,
    diff_fields,
    empty_text,
    link_url,
    utc_text,
)
from crawler.reports.data import Report, ThreadSection
from storage import AlertView

RULE = "=" * 60


def render(report: Report) -> str:
    lines = [f"talkwatch report — {utc_text(report.generated_at)}", ""]
    if report.since:
        lines += [f"Alerts since {utc_text(report.since)}.", ""]
    if report.alarms:
        lines += _section("CRAWL ALARMS")
        lines += [f"  * {clean_text(a.kind)}: {clean_text(a.message)}" for a in report.alarms] + [""]
    counts = report.counts
    lines += [clean_text(empty_text(report.channel, report.since)) if report.is_empty else
              f"{counts['new']} new, {counts['follow_up']} follow-ups, {counts['changed']} changed.", ""]
    lines += _threads("NEW TALKS", report.new_threads, "new")
    lines += _threads("FOLLOW-UPS", report.followed_threads, "follow-up")
    if report.changed:
        lines += _section("CHANGED ARTICLES")
        for alert in report.changed:
            lines += _changed(alert)
    lines += _health(report)
    return "\n".join(lines) + "\n"


def _section(title: str) -> list[str]:
    return [RULE, title, RULE, ""]


def _threads(heading: str, threads: list[ThreadSection], tag: str) -> list[str]:
    if not threads:
        return []
    lines = _section(heading)
    for thread in threads:
        lines += [f"Talks: {clean_text(thread.title)}"]
        for alert in thread.new if tag == "new" else thread.follow_ups:
            lines += _article(alert, tag)
        lines.append("")
    return lines


def _link(url: str | None) -> str:
    return link_url(url) or "(no web link)"


def _article(alert: AlertView, tag: str) -> list[str]:
    lines = [f"  * {clean_text(alert.title) or '(untitled)'}",
             f"    {clean_text(alert.outlet)}, {clean_text(alert.published or 'undated')}; "
             f"{clean_text(', '.join(article_marks(alert, tag)))}",
             f"    {_link(alert.url)}"]
    if alert.explanation:
        lines.append(f"    why: {clean_text(alert.explanation)}")
    return lines


def _changed(alert: AlertView) -> list[str]:
    lines = [f"  * {clean_text(alert.title) or '(untitled)'}",
             f"    {clean_text(alert.outlet)} · version {alert.version_seq} · change: "
             f"{clean_text(alert.change_kind)} (+{alert.chars_added}/−{alert.chars_removed} chars)",
             f"    {_link(alert.url)}"]
    for name, ops in diff_fields(alert.diff):
        lines.append(f"    {clean_text(name)} ({{+inserted+}} [-deleted-]):")
        lines += [f"      {_diff_op(op)}" for op in ops if op["op"] != "equal"]
    return [*lines, ""]


def _diff_op(op: dict[str, Any]) -> str:
    marks = {"insert": ("{+", "+}"), "delete": ("[-", "-]")}
    if op["op"] == "replace":
        return "~ " + "".join(clean_text(text) if kind == "equal" else
                              f"{marks[kind][0]}{clean_text(text)}{marks[kind][1]}"
                              for kind, text in op["chars"])
    start, end = marks[op["op"]]
    return f"{'+' if op['op'] == 'insert' else '−'} {start}{clean_text(op['text'])}{end}"


def _health(report: Report) -> list[str]:
    if not report.health:
        return []
    lines = _section("CRAWL HEALTH")
    for row in report.health:
        run, h = row.last_run, row.health
        if run is None:
            lines.append(f"  {clean_text(row.outlet)}: never crawled")
            continue
        numbers = (f"pages {h.pages}, items {h.items}, new {h.new_versions}, changed {h.changed_versions}, "
                   f"blocked {h.blocked}, errors {h.errors}, coverage {coverage_text(h)}"
                   if h else "no figures")
        lines.append(f"  {clean_text(row.outlet)}: {utc_text(run.started_at)} {clean_text(run.outcome)}; "
                     f"{numbers}")
    return [*lines, ""]
