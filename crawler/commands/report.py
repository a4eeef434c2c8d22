"""``talkwatch report``: what is new, follow-up or changed since the last report, with crawl health."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from crawler.config import Config, load_config
from crawler.reports.data import build_report
from crawler.reports.formats import RENDERERS, SUFFIXES, render
from crawler.reports.output import write_text_atomic
from storage import Store
from storage.migrate import ensure_schema


def _since(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # a bare time is UTC, as stored


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("report", help="write the change-alert report (md, html, json, atom)")
    parser.add_argument("--db", help="SQLAlchemy database URL")
    parser.add_argument("--format", choices=list(RENDERERS), default=None,
                        help="md (default), html, json or atom; default from --out's suffix")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write (- for stdout); default var/report.<format>")
    parser.add_argument("--since", type=_since,
                        help="only alerts from this time on (ISO 8601, UTC unless it says); "
                             "default: everything not yet reported to the channel")
    parser.add_argument("--channel", default="report",
                        help="alerts already reported to this channel are skipped")
    parser.add_argument("--config", type=Path, help="service config (TOML) for the health thresholds")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config) if args.config else None
    store = Store(args.db or (config.database_url if config else "") or None)
    ensure_schema(store)
    fmt = args.format or _format_of(args.out) or "md"
    out = args.out or Path(f"var/report{SUFFIXES[fmt]}")
    path = write_report(store, out, channel=args.channel, since=args.since, fmt=fmt,
                        config=config)
    if path:
        print(f"report written to {path}", file=sys.stderr)
    return 0


def _format_of(out: Path | None) -> str | None:
    if out is None or str(out) == "-":
        return None
    name = out.name.lower()
    for fmt, suffix in sorted(SUFFIXES.items(), key=lambda kv: -len(kv[1])):
        if name.endswith(suffix) or (fmt == "atom" and name.endswith(".atom")):
            return fmt
    return None


def write_report(store: Store, out: Path, channel: str = "report", since: datetime | None = None,
                 fmt: str = "md", config: Config | None = None) -> Path | None:
    """Render the alerts not yet reported to ``channel``; mark them reported once written."""
    report = build_report(store, channel=channel, since=since, config=config)
    text = render(report, fmt)
    if str(out) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        path = None
    else:
        path = write_text_atomic(out, text)
    store.mark_delivered(report.alert_ids, channel)
    return path
