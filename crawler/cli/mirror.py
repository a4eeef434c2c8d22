"""``talkwatch mirror``: serve captured pages on loopback."""

from __future__ import annotations

import argparse
from pathlib import Path

from crawler.cli import add_command
from crawler.mirror import SITE_DIR
from crawler.mirror.server import MirrorServer


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "mirror")
    parser.add_argument("--site", type=Path, action="append", metavar="FOLDER",
                        help=f"site folder with <outlet>/routes.yaml; repeat for several "
                             f"(default: {SITE_DIR})")
    parser.add_argument("--port", type=int, default=8800, help="port on 127.0.0.1 (default: %(default)s)")
    parser.add_argument("--state", type=int, default=1,
                        help="scenario state to serve first; POST /_mirror/state?value=N switches "
                             "(default: %(default)s)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    server = MirrorServer(args.site or [SITE_DIR], port=args.port, state=args.state)
    print(f"mirror at {server.base_url} (state {server.state}); "
          f"crawl it with TALKWATCH_MIRROR_URL={server.base_url} scrapy crawl mofa")
    print(f"switch state: curl -X POST '{server.base_url}/_mirror/state?value=2'")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
