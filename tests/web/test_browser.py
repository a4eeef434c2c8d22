"""The desk in a real browser: Debian's Chromium, headless, driven by Playwright (no browser download),
against ``talkwatch serve``'s WSGI server on the database ``talkwatch demo`` built."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.syndication import TEXT_RULES
from crawler.web import create_app
from storage.store import Store
from tests.web.data import DemoData

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's chromium is not installed (/usr/bin/chromium): "
                              "apt-get install chromium"),
]


@pytest.fixture(scope="module")
def desk(sqlite_demo: DemoData) -> Iterator[str]:
    """The desk served by waitress, as ``talkwatch serve`` does, on a free port."""
    from waitress import create_server

    store = Store(sqlite_demo.url, rules=TEXT_RULES)
    server = create_server(create_app(store), host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    store.db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


class Watched:
    """A page and the console errors and uncaught exceptions it produced."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(java_script_enabled=True)  # on: the pages themselves must run nothing
    yield Watched(context.new_page())
    context.close()


def test_walk_talk_article_compare_search_filter(watched: Watched, desk: str) -> None:
    page = watched.page
    page.goto(desk + "/")
    assert page.title() == "Talks · talkwatch"
    page.get_by_role("link", name="日米外相会談 2025-01-21 岩屋–ルビオ").click()
    page.wait_for_load_state()
    assert page.locator("#readouts article.readout").count() == 3
    page.locator("#timeline a.title", has_text="首脳会談の早期実現へ調整").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("日米外相、同盟強化で一致")
    page.select_option("select[name=a]", "1")
    page.select_option("select[name=b]", "2")
    page.select_option("select[name=view]", "side")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_load_state()
    inserted = page.locator(".diff.new ins").first
    assert inserted.is_visible()
    assert "0, 0, 0, 0" not in inserted.evaluate("e => getComputedStyle(e).backgroundColor")
    assert page.locator(".diff.old").first.is_visible()

    page.get_by_role("link", name="Search", exact=True).click()
    page.fill("input[name=q]", "ルビオ国務長官")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert page.locator("li.hit").count() >= 2
    page.fill("input[name=q]", "Rubio")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert page.locator("li.hit[data-key='mofa:na/na1/us/pageite_000001_00768']").count() == 1

    page.get_by_role("link", name="Talks", exact=True).click()
    page.select_option("select[name=outlet]", "nhk")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert "outlet=nhk" in page.url
    outlets = page.locator("li.talk").all_inner_texts()
    assert outlets and all("NHK" in text for text in outlets)
    assert watched.errors == []


def test_reading_works_without_javascript(browser: Any, desk: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(desk + "/edits")
    assert page.locator("article.edit").count() >= 4
    page.locator("article.edit h2 a").first.click()
    page.wait_for_load_state()
    assert page.locator("#diff").is_visible()
    context.close()


@pytest.mark.parametrize("path", ["/", "/talk/1", "/edits", "/search?q=関税"])
def test_phone_width_has_no_sideways_scrolling(browser: Any, desk: str, path: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(desk + path)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    font = page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert "Noto Sans CJK JP" in font and "Hiragino Sans" in font
    context.close()


def test_hostile_article_never_runs(watched: Watched, desk: str, sqlite_demo: DemoData) -> None:
    page = watched.page
    aid, tid = sqlite_demo.hostile_article_id, sqlite_demo.hostile_thread_id
    for path in (f"/talk/{tid}", f"/article/{aid}?a=1&b=2&view=side", f"/article/{aid}?raw=1", "/edits",
                 "/search?q=pwned", "/"):
        page.goto(desk + path)
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__pwned") is None, path
        assert page.evaluate("() => document.scripts.length") == 0, path
        assert page.title() != "pwned"  # what the snapshot's script would set
    page.goto(desk + f"/article/{aid}")
    assert page.get_by_text("<script>window.__pwned = 1</script>岩屋外相", exact=False).first.is_visible()
    assert page.locator("a[href^='javascript:']").count() == 0
    # the only console errors allowed are the browser refusing what the sandboxed snapshot tried
    refused = ("Content Security Policy", "Blocked script execution", "Refused to")
    assert all("/snapshot/" in e and any(word in e for word in refused) for e in watched.errors), \
        [e[:300] for e in watched.errors]
