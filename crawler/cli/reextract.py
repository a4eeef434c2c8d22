"""``talkwatch reextract [--outlet X]``: rebuild versions from the raw snapshots after a parser fix."""

from __future__ import annotations

import argparse

from crawler.outlets import OUTLET_NAMES
from crawler.reextract import reextract
from crawler.syndication import TEXT_RULES
from storage import Store
from storage.migrate import require_current_schema


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("reextract", help="re-parse stored raw pages and rebuild versions (no refetch)")
    parser.add_argument("--outlet", choices=OUTLET_NAMES, help="only this outlet (default: all)")
    parser.add_argument("--db", help="SQLAlchemy database URL "
                        "(default: TALKWATCH_DATABASE_URL or the SQLite file)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    store = Store(args.db, rules=TEXT_RULES)
    try:
        require_current_schema(store.db.engine)
        print(reextract(store, args.outlet).summary())
    finally:
        store.db.dispose()
    return 0
