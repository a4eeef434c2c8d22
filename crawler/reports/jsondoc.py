"""The report as JSON, for other programs. Schema ``talkwatch-report/1``::

    {
      "schema": "talkwatch-report/1",
      "generated_at": "2026-01-21T09:00:00+00:00",      # ISO 8601, UTC
      "channel": "desk" | null,                          # delivered to it (alerts it had are left out);
                                                         # null: a view of every alert since "since"
      "since": "2026-01-20T00:00:00+00:00" | null,
      "counts": {"new": int, "follow_up": int, "changed": int, "alarms": int},
      "threads": [                                       # new talks and follow-ups, grouped by event thread
        {"thread_id": int | null, "title": str,
         "new": [Article...], "follow_ups": [Article...]}
      ],
      "changed": [Article...],                           # edited articles, each with its "change"
      "alarms": [{"outlet": str, "kind": "silent" | "zero_items" | "coverage_drop" | "blocked" | "failed",
                  "message": str}],
      "health": [{"outlet": str,
                  "last_run": null | {"run_id": str, "started_at": str, "finished_at": str | null,
                  "outcome": "ok" | "failed" | "timeout" | "interrupted", "returncode": int | null},
                  "pages": int, "items": int, "new_versions": int, "changed_versions": int,
                  "not_modified": int, "rejected": int, "blocked": int, "errors": int, "blocked_ratio": float,
                  "parsed": int,
                  "coverage": {"title": float | null, "date": float | null, "body": float | null}}]
    }

An Article::

    {"alert_id": int, "kind": "new" | "follow-up" | "changed", "alerted_at": str,
     "key": "outlet:id", "outlet": str, "url": str, "title": str, "published": str | null,
     "label": "ministerial" | "related" | "other" | null, "explanation": str,
     "thread_id": int | null, "thread_title": str | null,
     "role": "opener" | "follow-up" | "official" | null,
     "copy_of": "outlet:id" | null,                      # a syndicated copy of that article, not a report
     "body_complete": bool,                              # false: a teaser (e.g. NHK behind its consent step)
     "version": int,
     "change": null | {"kind": str,  # the fields that changed: "title", "title+body", "correction+body"
                       "chars_added": int, "chars_removed": int,
                       "diff": {field: [op...]}}}      # only on "changed" alerts

A diff op is ``{"op": "equal" | "insert" | "delete", "text": str}`` or
``{"op": "replace", "old": str, "new": str, "chars": [["equal" | "insert" | "delete", str], ...]}``
(sentence-level, then character-level inside a replaced sentence): the stored opcodes read against the
previous version (``storage.diff.render``).
Health fields are ``0`` / ``null`` before the monitor's first run of an outlet.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from crawler.reports.data import Report
from storage.alerts import AlertView

SCHEMA = "talkwatch-report/1"


def to_data(report: Report) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "generated_at": _time(report.generated_at),
        "channel": report.channel,
        "since": _time(report.since),
        "counts": report.counts,
        "threads": [{"thread_id": t.thread_id, "title": t.title, "new": [_article(a) for a in t.new],
                     "follow_ups": [_article(a) for a in t.follow_ups]} for t in report.threads],
        "changed": [_article(a) for a in report.changed],
        "alarms": [{"outlet": a.outlet, "kind": a.kind, "message": a.message} for a in report.alarms],
        "health": [_health(row) for row in report.health],
    }


# "<", ">" and "&" only occur inside JSON strings, so as \u escapes the document stays the same data but
# cannot close a <script> block or open markup when a page embeds it; U+2028/2029 break JavaScript strings
_INERT = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                        "\u2029": "\\u2029"})


def dumps(data: Any) -> str:
    """JSON that is safe to embed anywhere (see ``_INERT``)."""
    return json.dumps(data, ensure_ascii=False).translate(_INERT)


def render(report: Report) -> str:
    return json.dumps(to_data(report), ensure_ascii=False, indent=1).translate(_INERT) + "\n"


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()  # SQLite gives naive UTC


def _article(alert: AlertView) -> dict[str, Any]:
    change = None
    if alert.kind == "changed":
        change = {"kind": alert.change_kind, "chars_added": alert.chars_added,
                  "chars_removed": alert.chars_removed, "diff": alert.diff}
    return {
        "alert_id": alert.alert_id, "kind": alert.kind, "alerted_at": _time(alert.created_at),
        "key": alert.article_key, "outlet": alert.outlet, "url": alert.url, "title": alert.title,
        "published": alert.published, "label": alert.label, "explanation": alert.explanation,
        "thread_id": alert.thread_id, "thread_title": alert.thread_title, "role": alert.role,
        "copy_of": alert.copy_of, "body_complete": alert.body_complete, "version": alert.version_seq,
        "change": change,
    }


def _health(row: Any) -> dict[str, Any]:
    run = row.last_run
    health = row.health.to_dict() if row.health else {
        "pages": 0, "items": 0, "new_versions": 0, "changed_versions": 0, "not_modified": 0, "rejected": 0,
        "blocked": 0, "errors": 0, "blocked_ratio": 0.0, "parsed": 0,
        "coverage": {"title": None, "date": None, "body": None}}
    last = None if run is None else {"run_id": run.run_id, "started_at": _time(run.started_at),
                                     "finished_at": _time(run.finished_at), "outcome": run.outcome,
                                     "returncode": run.returncode}
    return {"outlet": row.outlet, "last_run": last, **health}
