"""``talkwatch monitor``: the long-running service (crawls on their intervals, revisits, reports)."""

from __future__ import annotations

import argparse
from pathlib import Path

from crawler.service.config import load_config


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("monitor", help="run the scheduler: crawl every outlet on its interval, report")
    parser.add_argument("--config", type=Path,
                        help="service config (TOML); see deploy/talkwatch.example.toml")
    parser.add_argument("--db", help="database URL (overrides the config and TALKWATCH_DATABASE_URL)")
    parser.add_argument("--mirror", help="crawl this local mirror instead of the live sites")
    parser.add_argument("--standby", action="store_true",
                        help="when another monitor runs on the database, wait and take over when it stops "
                        "(default: exit with a message)")
    parser.add_argument("--lease-seconds", type=float, default=60.0, metavar="S",
                        help="the monitor lease: renewed every third of it; a monitor killed outright is "
                        "replaced after this long at most (default 60)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from crawler.errors import ConfigError
    from crawler.service.scheduler import run_monitor

    config = load_config(args.config)
    if args.db:
        config.database_url = args.db
    if args.mirror:
        config.mirror_url = args.mirror
    if not 3 <= args.lease_seconds <= 3600:
        raise ConfigError("--lease-seconds must be between 3 and 3600")
    return run_monitor(config, standby=args.standby, lease_ttl=timedelta(seconds=args.lease_seconds))
