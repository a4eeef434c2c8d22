"""``talkwatch reextract [--outlet X]``: rebuild versions from the raw snapshots after a parser fix."""

from __future__ import annotations

import argparse

from crawler.cli import DB_HELP, add_command
from crawler.outlets import OUTLET_NAMES
from crawler.reextract import reextract
from crawler.syndication import TEXT_RULES
from storage.migrate import require_current_schema
from storage.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(
        sub, "reextract",
        description="Re-parse every stored raw article page with today's parsers, rebuild the versions "
                    "and flag the rebuilt ones again. A parser error on one page is reported and skipped "
                    "(its article is left as it was); the exit status is then 1.")
    parser.add_argument("--outlet", choices=OUTLET_NAMES, help="only this outlet's pages (default: all)")
    parser.add_argument("--db", help=DB_HELP)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    store = Store(args.db, rules=TEXT_RULES)
    try:
        require_current_schema(store.db.engine)
        report = reextract(store, args.outlet)
        print(report.summary())
    finally:
        store.db.dispose()
    return 1 if report.parser_errors else 0
