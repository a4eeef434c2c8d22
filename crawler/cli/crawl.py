"""``talkwatch crawl OUTLET``: one crawl, in its own process."""

from __future__ import annotations

import argparse
from urllib.parse import urlsplit

from crawler.cli import DB_HELP, MIRROR_HELP, add_command
from crawler.errors import ConfigError
from crawler.outlets import OUTLET_NAMES, UnknownOutlet
from crawler.secrets import mask_secrets
from crawler.service.crawl import CrawlResult, run_crawl
from storage import lease
from storage.db import database_url
from storage.migrate import require_current_schema
from storage.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "crawl")
    parser.add_argument("outlets", nargs="*", metavar="OUTLET", default=list(OUTLET_NAMES),
                        help=f"outlets to crawl, one after another: {', '.join(OUTLET_NAMES)} (default: all)")
    parser.add_argument("--db", help=DB_HELP)
    parser.add_argument("--mirror", metavar="URL", help=MIRROR_HELP)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.mirror:
        parts = urlsplit(args.mirror)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ConfigError(f"--mirror {args.mirror!r} is not an http(s) URL; "
                              "give it like http://127.0.0.1:8800")
    unknown = [name for name in args.outlets if name not in OUTLET_NAMES]
    if unknown:  # before the database is opened: a typo must not create one
        raise UnknownOutlet(unknown[0])
    url = database_url(args.db)
    _check_database(url)
    print(f"database: {mask_secrets(url)}")
    failed = 0
    for outlet in args.outlets:
        busy = _running_crawl(url, outlet)
        result = None if busy else run_crawl(outlet, url, mirror_url=args.mirror)
        if busy or (result is not None and result.locked_by):
            # the crawl process itself refuses too (CrawlLock); asking first spares starting one
            holder = busy.holder if busy else result.locked_by if result else ""
            print(f"{outlet}: not crawled — another crawl of {outlet} is running ({holder}); "
                  "try again when it has finished")
            failed += 1
            continue
        assert result is not None
        print(f"{outlet}: {result.outcome} — {result.summary()}")
        if result.outcome == "failed":
            failed += 1
            print(result.log_tail if not result.ok else _why_failed(result))
    return 1 if failed else 0


def _running_crawl(url: str, outlet: str) -> lease.Lease | None:
    store = Store(url)
    try:
        return store.leases.live_holder(lease.crawl_lease(outlet))
    finally:
        store.db.dispose()


def _check_database(url: str) -> None:
    """Open the database here first: a server that is down or a file that cannot be written is one
    line from the CLI, not a traceback from inside each crawl."""
    store = Store(url)
    try:
        require_current_schema(store.db.engine)
    finally:
        store.db.dispose()


def _why_failed(result: CrawlResult) -> str:
    health = result.health
    if health.storage_errors:
        errors = [line for line in result.log_tail.splitlines() if "] ERROR: " in line]
        shown = "".join(f"\n  {line.split('] ERROR: ', 1)[1]}" for line in errors[-3:])
        return ("  the database could not be written; what is not stored stays pending and the next crawl "
                f"asks for it again{shown}")
    return "  nothing could be fetched: is the network (or the --mirror URL) reachable?"
