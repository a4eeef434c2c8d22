"""Every refusal is in the fetch log with its reason: a gzip bomb, a body past the size cap sent without
a length header; and ``talkwatch crawl`` against a database server that is down says so in one line."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.syndication import TEXT_RULES
from storage.store import Store
from tests.reliability.sites import crawl_site

pytestmark = pytest.mark.slow

INDEX = "https://www.mofa.go.jp/mofaj/refusals/index.html"
BOMB = "https://www.mofa.go.jp/mofaj/refusals/pageit_000009_00001.html"
ENDLESS = "https://www.mofa.go.jp/mofaj/refusals/pageit_000009_00002.html"
CAP = 5 * 1024 * 1024  # crawler/settings.py DOWNLOAD_MAXSIZE


def _site(root: Path) -> Path:
    folder = root / "mofa"
    folder.mkdir(parents=True)
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    (folder / "bomb.gz").write_bytes(gzip.compress(b"<html>" + b" " * (12 * CAP), 9))  # ~60 kB on the wire
    links = "".join(f'<li><a href="{u}">x</a></li>' for u in (BOMB, ENDLESS))
    index = f'<html lang="ja"><body><div id="maincontents"><ul>{links}</ul></div></body></html>'
    (folder / "index.html").write_text(index, encoding="utf-8")
    (folder / "routes.yaml").write_text(
        "- url: https://www.mofa.go.jp/robots.txt\n  file: robots.txt\n"
        f"- url: {INDEX}\n  file: index.html\n"
        f"- url: {BOMB}\n  file: bomb.gz\n  content_type: application/octet-stream\n"
        "  headers: {Content-Encoding: gzip}\n"
        f"- url: {ENDLESS}\n  generate_bytes: {10 * CAP}\n  no_length: true\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str | None], str]:
    tmp = tmp_path_factory.mktemp("refusals")
    db = f"sqlite:///{tmp / 'x.sqlite3'}"
    result, _ = crawl_site(_site(tmp / "site"), "mofa", db, INDEX)
    store = Store(db, rules=TEXT_RULES)
    rows = {f.url: f.reason for f in store.fetches.where() if f.outcome == "refused"}
    store.db.dispose()
    return rows, result.outcome


def test_a_gzip_bomb_is_refused_with_its_reason(refused):
    rows, _ = refused
    assert rows[BOMB].startswith("compressed body over the size cap once unpacked (DOWNLOAD_MAXSIZE)")


def test_a_body_without_length_past_the_cap_is_refused_not_an_error(refused):
    rows, _ = refused
    assert rows[ENDLESS] == "response over the size cap (DOWNLOAD_MAXSIZE), sent without a length header"


def test_a_run_with_refusals_is_degraded(refused):
    _, outcome = refused
    assert outcome == "degraded"


def test_crawl_against_a_database_server_that_is_down_is_one_line(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "mofa", "--db",
                           "postgresql+psycopg://postgres@127.0.0.1:1/talkwatch", "--mirror", "http://127.0.0.1:9"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.strip().startswith("talkwatch: cannot reach the database server")
