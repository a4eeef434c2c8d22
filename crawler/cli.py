"""``talkwatch``: the command line. Each sub-command lives in ``crawler/commands/<name>.py``."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib import import_module

from crawler.errors import ENVIRONMENT_ERRORS, ConfigError, describe_error
from crawler.outlets import UnknownOutlet
from storage.db import BadDatabaseURL

COMMANDS = (
    "demo",
    "mirror",
    "crawl",
    "report",
    "parse",
    "topics",
    "monitor",
    "status",
    "db",
    "reextract",
    "selftest",
    "serve",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="talkwatch", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        import_module(f"crawler.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # schema upgrades are not news to a user
    try:
        return int(args.handler(args) or 0)
    except (ConfigError, BadDatabaseURL, UnknownOutlet) as exc:
        print(f"talkwatch: {exc}", file=sys.stderr)
        return 2
    except ENVIRONMENT_ERRORS as exc:  # a read-only or full database, a full disk: no traceback
        print(f"talkwatch: {describe_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
