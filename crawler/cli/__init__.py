"""``talkwatch``: the command line. Each sub-command lives in ``crawler/cli/<name>.py``."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib import import_module, metadata

# command -> (module in crawler/cli/, one line for `talkwatch --help`). Only the module of the
# command being run is imported: `talkwatch --help` does not load Scrapy, SQLAlchemy or the vocabulary.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "offline demo on the local mirror with the embedded SQLite database"),
    "mirror": ("mirror", "serve the local mirror of outlet pages (loopback only)"),
    "crawl": ("crawl", "crawl one outlet (or all) into the database"),
    "report": ("report", "show the change-alert report, or deliver it to a channel"),
    "parse": ("parse", "run an outlet's parser on a saved page, feed or sitemap; print JSON"),
    "classify": ("topics", "label a text, with the terms that fired"),
    "eval-topics": ("topics", "precision/recall of the flag on labelled JSONL"),
    "monitor": ("monitor", "run the scheduler: crawl every outlet on its interval, report"),
    "status": ("status", "last and next run of every monitor job, crawl health, alarms"),
    "db": ("db", "database schema: upgrade to the newest revision, or show it"),
    "reextract": ("reextract", "re-parse stored raw pages and rebuild versions (no refetch)"),
    "selftest": ("selftest", "self-tests against the local mirror (faults: the fault matrix)"),
    "serve": ("serve", "the web dashboard: talks, timelines, diffs, search, health, feeds"),
}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser, with the full arguments of the command named in ``argv`` (all, when ``None``)."""
    parser = argparse.ArgumentParser(prog="talkwatch", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"talkwatch {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = _command_named(argv)
    modules = {module for name, (module, _) in COMMANDS.items() if argv is None or name == chosen}
    for module in sorted(modules):
        import_module(f"crawler.cli.{module}").register(sub)
    for name, (module, help_text) in COMMANDS.items():
        if module not in modules:
            sub.add_parser(name, help=help_text)
    return parser


def _version() -> str:
    try:
        return metadata.version("talkwatch")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _command_named(argv: list[str] | None) -> str | None:
    words = [word for word in (sys.argv[1:] if argv is None else argv) if not word.startswith("-")]
    return words[0] if words else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # schema upgrades are not news to a user
    from crawler.errors import ENVIRONMENT_ERRORS, ConfigError, describe_error
    from crawler.outlets import UnknownOutlet
    from crawler.secrets import mask_secrets
    from storage.db import BadDatabaseURL
    from storage.migrate import SchemaOutOfDate

    try:
        return int(args.handler(args) or 0)
    except (ConfigError, BadDatabaseURL, UnknownOutlet, SchemaOutOfDate) as exc:
        print(f"talkwatch: {mask_secrets(str(exc))}", file=sys.stderr)
        return 2
    except ENVIRONMENT_ERRORS as exc:  # a read-only or full database, a full disk: no traceback
        print(f"talkwatch: {describe_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

