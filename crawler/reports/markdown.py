"""The report as Markdown."""

from __future__ import annotations

from typing import Any

from crawler.reports.common import article_marks, coverage_text, diff_fields, empty_text, utc_text
from crawler.reports.data import Report
from storage import AlertView

_OPS = {"insert": "{+", "delete": "[-"}
_CLOSE = {"insert": "+}", "delete": "-]"}


def render(report: Report) -> str:
    lines = [f"# talkwatch report — {utc_text(report.generated_at)}", ""]
    if report.since:
        lines += [f"Alerts since {utc_text(report.since)}.", ""]
    if report.alarms:
        lines += ["## Crawl alarms", ""]
        lines += [f"- **{alarm.kind}** — {alarm.message}" for alarm in report.alarms] + [""]
    if report.is_empty:
        lines += [empty_text(report.channel, report.since), ""]
    else:
        counts = report.counts
        lines += [f"{counts['new']} new, {counts['follow_up']} follow-ups, {counts['changed']} changed.", ""]
    if report.new_threads:
        lines += ["## New talks", ""]
        for thread in report.new_threads:
            lines += [f"### {thread.title}", ""]
            lines += [_article_line(a) for a in thread.new] + [""]
    if report.followed_threads:
        lines += ["## Follow-ups", ""]
        for thread in report.followed_threads:
            lines += [f"### {thread.title}", ""]
            lines += [_article_line(a, "follow-up") for a in thread.follow_ups] + [""]
    if report.changed:
        lines += ["## Changed articles", ""]
        for alert in report.changed:
            lines += [f"### {alert.title}", "",
                      f"{alert.outlet} · version {alert.version_seq} · change: **{alert.change_kind}** "
                      f"(+{alert.chars_added}/−{alert.chars_removed} chars) · <{alert.url}>", ""]
            lines += [*_diff_lines(alert.diff), ""]
    if report.health:
        lines += ["## Crawl health", "", "| outlet | last run | outcome | pages | items | new | changed | "
                  "blocked | errors | coverage |", "|---|---|---|---|---|---|---|---|---|---|"]
        for row in report.health:
            run, h = row.last_run, row.health
            if run is None:
                lines.append(f"| {row.outlet} | never | – | – | – | – | – | – | – | – |")
                continue
            numbers = (f"{h.pages} | {h.items} | {h.new_versions} | {h.changed_versions} | {h.blocked} | "
                       f"{h.errors} | {coverage_text(h)} |" if h else "– | – | – | – | – | – | – |")
            lines.append(f"| {row.outlet} | {run.started_at:%Y-%m-%d %H:%M} | {run.outcome} | {numbers}")
        lines.append("")
    return "\n".join(lines)


def _article_line(alert: AlertView, tag: str = "new") -> str:
    why = f" — {alert.explanation}" if alert.explanation else ""
    return (f"- **{alert.title}** ({alert.outlet}, {alert.published or 'undated'}; "
            f"{', '.join(article_marks(alert, tag))}) <{alert.url}>{why}")


def _diff_lines(diff: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for field_name, ops in diff_fields(diff):
        lines.append(f"**{field_name}** (`{{+inserted+}}` `[-deleted-]`):")
        lines.append("")
        for op in ops:
            if op["op"] == "equal":
                continue
            if op["op"] == "replace":
                text = "".join(text if kind == "equal" else f"{_OPS[kind]}{text}{_CLOSE[kind]}"
                               for kind, text in op["chars"])
                lines.append(f"> ~ {text}")
            else:
                lines.append(f"> {'+' if op['op'] == 'insert' else '−'} "
                             f"{_OPS[op['op']]}{op['text']}{_CLOSE[op['op']]}")
        lines.append("")
    return lines
