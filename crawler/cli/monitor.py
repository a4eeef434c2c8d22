"""``talkwatch monitor``: the long-running service (crawls on their intervals, revisits, reports)."""

from __future__ import annotations

import argparse
from pathlib import Path

from crawler.cli import CONFIG_HELP, DB_OR_CONFIG_HELP, MIRROR_HELP, add_command
from crawler.service.config import check_politeness, load_config


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "monitor")
    parser.add_argument("--config", type=Path, metavar="FILE", help=CONFIG_HELP)
    parser.add_argument("--db", help=DB_OR_CONFIG_HELP)
    parser.add_argument("--mirror", metavar="URL", help=MIRROR_HELP)
    parser.add_argument("--standby", action="store_true",
                        help="when another monitor runs on the database, wait and take over when it stops "
                        "(default: exit with a message)")
    parser.add_argument("--lease-seconds", type=float, default=60.0, metavar="S",
                        help="the monitor lease: renewed every third of it; a monitor killed outright is "
                        "replaced after this long at most (default: %(default)s)")
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
    check_politeness(config)
    if not 3 <= args.lease_seconds <= 3600:
        raise ConfigError("--lease-seconds must be between 3 and 3600")
    return run_monitor(config, standby=args.standby, lease_ttl=timedelta(seconds=args.lease_seconds))
