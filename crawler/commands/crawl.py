"""``talkwatch crawl OUTLET``: one crawl, in its own process."""

from __future__ import annotations

import argparse

from crawler.crawl import run_crawl
from crawler.outlets import OUTLET_NAMES
from storage.db import database_url


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("crawl", help="crawl one outlet (or all) into the database")
    parser.add_argument("outlets", nargs="*", default=list(OUTLET_NAMES), help="outlets (default: all)")
    parser.add_argument("--db", help="SQLAlchemy database URL (default: TALKWATCH_DATABASE_URL or "
                        "the SQLite file)")
    parser.add_argument("--mirror", help="crawl this local mirror instead of the live sites")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    failed = 0
    for outlet in args.outlets:
        result = run_crawl(outlet, database_url(args.db), mirror_url=args.mirror)
        print(f"{outlet}: {'ok' if result.ok else 'FAILED'} — {result.summary()}")
        if not result.ok:
            failed += 1
            print(result.log_tail)
    return 1 if failed else 0
