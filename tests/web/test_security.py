"""Nothing an outlet wrote can run on the desk; the desk is reachable only as it should be."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crawler.cli import main
from crawler.cli.serve import check_access
from crawler.syndication import TEXT_RULES
from crawler.web import create_app
from crawler.web.security import CSP
from storage.store import Store
from tests.web.data import HOSTILE_KEY, DemoData
from tests.web.helpers import get_ok, thread_id

pytestmark = pytest.mark.slow  # the session's database comes from real crawls


def _pages(store: Store, demo: DemoData) -> list[str]:
    aid, tid = demo.hostile_article_id, demo.hostile_thread_id
    return ["/", "/?pair=iwaya%2Brubio", f"/talk/{tid}", f"/article/{aid}", f"/article/{aid}?a=1&b=2",
            f"/article/{aid}?a=1&b=2&view=side", f"/article/{aid}?raw=1", "/edits", "/health",
            "/search?q=pwned", "/search?q=電話会談", "/search?q=script",
            f"/talk/{thread_id(store, '日米外相会談')}"]


_ACTIVE = [
    re.compile(r"<script", re.I),
    re.compile(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I),
    re.compile(r"""<[a-z]+[^>]*\son[a-z]+\s*=""", re.I),  # an event handler attribute on any element
    re.compile(r"<(iframe|img|object|embed|meta|base|form)\b[^>]*>", re.I),
    re.compile(r"\sstyle\s*=", re.I),  # inline styles would be refused by the CSP anyway
]


def _ours(tag: str) -> bool:
    """The page's own elements of those kinds: its meta tags, filter forms and the sandboxed frame."""
    return (tag.startswith(('<meta charset="utf-8">', '<meta name="viewport"', '<meta name="referrer"'))
            or re.fullmatch(_FORM, tag) is not None or tag.startswith(_FRAME))


_FORM = (r'<form class="(filters|compare)" method="get" action="/[a-z/0-9]*">'
         r'|<form class="filters" method="post" action="/channels/(subscribe|mute)">')
_FRAME = '<iframe class="snapshot" sandbox="" referrerpolicy="no-referrer" src="/snapshot/'



def test_hostile_article_renders_as_text_on_every_page(client: Any, store: Store, demo: DemoData) -> None:
    for path in _pages(store, demo):
        page = get_ok(client, path)
        for pattern in _ACTIVE:
            found = [m.group(0) for m in pattern.finditer(page) if not _ours(m.group(0))]
            assert not found, (path, found)
    article = get_ok(client, f"/article/{demo.hostile_article_id}")
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;岩屋外相とルビオ国務長官が電話会談" in article
    assert 'class="nolink"' in article  # the javascript: URL is no link


def test_every_response_has_a_strict_csp(client: Any, demo: DemoData, store: Store) -> None:
    for path in [*_pages(store, demo), "/feed.atom", "/nothing", "/static/desk.css"]:
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert policy == CSP, path
        assert "script-src" not in policy and "'unsafe-inline'" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_hostile_snapshot_is_sandboxed(client: Any, demo: DemoData) -> None:
    page = get_ok(client, f"/article/{demo.hostile_article_id}?raw=1")
    frame = re.search(r'<iframe class="snapshot" sandbox="" [^>]*src="([^"]+)"', page)
    assert frame, page
    raw = client.get(frame.group(1))
    assert raw.headers["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'self'"
    assert b"<script>" in raw.data  # served as it was fetched, but nothing in it may run


def test_hostile_feed_entries_are_escaped(client: Any, demo: DemoData) -> None:
    feed = client.get(f"/talk/{demo.hostile_thread_id}/feed.atom").data.decode()
    assert "<script" not in feed and "&lt;script&gt;" in feed
    assert "javascript:" not in re.sub(r"&lt;.*?&gt;", "", feed.replace("&amp;", "&")) or \
        'href="javascript:' not in feed


def test_desk_lists_the_hostile_key(client: Any) -> None:
    assert f'data-key="{HOSTILE_KEY}"' in get_ok(client, "/edits")


# --- access ---------------------------------------------------------------------------------------

TOKEN = "s3cret-token-for-the-desk-0123"


@pytest.fixture(scope="module")
def guarded(sqlite_demo: DemoData) -> Any:
    store = Store(sqlite_demo.url, rules=TEXT_RULES)
    yield create_app(store, token=TOKEN, sync_search=False).test_client()
    store.db.dispose()


def test_token_required(guarded: Any) -> None:
    assert guarded.get("/").status_code == 401
    assert guarded.get("/?token=wrong-token-wrong-token").status_code == 401
    assert guarded.get("/static/desk.css").status_code == 401
    assert guarded.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_token_in_the_address_moves_to_a_cookie(guarded: Any) -> None:
    first = guarded.get(f"/edits?token={TOKEN}&outlet=nhk")
    assert first.status_code == 303 and first.headers["Location"] == "/edits?outlet=nhk"
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert guarded.get("/edits?outlet=nhk").status_code == 200  # the client keeps the cookie


def test_feed_reader_may_carry_the_token_in_the_url(guarded: Any) -> None:
    response = guarded.get(f"/feed.atom?token={TOKEN}")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"


def test_loopback_desk_refuses_other_host_names(client: Any) -> None:
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 403
    assert client.get("/", headers={"Host": "127.0.0.1:8765"}).status_code == 200


def test_serve_refuses_a_public_bind_without_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_access("127.0.0.1", None) is None
    assert check_access("0.0.0.0", None) is not None
    assert check_access("0.0.0.0", "short") is not None
    assert check_access("0.0.0.0", TOKEN) is None
    assert main(["serve", "--host", "0.0.0.0", "--db", "sqlite:///:memory:"]) == 2
    assert "access token" in capsys.readouterr().err


def test_demo_says_how_to_open_it_in_the_desk(sqlite_demo: DemoData) -> None:
    line = re.search(r"talkwatch serve --db (\S+)", sqlite_demo.demo_output)
    assert line and line.group(1) == sqlite_demo.url
