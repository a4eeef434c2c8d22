"""``talkwatch demo``: the whole path offline — mirror, crawls, an edit, a follow-up, the report."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from crawler.cli import add_command
from crawler.mirror.server import MirrorServer
from crawler.outlets import OUTLET_NAMES
from crawler.reports.data import build_report
from crawler.reports.formats import render
from crawler.reports.output import write_text_atomic
from crawler.service.crawl import run_crawl
from storage.migrate import ensure_schema
from storage.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "demo")
    parser.add_argument("--dir", type=Path, default=Path("var/demo"),
                        help="folder for the demo's SQLite database and its report, emptied of an earlier "
                             "demo's files first (default: %(default)s)")
    parser.add_argument("--outlets", nargs="*", metavar="OUTLET", default=list(OUTLET_NAMES),
                        help=f"outlets to crawl: {', '.join(OUTLET_NAMES)} (default: all)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    workdir: Path = args.dir
    workdir.mkdir(parents=True, exist_ok=True)
    # start from nothing, but remove only what an earlier demo wrote: --dir may be any folder
    for old in [*workdir.glob("talkwatch.sqlite3*"), workdir / "report.md", workdir / "report.html"]:
        old.unlink(missing_ok=True)
    db_path = (workdir / "talkwatch.sqlite3").resolve()
    db_url = f"sqlite:///{db_path}"
    store = Store(db_url)
    ensure_schema(store.db.engine)
    mirror = MirrorServer()
    mirror.start_in_thread()
    print(f"[demo] mirror serving the project's outlet pages at {mirror.base_url}")
    failed = False
    try:
        for state in (1, 2):
            mirror.state = state
            print(f"[demo] mirror state {state}" + (": one readout edited, new follow-ups published"
                                                    if state == 2 else ": first publication"))
            for outlet in args.outlets:
                result = run_crawl(outlet, db_url, mirror_url=mirror.base_url, timeout=120)
                print(f"[demo]   crawl {outlet:<8} {result.outcome}: {result.summary()}")
                if result.outcome == "failed":
                    failed = True
                    print(result.log_tail)
    finally:
        mirror.stop()
    report = build_report(store, channel="demo")
    report_path = write_text_atomic(workdir / "report.md", render(report, "md"))
    html_path = write_text_atomic(workdir / "report.html", render(report, "html"))
    store.alerts.mark_delivered(report.alert_ids, "demo")
    counts = store.counts()
    print(f"[demo] stored {counts['articles']} articles, {counts['versions']} versions, "
          f"{counts['threads']} threads, {counts['alerts']} alerts from {counts['fetches']} fetches")
    print(f"[demo] database: {db_path}")
    print(f"[demo] report:   {report_path.resolve()}")
    print(f"[demo] (HTML):   {html_path.resolve()}")
    print(f"[demo] done in {time.monotonic() - started:.1f} s")
    print(f"[demo] open it in the desk: talkwatch serve --db {db_url}  (then http://127.0.0.1:8765/)")
    # the demo keeps its own database: without --db, the other commands open the default one
    print(f"[demo] look at it:          talkwatch status --db {db_url}")
    print(f"[demo]                      talkwatch report --db {db_url}")
    return 1 if failed else 0
