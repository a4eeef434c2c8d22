"""The local mirror answers like a real server: statuses, redirects, gzip, ETag/304, states."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from crawler.mirror.routing import mirror_url, real_url
from crawler.mirror.server import MirrorServer, RoutesError, load_routes

INDEX = "https://www.mofa.go.jp/mofaj/press/release/index.html"
READOUT = "https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(server: MirrorServer, url: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(mirror_url(url, server.base_url), headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(request, timeout=5)
    except urllib.error.HTTPError as error:
        return error


def test_routing_round_trip():
    routed = mirror_url(INDEX + "?a=1", "http://127.0.0.1:9")
    assert routed == "http://127.0.0.1:9/https/www.mofa.go.jp/mofaj/press/release/index.html?a=1"
    assert real_url(routed.removeprefix("http://127.0.0.1:9")) == INDEX + "?a=1"


def test_serves_a_page_with_validators(mirror):
    response = fetch(mirror, READOUT)
    assert response.status == 200
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"].endswith("GMT")
    assert "日米外相会談" in response.read().decode("utf-8")


def test_etag_gives_304(mirror):
    etag = fetch(mirror, READOUT).headers["ETag"]
    assert fetch(mirror, READOUT, {"If-None-Match": etag}).status == 304


def test_if_modified_since_gives_304(mirror):
    last_modified = fetch(mirror, READOUT).headers["Last-Modified"]
    assert fetch(mirror, READOUT, {"If-Modified-Since": last_modified}).status == 304


def test_gzip_when_asked(mirror):
    response = fetch(mirror, READOUT, {"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "日米外相会談" in gzip.decompress(response.read()).decode("utf-8")


def test_redirect(mirror):
    response = fetch(mirror, READOUT + "?utm_source=rss")
    assert response.status == 301
    assert response.headers["Location"] == READOUT


def test_unknown_url_is_404(mirror):
    assert fetch(mirror, "https://www.mofa.go.jp/mofaj/nothing.html").status == 404


def test_state_two_serves_the_edited_page_with_a_new_etag(mirror):
    first = fetch(mirror, READOUT)
    old_etag, old_body = first.headers["ETag"], first.read()
    mirror.state = 2
    second = fetch(mirror, READOUT, {"If-None-Match": old_etag})
    assert second.status == 200
    assert second.read() != old_body
    assert second.headers["ETag"] != old_etag


def test_state_switch_over_http(mirror):
    request = urllib.request.Request(f"{mirror.base_url}/_mirror/state?value=2", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    assert mirror.state == 2


def test_route_naming_a_missing_file_is_a_clear_error(tmp_path: Path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "routes.yaml").write_text("- url: https://a.example/\n  file: missing.html\n")
    with pytest.raises(RoutesError, match=r"missing\.html"):
        load_routes([tmp_path])
