"""The mirror's HTTP server (stdlib, threaded, loopback only)."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from crawler.mirror import SITE_DIR
from crawler.mirror.routing import real_url

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".rdf": "application/rdf+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}
# Last-Modified of an entry: a fixed day plus its first state, so an edit moves it forward
_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


class RoutesError(ValueError):
    """A routes.yaml that cannot be served; the message names the file and the entry."""


@dataclass
class Route:
    url: str
    status: int = 200
    file: Path | None = None
    content_type: str | None = None
    redirect: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    since: int = 1
    until: int | None = None

    def active(self, state: int) -> bool:
        return self.since <= state and (self.until is None or state <= self.until)

    def body(self) -> bytes:
        return self.file.read_bytes() if self.file else b""


def load_routes(site_dirs: list[Path]) -> dict[str, list[Route]]:
    """Every ``*/routes.yaml`` under the site folders, by real URL, in file order."""
    routes: dict[str, list[Route]] = {}
    for site in site_dirs:
        for routes_file in sorted(Path(site).glob("*/routes.yaml")):
            for index, entry in enumerate(yaml.safe_load(routes_file.read_text("utf-8")) or []):
                route = _route(routes_file, index, entry)
                routes.setdefault(route.url, []).append(route)
    return routes


def _route(routes_file: Path, index: int, entry: Any) -> Route:
    where = f"{routes_file} entry {index + 1}"
    if not isinstance(entry, dict) or "url" not in entry:
        raise RoutesError(f"{where}: each entry needs a 'url'")
    file = routes_file.parent / entry["file"] if entry.get("file") else None
    if file is not None and not file.is_file():
        raise RoutesError(f"{where}: file {entry['file']!r} does not exist")
    redirect = entry.get("redirect")
    return Route(
        url=entry["url"],
        status=int(entry.get("status", 301 if redirect else 200)),
        file=file,
        content_type=entry.get("content_type") or (CONTENT_TYPES.get(file.suffix) if file else None),
        redirect=redirect,
        headers={str(k): str(v) for k, v in (entry.get("headers") or {}).items()},
        since=int(entry.get("since", 1)),
        until=int(entry["until"]) if entry.get("until") is not None else None,
    )


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site_dirs: list[Path] | None = None, host: str = "127.0.0.1", port: int = 0,
                 state: int = 1) -> None:
        self.site_dirs = site_dirs or [SITE_DIR]
        self.routes = load_routes(self.site_dirs)
        self.state = state
        self.hits: dict[str, int] = {}
        self.bytes_sent = 0
        self._lock = threading.Lock()
        super().__init__((host, port), MirrorRequestHandler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def route_for(self, url: str) -> Route | None:
        active = [r for r in self.routes.get(url, []) if r.active(self.state)]
        return active[-1] if active else None

    def count(self, url: str, sent: int) -> None:
        with self._lock:
            self.hits[url] = self.hits.get(url, 0) + 1
            self.bytes_sent += sent

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="talkwatch-mirror", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class MirrorRequestHandler(BaseHTTPRequestHandler):
    server: MirrorServer
    protocol_version = "HTTP/1.1"
    server_version = "talkwatch-mirror/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("mirror: " + format, *args)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_POST(self) -> None:
        # control: POST /_mirror/state?value=2
        parts = urlsplit(self.path)
        if parts.path == "/_mirror/state":
            value = parse_qs(parts.query).get("value", [""])[0]
            if value.isdigit() and int(value) >= 1:
                self.server.state = int(value)
                self._send_json({"state": self.server.state})
                return
            self._send_json({"error": "value must be a state number >= 1"}, status=400)
            return
        self._send_json({"error": "unknown control path"}, status=404)

    def _serve(self, send_body: bool) -> None:
        if self.path.startswith("/_mirror/"):
            self._send_json({"state": self.server.state, "hits": self.server.hits,
                             "bytes_sent": self.server.bytes_sent})
            return
        url = real_url(self.path)
        route = self.server.route_for(url) if url else None
        if route is None:
            self._send(404, b"not in mirror\n", {"Content-Type": "text/plain; charset=utf-8"}, send_body, url)
            return
        headers = {"Content-Type": route.content_type or "application/octet-stream", **route.headers}
        if route.redirect:
            headers["Location"] = route.redirect
            self._send(route.status, b"", headers, send_body, url)
            return
        body = route.body()
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        modified = _EPOCH + timedelta(days=route.since - 1)
        headers.update({"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)})
        if route.status == 200 and self._not_modified(etag, modified):
            self._send(304, b"", {"ETag": etag, "Last-Modified": headers["Last-Modified"]}, send_body, url)
            return
        if body and "gzip" in self.headers.get("Accept-Encoding", "") and _compressible(headers["Content-Type"]):
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        self._send(route.status, body, headers, send_body, url)

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110)
            return etag in [t.strip() for t in if_none_match.split(",")] or if_none_match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return modified <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, body: bytes, headers: dict[str, str], send_body: bool,
              url: str | None) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)
        self.server.count(url or self.path, len(body) if send_body else 0)

    def _send_json(self, data: dict[str, Any], status: int = 200) -> None:
        body = json.dumps(data).encode()
        self._send(status, body, {"Content-Type": "application/json"}, True, None)


def _compressible(content_type: str) -> bool:
    return content_type.startswith(("text/", "application/xml", "application/rss", "application/json",
                                     "application/rdf", "application/atom"))
