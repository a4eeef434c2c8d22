"""The report as Markdown."""

from __future__ import annotations

from typing import Any

from crawler.reports.data import Report
from storage import AlertView

_OPS = {"insert": "{+", "delete": "[-"}
_CLOSE = {"insert": "+}", "delete": "-]"}


def render(report: Report) -> str:
    lines = [f"# talkwatch report — {report.generated_at:%Y-%m-%d %H:%M} UTC", ""]
    if report.since:
        lines += [f"Alerts since {report.since:%Y-%m-%d %H:%M} UTC.", ""]
    if report.is_empty:
        return "\n".join([*lines, "Nothing new, no follow-ups, no changes since the last report.", ""])
    new_threads = [t for t in report.threads if t.new]
    followed = [t for t in report.threads if t.follow_ups]
    lines += [f"{sum(len(t.new) for t in report.threads)} new, "
              f"{sum(len(t.follow_ups) for t in report.threads)} follow-ups, {len(report.changed)} changed.", ""]
    if new_threads:
        lines += ["## New talks", ""]
        for thread in new_threads:
            lines += [f"### {thread.title}", ""]
            lines += [_article_line(a) for a in thread.new] + [""]
    if followed:
        lines += ["## Follow-ups", ""]
        for thread in followed:
            lines += [f"### {thread.title}", ""]
            lines += [_article_line(a, "follow-up") for a in thread.follow_ups] + [""]
    if report.changed:
        lines += ["## Changed articles", ""]
        for alert in report.changed:
            lines += [f"### {alert.title}", "",
                      f"{alert.outlet} · version {alert.version_seq} · change: **{alert.change_kind}** "
                      f"(+{alert.chars_added}/−{alert.chars_removed} chars) · <{alert.url}>", ""]
            lines += _diff_lines(alert.diff) + [""]
    return "\n".join(lines)


def _article_line(alert: AlertView, tag: str = "new") -> str:
    marks = [tag]
    if alert.role == "official":
        marks.append("official readout")
    if not alert.body_complete:
        marks.append("teaser only")
    if alert.copy_of:
        marks.append(f"copy of {alert.copy_of}")
    why = f" — {alert.explanation}" if alert.explanation else ""
    return (f"- **{alert.title}** ({alert.outlet}, {alert.published or 'undated'}; {', '.join(marks)}) "
            f"<{alert.url}>{why}")


def _diff_lines(diff: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for field_name, ops in diff.items():
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
