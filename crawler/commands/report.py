"""``talkwatch report``: what is new, follow-up or changed since the last report."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from crawler.reports.data import build_report
from crawler.reports.markdown import render
from storage import Store
from storage.migrate import ensure_schema


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("report", help="write the change-alert report")
    parser.add_argument("--db", help="SQLAlchemy database URL")
    parser.add_argument("--out", type=Path, default=Path("var/report.md"), help="where to write (- for stdout)")
    parser.add_argument("--since", type=datetime.fromisoformat,
                        help="only alerts from this time on (ISO 8601); default: since the last report")
    parser.add_argument("--channel", default="report", help="alerts already reported to this channel are skipped")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    store = Store(args.db)
    ensure_schema(store)
    path = write_report(store, args.out, channel=args.channel, since=args.since)
    print(f"report written to {path}" if path else "")
    return 0


def write_report(store: Store, out: Path, channel: str = "report", since: datetime | None = None) -> Path | None:
    report = build_report(store, channel=channel, since=since)
    text = render(report)
    if str(out) == "-":
        print(text)
        path = None
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        path = out
    store.mark_delivered(report.alert_ids, channel)
    return path
