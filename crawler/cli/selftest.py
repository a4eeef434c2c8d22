"""``talkwatch selftest faults``: crawl the fault site and print fault → outcome → versions → retried."""

from __future__ import annotations

import argparse
import json

from crawler.cli import add_command
from crawler.service.selftest import format_table, run_fault_matrix


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "selftest")
    parser.add_argument("suite", choices=["faults"], help="faults: every fault the mirror can serve, crawled")
    parser.add_argument("--json", action="store_true",
                        help="also print the matrix as JSON on the last line: "
                             "[{fault, outcome, versions_written, retried, crashed}, ...]")
    parser.add_argument("--db", help="database URL to crawl into (default: a fresh temporary SQLite file)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    results = run_fault_matrix(args.db)
    print(format_table(results))
    failed = [r.fault for r in results if not r.handled]
    print(f"{len(results) - len(failed)}/{len(results)} faults handled"
          + (f"; not handled: {', '.join(failed)}" if failed else ""))
    if args.json:
        print(json.dumps([r.as_json() for r in results], ensure_ascii=False))
    return 1 if failed else 0
