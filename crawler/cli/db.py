"""``talkwatch db upgrade|current``: the database schema, through the Alembic migrations."""

from __future__ import annotations

import argparse

from crawler.cli import DB_HELP, add_command
from storage.db import database_url, make_engine
from storage.migrate import current_revision, head_revision, upgrade


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "db")
    parser.add_argument("action", choices=("upgrade", "current"),
                        help="upgrade: migrate the database (back it up first); current: print its revision "
                             "and the newest")
    parser.add_argument("--db", help=DB_HELP)
    parser.add_argument("--revision", default="head",
                        help="upgrade only as far as this revision (default: %(default)s, the newest)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    engine = make_engine(database_url(args.db))
    try:
        if args.action == "upgrade":
            before = current_revision(engine)
            upgrade(engine, args.revision)
            print(f"database at revision {current_revision(engine)} (was {before or 'empty'})")
        else:
            print(f"{current_revision(engine) or 'empty'} (head: {head_revision()})")
    finally:
        engine.dispose()
    return 0
