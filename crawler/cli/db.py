"""``talkwatch db upgrade|current``: the database schema, through the Alembic migrations."""

from __future__ import annotations

import argparse

from storage.db import database_url, make_engine
from storage.migrate import current_revision, head_revision, upgrade


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("db", help="database schema: upgrade to the newest revision, or show it")
    parser.add_argument("action", choices=("upgrade", "current"))
    parser.add_argument("--db", help="SQLAlchemy database URL "
                        "(default: TALKWATCH_DATABASE_URL or the SQLite file)")
    parser.add_argument("--revision", default="head", help="upgrade only this far (default: head)")
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
