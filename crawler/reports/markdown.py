"""The report as Markdown.

Inert by construction: every string that came from an outlet (titles, thread titles, explanations, diff
text, keys) goes through :func:`md_text` (no raw HTML, no emphasis, link or image syntax, no line of its
own, so no heading, list or quote), and links are autolinks of http(s) URLs only (:func:`link_url`).
"""

from __future__ import annotations

import re
from typing import Any

from crawler.reports.common import (
    article_marks,
    changed_by_talk,
    coverage_text,
    diff_fields,
    empty_text,
    link_url,
    md_text,
    published_text,
)
from crawler.reports.data import Report, ThreadSection
from crawler.reports.timefmt import jst
from storage.alerts import AlertView

_OPS = {"insert": "{+", "delete": "[-"}
_CLOSE = {"insert": "+}", "delete": "-]"}
_HEALTH_HEAD = ["| outlet | last run | outcome | pages | items | new | changed | blocked | errors | "
                "coverage |", "|---|---|---|---|---|---|---|---|---|---|"]


def render(report: Report) -> str:
    lines = [f"# talkwatch report — {jst(report.generated_at)}", ""]
    if report.since:
        lines += [f"Alerts since {jst(report.since)}.", ""]
    if report.alarms:
        lines += ["## Crawl alarms", ""]
        lines += [f"- **{_kind(alarm.kind)}** — {md_text(alarm.message)}" for alarm in report.alarms] + [""]
    lines += [_summary(report), ""]
    lines += _threads("New talks", report.new_threads, "new")
    lines += _threads("Follow-ups", report.followed_threads, "follow-up")
    if report.changed:
        lines += ["## Changed articles", ""]
        for talk, alerts in changed_by_talk(report.changed):
            lines += [f"### {_title(talk)}", ""]
            for alert in alerts:
                lines += _changed(alert)
    lines += _health(report)
    return "\n".join(lines)


def _kind(kind: str) -> str:
    """An alarm kind is our own identifier (``zero_items``: an intraword ``_`` is no emphasis); anything
    else is escaped like outlet text."""
    return kind if re.fullmatch(r"[a-z][a-z_]*", kind) else md_text(kind)


def _summary(report: Report) -> str:
    if report.is_empty:
        return md_text(empty_text(report.channel, report.since))
    counts = report.counts
    return f"{counts['new']} new, {counts['follow_up']} follow-ups, {counts['changed']} changed."


def _threads(heading: str, threads: list[ThreadSection], tag: str) -> list[str]:
    if not threads:
        return []
    lines = [f"## {heading}", ""]
    for thread in threads:
        alerts = thread.new if tag == "new" else thread.follow_ups
        lines += [f"### {_title(thread.title)}", ""]
        lines += [_article_line(a, tag) for a in alerts] + [""]
    return lines


def _title(text: str) -> str:
    return md_text(text) or "(untitled)"


def _link(url: str | None) -> str:
    safe = link_url(url)
    return f"<{safe}>" if safe else "(no web link)"


def _article_line(alert: AlertView, tag: str = "new") -> str:
    why = f" — {md_text(alert.explanation)}" if alert.explanation else ""
    marks = md_text(", ".join(article_marks(alert, tag)))
    return (f"- **{_title(alert.title)}** ({md_text(alert.outlet)}, {md_text(published_text(alert))}; "
            f"{marks}) {_link(alert.url)}{why}")


def _changed(alert: AlertView) -> list[str]:
    return [f"#### {_title(alert.title)}", "",
            f"{md_text(alert.outlet)} · version {alert.version_seq} · change: "
            f"**{md_text(alert.change_kind)}** (+{alert.chars_added}/−{alert.chars_removed} chars) · "
            f"{_link(alert.url)}", "",
            *_diff_lines(alert.diff), ""]


def _health(report: Report) -> list[str]:
    if not report.health:
        return []
    lines = ["## Crawl health", "", *_HEALTH_HEAD]
    for row in report.health:
        run, h = row.last_run, row.health
        if run is None:
            lines.append(f"| {md_text(row.outlet)} | never | – | – | – | – | – | – | – | – |")
            continue
        numbers = (f"{h.pages} | {h.items} | {h.new_versions} | {h.changed_versions} | {h.blocked} | "
                   f"{h.errors} | {coverage_text(h)} |" if h else "– | – | – | – | – | – | – |")
        lines.append(f"| {md_text(row.outlet)} | {jst(run.started_at)} | {md_text(run.outcome)} | "
                     f"{numbers}")
    return [*lines, ""]


def _diff_lines(diff: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for field_name, ops in diff_fields(diff):
        lines += [f"**{md_text(field_name)}** (`{{+inserted+}}` `[-deleted-]`):", ""]
        lines += [_diff_op(op) for op in ops if op["op"] != "equal"]
        lines.append("")
    return lines


def _diff_op(op: dict[str, Any]) -> str:
    if op["op"] == "replace":
        text = "".join(md_text(text) if kind == "equal" else f"{_OPS[kind]}{md_text(text)}{_CLOSE[kind]}"
                       for kind, text in op["chars"])
        return f"> ~ {text}"
    sign = "+" if op["op"] == "insert" else "−"
    return f"> {sign} {_OPS[op['op']]}{md_text(op['text'])}{_CLOSE[op['op']]}"
