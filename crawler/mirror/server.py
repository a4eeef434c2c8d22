"""The mirror's HTTP server (stdlib, threaded, loopback only)."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Iterator
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


FAULTS = ("reset", "timeout", "truncate", "slow")
# how long a fault holds the connection when the entry gives no ``delay``
_DEFAULT_DELAY = {"timeout": 10.0, "slow": 1.0}
_CHUNK = 64 * 1024


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
    fault: str | None = None  # reset, timeout, truncate, slow
    delay: float | None = None  # seconds a timeout / slow fault holds the connection
    times: int | None = None  # the entry answers only the first N requests of its URL
    generate_bytes: int | None = None  # a body of exactly N bytes, made on the fly
    encoding: str | None = None  # re-encode the (UTF-8) file in this charset
    no_length: bool = False  # a generated body sent without Content-Length, ended by closing

    def active(self, state: int, attempt: int = 1) -> bool:
        """Served in scenario ``state`` to the ``attempt``-th request (1-based) of its URL?"""
        if self.times is not None and attempt > self.times:
            return False
        return self.since <= state and (self.until is None or state <= self.until)

    def fault_delay(self) -> float:
        return self.delay if self.delay is not None else _DEFAULT_DELAY.get(self.fault or "", 0.0)

    def body(self) -> bytes:
        if self.file is None:
            return b""
        if self.encoding:
            return self.file.read_text("utf-8").encode(self.encoding)
        return self.file.read_bytes()

    def chunks(self) -> Iterator[bytes]:
        """The generated body: an HTML page padded to ``generate_bytes``, one chunk at a time."""
        size = self.generate_bytes or 0
        head, tail = b"<!DOCTYPE html><html><body><p>", b"</p></body></html>\n"
        filler = max(size - len(head) - len(tail), 0)
        yield head[:size]
        while filler > 0:
            step = min(filler, _CHUNK)
            yield b"x" * step
            filler -= step
        if size >= len(head) + len(tail):
            yield tail

    def etag_seed(self) -> bytes:
        if self.generate_bytes is not None:
            return f"generated:{self.url}:{self.generate_bytes}".encode()
        return self.body()


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
    fault = entry.get("fault")
    if fault is not None and fault not in FAULTS:
        raise RoutesError(f"{where}: fault {fault!r} is not one of {', '.join(FAULTS)}")
    encoding = entry.get("encoding")
    if encoding:
        try:
            "".encode(encoding)
        except LookupError:
            raise RoutesError(f"{where}: unknown encoding {encoding!r}") from None
    generate = entry.get("generate_bytes")
    content_type = entry.get("content_type") or (CONTENT_TYPES.get(file.suffix) if file else None)
    if encoding and not entry.get("content_type"):
        content_type = f"text/html; charset={encoding}"
    if generate is not None and not content_type:
        content_type = "text/html; charset=utf-8"
    return Route(
        url=entry["url"],
        status=int(entry.get("status", 301 if redirect else 200)),
        file=file,
        content_type=content_type,
        redirect=redirect,
        headers={str(k): str(v) for k, v in (entry.get("headers") or {}).items()},
        since=int(entry.get("since", 1)),
        until=int(entry["until"]) if entry.get("until") is not None else None,
        fault=fault,
        delay=float(entry["delay"]) if entry.get("delay") is not None else None,
        times=int(entry["times"]) if entry.get("times") is not None else None,
        generate_bytes=int(generate) if generate is not None else None,
        encoding=encoding,
        no_length=bool(entry.get("no_length", False)),
    )


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a crawl opens many connections at once; the default 5 drops SYNs

    def __init__(self, site_dirs: list[Path] | None = None, host: str = "127.0.0.1", port: int = 0,
                 state: int = 1) -> None:
        self.site_dirs = site_dirs or [SITE_DIR]
        self.routes = load_routes(self.site_dirs)
        self.state = state
        self.hits: dict[str, int] = {}
        self.attempts: dict[str, int] = {}  # requests per URL, faults included
        self.bytes_sent = 0
        self._lock = threading.Lock()
        super().__init__((host, port), MirrorRequestHandler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        if isinstance(host, bytes):  # socketserver allows a bytes host; an IP server is given a str
            host = host.decode()
        return f"http://{host}:{port}"

    def route_for(self, url: str, attempt: int = 1) -> Route | None:
        active = [r for r in self.routes.get(url, []) if r.active(self.state, attempt)]
        return active[-1] if active else None

    def attempt(self, url: str) -> int:
        """Count one more request of ``url``; returns its number (1 for the first)."""
        with self._lock:
            self.attempts[url] = self.attempts.get(url, 0) + 1
            return self.attempts[url]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that gave up (timeouts, size caps) is normal here, not worth a traceback
        log.debug("mirror: connection from %s ended early", client_address, exc_info=True)

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

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
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
        route = self.server.route_for(url, self.server.attempt(url)) if url else None
        if url is None or route is None:
            self._send(404, b"not in mirror\n", {"Content-Type": "text/plain; charset=utf-8"}, send_body, url)
            return
        fault = route.fault
        if fault == "reset":
            self._reset(url)
            return
        if fault in {"timeout", "slow"}:
            time.sleep(route.fault_delay())
            if fault == "timeout":  # the client gave up long ago; hang up without a word
                self._reset(url)
                return
        headers = {"Content-Type": route.content_type or "application/octet-stream", **route.headers}
        if route.generate_bytes is not None:
            self._send_generated(route, headers, send_body, url)
            return
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
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if body and wants_gzip and _compressible(headers["Content-Type"]):
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        if fault == "truncate":
            self._send_truncated(route.status, body, headers, url)
            return
        self._send(route.status, body, headers, send_body, url)

    def _reset(self, url: str) -> None:
        """Drop the connection with a TCP reset (SO_LINGER 0), before any answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.server.count(url, 0)

    def _send_truncated(self, status: int, body: bytes, headers: dict[str, str], url: str) -> None:
        """Promise the whole body in Content-Length, send half of it, hang up."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)
        self.server.count(url, len(body) // 2)

    def _send_generated(self, route: Route, headers: dict[str, str], send_body: bool, url: str) -> None:
        size = route.generate_bytes or 0
        self.send_response(route.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("ETag", '"' + hashlib.sha1(route.etag_seed()).hexdigest()[:20] + '"')
        if route.no_length:
            self.close_connection = True  # the body ends when the connection does
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        if send_body:
            try:
                for chunk in route.chunks():
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:  # the client refused the rest (a size cap): that is the point
                self.close_connection = True
        self.server.count(url, sent)

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # reset or shut down on purpose
            super().finish()

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
