"""The mirror's fault behaviours, over plain HTTP."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.mirror.routing import mirror_url
from crawler.mirror.server import MirrorServer, RoutesError, load_routes

PAGE = "<html><head><title>日米外相会談</title></head><body><p>岩屋外務大臣とルビオ国務長官</p></body></html>"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site" / "mofa"
    folder.mkdir(parents=True)
    (folder / "page.html").write_text(PAGE, encoding="utf-8")
    (folder / "routes.yaml").write_text("""
- url: https://x.test/page
  file: page.html
- url: https://x.test/flaky
  file: page.html
- url: https://x.test/flaky
  status: 503
  headers: {Retry-After: "1"}
  times: 1
- url: https://x.test/reset
  fault: reset
- url: https://x.test/truncate
  file: page.html
  fault: truncate
- url: https://x.test/slow
  file: page.html
  fault: slow
  delay: 0.4
- url: https://x.test/huge
  generate_bytes: 3000000
- url: https://x.test/sjis
  file: page.html
  encoding: shift_jis
- url: https://x.test/undeclared
  file: page.html
  encoding: euc_jp
  content_type: text/html
""", encoding="utf-8")
    return tmp_path / "site"


@pytest.fixture
def server(site: Path) -> Iterator[MirrorServer]:
    server = MirrorServer([site])
    server.start_in_thread()
    yield server
    server.stop()


def get(server: MirrorServer, url: str, timeout: float = 5) -> http.client.HTTPResponse:
    routed = urlsplit(mirror_url(url, server.base_url))
    connection = http.client.HTTPConnection(routed.hostname, routed.port, timeout=timeout)
    connection.request("GET", routed.path)
    return connection.getresponse()


def test_times_serves_the_fault_first_then_the_page(server: MirrorServer) -> None:
    first = get(server, "https://x.test/flaky")
    assert (first.status, first.headers["Retry-After"]) == (503, "1")
    assert get(server, "https://x.test/flaky").status == 200


def test_reset_drops_the_connection(server: MirrorServer) -> None:
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        get(server, "https://x.test/reset")


def test_truncate_sends_half_the_promised_body(server: MirrorServer) -> None:
    response = get(server, "https://x.test/truncate")
    with pytest.raises(http.client.IncompleteRead) as info:
        response.read()
    assert len(info.value.partial) == len(PAGE.encode()) // 2


def test_slow_answers_after_the_delay(server: MirrorServer) -> None:
    started = time.monotonic()
    assert get(server, "https://x.test/slow").read().decode() == PAGE
    assert time.monotonic() - started >= 0.4


def test_generated_body_has_the_exact_size(server: MirrorServer) -> None:
    response = get(server, "https://x.test/huge")
    assert response.headers["Content-Length"] == "3000000"
    body = response.read()
    assert len(body) == 3_000_000 and body.startswith(b"<!DOCTYPE html>") and body.endswith(b"</html>\n")


def test_encoding_re_encodes_and_declares(server: MirrorServer) -> None:
    response = get(server, "https://x.test/sjis")
    assert response.headers["Content-Type"] == "text/html; charset=shift_jis"
    assert response.read() == PAGE.encode("shift_jis")


def test_encoding_can_stay_undeclared(server: MirrorServer) -> None:
    response = get(server, "https://x.test/undeclared")
    assert response.headers["Content-Type"] == "text/html"
    assert response.read() == PAGE.encode("euc_jp")


@pytest.mark.parametrize("entry, message", [
    ("fault: explode", "fault 'explode' is not one of"),
    ("encoding: klingon", "unknown encoding 'klingon'"),
])
def test_bad_fault_entries_are_named(tmp_path: Path, entry: str, message: str) -> None:
    folder = tmp_path / "mofa"
    folder.mkdir()
    (folder / "routes.yaml").write_text(f"- url: https://x.test/a\n  {entry}\n", encoding="utf-8")
    with pytest.raises(RoutesError, match=message):
        load_routes([tmp_path])
