"""``talkwatch report``: the change-alert report (new, follow-up, changed, with crawl health).

Without ``--channel`` a report is a *view*: it shows the alerts asked for (all, or those from ``--since``
on) and changes nothing, so it can be looked at again. ``--channel NAME`` makes it a *delivery*: only the
alerts NAME has not had yet, marked delivered to NAME once written. A NAME that is a ``[[delivery]]``
channel of ``--config`` is sent through that channel (file, email, webhook, apprise) instead.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.cli import CONFIG_HELP, DB_OR_CONFIG_HELP, add_command
from crawler.errors import ConfigError
from crawler.reports.data import build_report
from crawler.reports.formats import RENDERERS, SUFFIXES, render
from crawler.reports.output import write_text_atomic
from crawler.secrets import mask_secrets
from crawler.service.config import ChannelConfig, Config, load_config
from storage.migrate import require_current_schema
from storage.store import Store

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
SINCE_HELP = ("ISO 8601 with any offset (2025-01-21T10:30+09:00; a time without one is UTC) or a duration "
              "back from now (30m, 24h, 7d, 2w)")


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``--since``: an instant (aware, UTC) from ISO 8601 or a duration such as ``24h``; else ConfigError."""
    text = value.strip()
    match = _DURATION.fullmatch(text)
    try:
        if match:
            amount, unit = float(match.group(1)), _UNITS[match.group(2).lower()]
            return (now or datetime.now(UTC)) - timedelta(**{unit: amount})
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except (ValueError, OverflowError):
        raise ConfigError(f"--since {value!r}: not a time; use {SINCE_HELP}") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "report", description=__doc__.replace("``", ""),
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help=DB_OR_CONFIG_HELP)
    parser.add_argument("--format", choices=list(RENDERERS), default=None,
                        help=f"{', '.join(RENDERERS)} (default: from --out's suffix, else md)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="where to write, - for stdout (default: var/report.<format>)")
    parser.add_argument("--since", metavar="WHEN",
                        help=f"only alerts from this instant on: {SINCE_HELP} (default: every alert)")
    parser.add_argument("--channel", metavar="NAME",
                        help="deliver: only alerts NAME has not had, then mark them delivered to NAME "
                             "(a [[delivery]] channel of --config is sent through that channel) "
                             "(default: none, a view that changes nothing)")
    parser.add_argument("--config", type=Path, metavar="FILE", help=CONFIG_HELP)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    since = parse_since(args.since) if args.since is not None else None
    config = load_config(args.config, sending=bool(args.channel)) if args.config else None
    channel = config.channel(args.channel) if config and args.channel else None
    if channel is not None and (args.out or args.format):
        raise ConfigError(f"--channel {args.channel}: a [[delivery]] channel is sent where and how its "
                          "config says; leave out --out and --format (or name another channel)")
    store = Store(args.db or (config.database_url if config else "") or None)
    require_current_schema(store.db.engine)
    print(f"database: {mask_secrets(store.db.url)}", file=sys.stderr)
    if channel is not None:
        return _deliver(store, channel, config, since)
    fmt = args.format or _format_of(args.out) or "md"
    out = args.out or Path(f"var/report{SUFFIXES[fmt]}")
    path = write_report(store, out, channel=args.channel, since=since, fmt=fmt, config=config)
    if path:
        print(f"report written to {path}", file=sys.stderr)
    return 0


def _deliver(store: Store, channel: ChannelConfig, config: Config | None, since: datetime | None) -> int:
    from crawler.service.delivery import deliver

    if not channel.enabled:
        raise ConfigError(f"--channel {channel.name}: the channel is disabled (enabled = false)")
    result = deliver(store, channel, config, since=since)
    detail = f": {result.error}" if result.error else ""
    print(f"{result.channel}: {result.outcome} ({result.alerts} alerts, {result.alarms} alarms, "
          f"{result.attempts} attempts){detail}", file=sys.stderr)
    return 1 if result.outcome == "failed" else 0


def _format_of(out: Path | None) -> str | None:
    if out is None or str(out) == "-":
        return None
    name = out.name.lower()
    for fmt, suffix in sorted(SUFFIXES.items(), key=lambda kv: -len(kv[1])):
        if name.endswith(suffix) or (fmt == "atom" and name.endswith(".atom")):
            return fmt
    return None


def write_report(store: Store, out: Path, channel: str | None = None, since: datetime | None = None,
                 fmt: str = "md", config: Config | None = None) -> Path | None:
    """Write the report to ``out`` (``-``: stdout). A view (``channel`` None) changes nothing; for a
    channel, the alerts it had not had yet are written and then marked delivered to it."""
    report = build_report(store, channel=channel, since=since, config=config)
    text = render(report, fmt)
    if str(out) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        path = None
    else:
        path = write_text_atomic(out, text)
    if channel is not None:
        store.alerts.mark_delivered(report.alert_ids, channel)
    return path
