"""``talkwatch``: the command line. Each sub-command lives in ``crawler/cli/<name>.py``."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib import import_module
from typing import Any

DESCRIPTION = ("Watch Japanese and US outlets for news of US–Japan ministerial talks: crawl them, keep "
               "every version of every article, report what is new, a follow-up or changed.")
EPILOG = "`talkwatch COMMAND --help` shows a command's arguments and their defaults."

# command -> (module in crawler/cli/, one line for `talkwatch --help` and the command's own --help).
# Only the module of the command being run is imported: `talkwatch --help` does not load Scrapy,
# SQLAlchemy or the vocabulary, and each module imports the heavy parts it needs where it uses them.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "run the whole path offline: the local mirror, two crawls, an edit, the report"),
    "mirror": ("mirror", "serve the captured outlet pages on loopback, for crawls and tests"),
    "crawl": ("crawl", "crawl outlets (default: all) into the database, once"),
    "report": ("report", "show the change-alert report, or deliver it to a channel"),
    "parse": ("parse", "parse a saved page, feed or sitemap with an outlet's parser; print JSON"),
    "classify": ("topics", "label a text ministerial, related or other, with the terms that fired"),
    "eval-topics": ("topics", "measure the topic flag's precision and recall on labelled JSONL"),
    "monitor": ("monitor", "run the service: crawl each outlet on its interval, revisit, report"),
    "status": ("status", "show each monitor job's last and next run, crawl health and alarms"),
    "db": ("db", "upgrade the database schema to the newest revision, or show its revision"),
    "reextract": ("reextract", "re-parse the stored raw pages and rebuild the versions (no refetch)"),
    "selftest": ("selftest", "crawl the mirror's fault site and show how each fault is handled"),
    "serve": ("serve", "serve the web desk: talks, timelines, diffs, search, health, feeds"),
}

# the help of the options several commands share
DB_HELP = ("SQLAlchemy database URL, e.g. postgresql+psycopg://user@host/talkwatch "
           "(default: TALKWATCH_DATABASE_URL, else the SQLite file var/talkwatch.sqlite3 of this checkout)")
DB_OR_CONFIG_HELP = DB_HELP.replace("(default: ", "(default: the --config's database_url, else ")
CONFIG_HELP = ("service config (TOML): outlets and intervals, health thresholds, delivery channels; see "
               "deploy/talkwatch.example.toml (default: none, the built-in defaults)")
MIRROR_HELP = ("crawl the local mirror at this http(s) URL, e.g. http://127.0.0.1:8800, instead of the "
               "live sites (default: the live sites)")


def add_command(sub: argparse._SubParsersAction, name: str, **options: Any) -> argparse.ArgumentParser:
    """The parser of sub-command ``name``, described by its line in :data:`COMMANDS`."""
    line = COMMANDS[name][1]
    options.setdefault("description", line[:1].upper() + line[1:] + ".")
    return sub.add_parser(name, help=line, **options)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser, with the full arguments of the command named in ``argv`` (all, when ``None``)."""
    parser = argparse.ArgumentParser(prog="talkwatch", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    parser.add_argument("--version", action=_Version, help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = _command_named(argv)
    modules = {module for name, (module, _) in COMMANDS.items() if argv is None or name == chosen}
    for module in sorted(modules):
        import_module(f"crawler.cli.{module}").register(sub)
    for name, (module, _) in COMMANDS.items():
        if module not in modules:
            add_command(sub, name)
    return parser


class _Version(argparse.Action):
    """``--version``: the installed version, looked up only when asked for."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from importlib import metadata

        try:
            version = metadata.version("talkwatch")
        except metadata.PackageNotFoundError:  # run from a checkout that was never installed
            version = "(not installed)"
        print(f"talkwatch {version}")
        parser.exit()


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

