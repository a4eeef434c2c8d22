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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from crawler.service.scheduler import run_monitor

    config = load_config(args.config)
    if args.db:
        config.database_url = args.db
    if args.mirror:
        config.mirror_url = args.mirror
    return run_monitor(config)
