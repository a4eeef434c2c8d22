"""The report as one self-contained HTML page (inline CSS, no scripts, no external resources).

Every string that came from an outlet is escaped; links are made only of absolute http(s) URLs
(anything else is printed as text). A Content-Security-Policy that forbids scripts backs this up.
"""

from __future__ import annotations

from html import escape
from typing import Any

from crawler.reports.common import (
    article_marks,
    changed_by_talk,
    clean_text,
    coverage_text,
    diff_fields,
    empty_text,
    published_text,
    safe_url,
)
from crawler.reports.data import Report, ThreadSection
from crawler.reports.timefmt import jst
from storage.alerts import AlertView

_CSS = """
body{font-family:system-ui,"Hiragino Sans","Noto Sans CJK JP",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;line-height:1.6;color:#1d1d1f}
h1{font-size:1.5rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.05rem}
.meta{color:#555;font-size:.9rem}.mark{display:inline-block;background:#eef;border-radius:3px;padding:0 .4rem;
margin-right:.3rem;font-size:.8rem}.mark.copy{background:#fde68a}.mark.teaser{background:#fee2e2}
.diff{background:#fafafa;border-left:3px solid #bbb;padding:.4rem .8rem;white-space:pre-wrap}
ins{background:#c8f7c5;color:#064e00;text-decoration:none}del{background:#ffd1d1;color:#7a0000}
.alarm{background:#fff4e5;border-left:4px solid #e67e00;padding:.3rem .8rem;margin:.3rem 0}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;font-size:.9rem}
article{margin-bottom:1rem}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"


def render(report: Report) -> str:
    counts = report.counts
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ja"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>talkwatch report {jst(report.generated_at)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>talkwatch report — {jst(report.generated_at)}</h1>",
    ]
    if report.since:
        parts.append(f'<p class="meta">Alerts since {jst(report.since)}.</p>')
    if report.alarms:
        parts.append('<section id="alarms"><h2>Crawl alarms</h2>')
        parts += [f'<p class="alarm"><strong>{_e(a.kind)}</strong> — {_e(a.message)}</p>'
                  for a in report.alarms]
        parts.append("</section>")
    if report.is_empty:
        parts.append(f'<p id="summary">{_e(empty_text(report.channel, report.since))}</p>')
    else:
        parts.append(f'<p id="summary">{counts["new"]} new, {counts["follow_up"]} follow-ups, '
                     f'{counts["changed"]} changed.</p>')
    if report.new_threads:
        parts.append('<section id="new"><h2>New talks</h2>')
        parts += [_thread(t, t.new, "new") for t in report.new_threads]
        parts.append("</section>")
    if report.followed_threads:
        parts.append('<section id="follow-ups"><h2>Follow-ups</h2>')
        parts += [_thread(t, t.follow_ups, "follow-up") for t in report.followed_threads]
        parts.append("</section>")
    if report.changed:
        parts.append('<section id="changed"><h2>Changed articles</h2>')
        for talk, alerts in changed_by_talk(report.changed):
            parts.append(f'<h3 class="talk">{_e(talk)}</h3>')
            parts += [_changed(a) for a in alerts]
        parts.append("</section>")
    if report.health:
        parts.append(_health(report))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _e(text: Any) -> str:
    """Text for HTML content or a quoted attribute: escaped, without control or bidi-override characters."""
    return escape(clean_text(text, keep_newlines=True), quote=True)


def _link(url: str | None, text: str) -> str:
    href = safe_url(url)
    if href is None:
        return f'<span class="nolink">{_e(text)}</span>'
    return f'<a href="{_e(href)}" rel="noopener noreferrer nofollow">{_e(text)}</a>'


def _thread(thread: ThreadSection, alerts: list[AlertView], tag: str) -> str:
    items = "".join(_article(a, tag) for a in alerts)
    return f'<div class="thread"><h3>{_e(thread.title)}</h3>{items}</div>'


def _marks(alert: AlertView, tag: str) -> str:
    out = []
    for mark in article_marks(alert, tag):
        css = "copy" if mark.startswith("copy of") else "teaser" if mark == "teaser only" else ""
        out.append(f'<span class="mark {css}">{_e(mark)}</span>')
    return "".join(out)


def _article(alert: AlertView, tag: str) -> str:
    why = f'<div class="why">{_e(alert.explanation)}</div>' if alert.explanation else ""
    return (f'<article class="alert {_e(alert.kind)}" data-key="{_e(alert.article_key)}">'
            f'<div class="title">{_link(alert.url, alert.title)}</div>'
            f'<div class="meta">{_e(alert.outlet)} · {_e(published_text(alert))} '
            f'{_marks(alert, tag)}</div>'
            f"{why}</article>")


def _changed(alert: AlertView) -> str:
    head = (f'<article class="alert changed" data-key="{_e(alert.article_key)}">'
            f'<h4>{_link(alert.url, alert.title)}</h4>'
            f'<div class="meta">{_e(alert.outlet)} · version {alert.version_seq} · change: '
            f'<strong class="change-kind">{_e(alert.change_kind)}</strong> '
            f'(+{alert.chars_added}/−{alert.chars_removed} chars) {_marks(alert, "changed")}</div>')
    body = "".join(_diff_field(name, ops) for name, ops in diff_fields(alert.diff))
    return head + body + "</article>"


def _diff_field(name: str, ops: list[dict[str, Any]]) -> str:
    pieces: list[str] = []
    for op in ops:
        kind = op["op"]
        if kind == "equal":
            text = op["text"]
            # long unchanged stretches are shortened to their ends; the change is what matters
            pieces.append(_e(text if len(text) <= 120 else f"{text[:50]} … {text[-50:]}"))
        elif kind == "insert":
            pieces.append(f"<ins>{_e(op['text'])}</ins>")
        elif kind == "delete":
            pieces.append(f"<del>{_e(op['text'])}</del>")
        else:  # replace: character-level inside the sentence
            for char_kind, text in op["chars"]:
                tag = {"insert": "ins", "delete": "del"}.get(char_kind)
                pieces.append(f"<{tag}>{_e(text)}</{tag}>" if tag else _e(text))
    return (f'<div class="field"><div class="meta">{_e(name)}</div>'
            f'<div class="diff" data-field="{_e(name)}">{"".join(pieces)}</div></div>')


def _health(report: Report) -> str:
    rows = ["<tr><th>outlet</th><th>last run</th><th>outcome</th><th>pages</th><th>items</th><th>new</th>"
            "<th>changed</th><th>blocked</th><th>errors</th><th>coverage</th></tr>"]
    for row in report.health:
        run, h = row.last_run, row.health
        cells: list[object] = [row.outlet, f"{run.started_at:%Y-%m-%d %H:%M}" if run else "never",
                               run.outcome if run else "–"]
        if h is not None:
            cells += [h.pages, h.items, h.new_versions, h.changed_versions, h.blocked, h.errors,
                      coverage_text(h)]
        else:
            cells += ["–"] * 7
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    return f'<section id="health"><h2>Crawl health</h2><table>{"".join(rows)}</table></section>'
