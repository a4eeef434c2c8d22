"""The report as plain text: the text/plain part of an e-mail and the body for chat services that show text.

Nothing in it is markup. Outlet text is cleaned (:func:`clean_text`: no control characters, no line
breaks, so it never starts a line of its own and cannot forge a section), and only http(s) URLs are
printed (a mail client turns those into links; anything else is left out).

:func:`render_chat` is the same report for chat services, most of which render their own markup (Markdown,
Slack's ``<url|text>``, ``@channel`` mentions) in what they are given as text: there the characters that
markup is made of are replaced, in outlet text, by their full-width forms (＜ ［ ＊ ＠ …), which read the
same to a person and mean nothing to any markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crawler.reports.common import (
    article_marks,
    changed_by_talk,
    clean_text,
    coverage_text,
    diff_fields,
    empty_text,
    link_url,
    published_text,
)
from crawler.reports.data import Report, ThreadSection
from crawler.reports.timefmt import jst
from storage.alerts import AlertView

RULE = "=" * 60
Clean = Callable[[Any], str]
_FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "<>[]()*_`~|#&@!\\"})


def chat_text(value: Any) -> str:
    """Outlet text for a chat service: cleaned, and no character any chat markup is made of."""
    return clean_text(value).translate(_FULL_WIDTH)


def render_chat(report: Report) -> str:
    return render(report, chat_text)


def render(report: Report, t: Clean = clean_text) -> str:
    lines = [f"talkwatch report — {jst(report.generated_at)}", ""]
    if report.since:
        lines += [f"Alerts since {jst(report.since)}.", ""]
    if report.alarms:
        lines += _section("CRAWL ALARMS")
        lines += [f"  * {t(a.kind)}: {t(a.message)}" for a in report.alarms] + [""]
    counts = report.counts
    lines += [t(empty_text(report.channel, report.since)) if report.is_empty else
              f"{counts['new']} new, {counts['follow_up']} follow-ups, {counts['changed']} changed.", ""]
    lines += _threads("NEW TALKS", report.new_threads, "new", t)
    lines += _threads("FOLLOW-UPS", report.followed_threads, "follow-up", t)
    if report.changed:
        lines += _section("CHANGED ARTICLES")
        for talk, alerts in changed_by_talk(report.changed):
            lines += [f"  {t(talk)}", ""]
            for alert in alerts:
                lines += _changed(alert, t)
    lines += _health(report, t)
    return "\n".join(lines) + "\n"


def _section(title: str) -> list[str]:
    return [RULE, title, RULE, ""]


def _threads(heading: str, threads: list[ThreadSection], tag: str, t: Clean) -> list[str]:
    if not threads:
        return []
    lines = _section(heading)
    for thread in threads:
        lines += [f"Talks: {t(thread.title)}"]
        for alert in thread.new if tag == "new" else thread.follow_ups:
            lines += _article(alert, tag, t)
        lines.append("")
    return lines


def _link(url: str | None) -> str:
    return link_url(url) or "(no web link)"


def _article(alert: AlertView, tag: str, t: Clean) -> list[str]:
    lines = [f"  * {t(alert.title) or '(untitled)'}",
             f"    {t(alert.outlet)}, {t(published_text(alert))}; "
             f"{t(', '.join(article_marks(alert, tag)))}",
             f"    {_link(alert.url)}"]
    if alert.explanation:
        lines.append(f"    why: {t(alert.explanation)}")
    return lines


def _changed(alert: AlertView, t: Clean) -> list[str]:
    lines = [f"  * {t(alert.title) or '(untitled)'}",
             f"    {t(alert.outlet)} · version {alert.version_seq} · change: "
             f"{t(alert.change_kind)} (+{alert.chars_added}/−{alert.chars_removed} chars)",
             f"    {_link(alert.url)}"]
    for name, ops in diff_fields(alert.diff):
        lines.append(f"    {t(name)} ({{+inserted+}} [-deleted-]):")
        lines += [f"      {_diff_op(op, t)}" for op in ops if op["op"] != "equal"]
    return [*lines, ""]


def _diff_op(op: dict[str, Any], t: Clean) -> str:
    marks = {"insert": ("{+", "+}"), "delete": ("[-", "-]")}
    if op["op"] == "replace":
        return "~ " + "".join(t(text) if kind == "equal" else
                              f"{marks[kind][0]}{t(text)}{marks[kind][1]}"
                              for kind, text in op["chars"])
    start, end = marks[op["op"]]
    return f"{'+' if op['op'] == 'insert' else '−'} {start}{t(op['text'])}{end}"


def _health(report: Report, t: Clean) -> list[str]:
    if not report.health:
        return []
    lines = _section("CRAWL HEALTH")
    for row in report.health:
        run, h = row.last_run, row.health
        if run is None:
            lines.append(f"  {t(row.outlet)}: never crawled")
            continue
        numbers = (f"pages {h.pages}, items {h.items}, new {h.new_versions}, changed {h.changed_versions}, "
                   f"blocked {h.blocked}, errors {h.errors}, coverage {coverage_text(h)}"
                   if h else "no figures")
        lines.append(f"  {t(row.outlet)}: {jst(run.started_at)} {t(run.outcome)}; "
                     f"{numbers}")
    return [*lines, ""]
