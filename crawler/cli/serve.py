"""``talkwatch serve``: the analyst's desk in a browser — talks, timelines, article histories with diffs,
edits, search, crawl health and Atom feeds. Bound to 127.0.0.1; any other interface needs a token."""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from crawler.cli import DB_HELP, add_command
from crawler.web.security import is_loopback
from storage.migrate import require_current_schema
from storage.store import Store

DEFAULT_PORT = 8765


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "serve")
    parser.add_argument("--db", help=DB_HELP)
    parser.add_argument("--host", default="127.0.0.1",
                        help="interface to listen on; any but loopback needs --token (default: %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default: %(default)s)")
    # the default is not shown: it is a secret
    parser.add_argument("--token", default=os.environ.get("TALKWATCH_SERVE_TOKEN"),
                        help="access token every request must carry (?token=, a cookie, or "
                             "Authorization: Bearer); 'generate' makes one "
                             "(default: TALKWATCH_SERVE_TOKEN, else none)")
    parser.add_argument("--reindex", action="store_true",
                        help="rebuild the search index from the stored versions before serving")
    parser.add_argument("--threads", type=int, default=4, help="worker threads (default: %(default)s)")
    parser.set_defaults(handler=run)


def check_access(host: str, token: str | None) -> str | None:
    """Why this bind is refused, or None."""
    if not is_loopback(host) and not token:
        return (f"--host {host} would open the dashboard to the network: give an access token "
                "(--token T, or --token generate), or keep the default 127.0.0.1")
    if token is not None and len(token) < 16:
        return "the access token is too short: use at least 16 characters (--token generate makes one)"
    return None


def run(args: argparse.Namespace) -> int:
    token = secrets.token_urlsafe(24) if args.token == "generate" else args.token
    refusal = check_access(args.host, token)
    if refusal:
        print(f"talkwatch serve: {refusal}", file=sys.stderr)
        return 2
    store = Store(args.db)
    require_current_schema(store.db.engine)
    from waitress import create_server

    from crawler.web import create_app

    app = create_app(store, token=token)
    index = app.extensions["talkwatch_search"]
    if args.reindex:
        print(f"[serve] search index rebuilt: {index.rebuild()} versions")
    server = create_server(app, host=args.host, port=args.port, threads=args.threads, ident="talkwatch")
    # bound by now: the address printed answers (port 0 picks a free one)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    port = getattr(server, "effective_port", args.port)
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"[serve] talkwatch desk on {url}  (Ctrl-C stops it)", flush=True)
    stop_indexing = index.start_background()
    try:
        server.run()
    finally:
        stop_indexing.set()
        server.close()
        store.db.dispose()
    return 0
