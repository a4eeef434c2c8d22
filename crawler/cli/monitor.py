"""``talkwatch monitor``: the long-running service (crawls on their intervals, revisits, reports)."""

from __future__ import annotations

import argparse
from pathlib import Path

from crawler.cli import CONFIG_HELP, DB_OR_CONFIG_HELP, MIRROR_HELP, add_command
from crawler.service.config import load_config


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "monitor")
    parser.add_argument("--config", type=Path, metavar="FILE", help=CONFIG_HELP)
    parser.add_argument("--db", help=DB_OR_CONFIG_HELP)
    parser.add_argument("--mirror", metavar="URL", help=MIRROR_HELP)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from crawler.service.scheduler import run_monitor

    config = load_config(args.config)
    if args.db:
        config.database_url = args.db
    if args.mirror:
        config.mirror_url = args.mirror
    return run_monitor(config)
