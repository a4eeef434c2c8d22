"""The HTML report in a real browser: Debian's Chromium, headless, driven by Playwright (no downloads)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.reports import html
from crawler.reports.data import build_report
from crawler.syndication import TEXT_RULES
from storage.store import Store
from tests.service.helpers import SCRIPT_TITLE, seed

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not installed (/usr/bin/chromium); "
                                       ".ci/run installs it with apt-get")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, sqlite_url: str, tmp_path: Path) -> Iterator[Any]:
    store = Store(sqlite_url, rules=TEXT_RULES)
    store.db.create_schema()
    seed(store)
    report_file = tmp_path / "report.html"
    report_file.write_text(html.render(build_report(store)), encoding="utf-8")
    store.db.dispose()
    context = browser.new_context(java_script_enabled=True)  # scripts on: the page itself must not run any
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(report_file.as_uri())
    page.wait_for_load_state("load")
    page.errors = errors
    yield page
    context.close()


def test_renders(page: Any) -> None:
    assert page.title().startswith("talkwatch report")
    assert page.locator("h2", has_text="New talks").is_visible()
    assert page.locator("h2", has_text="Changed articles").is_visible()
    assert page.locator("#summary").inner_text() == "3 new, 1 follow-ups, 1 changed."


def test_diff_is_visible_and_highlighted(page: Any) -> None:
    inserted = page.locator("#changed ins", has_text="北朝鮮")
    assert inserted.is_visible()
    deleted = page.locator("#changed del", has_text="5").first
    assert deleted.is_visible()
    ins_bg = inserted.evaluate("e => getComputedStyle(e).backgroundColor")
    del_bg = deleted.evaluate("e => getComputedStyle(e).backgroundColor")
    assert ins_bg != del_bg and "0, 0, 0, 0" not in ins_bg and "0, 0, 0, 0" not in del_bg
    assert deleted.evaluate("e => getComputedStyle(e).textDecorationLine") == "line-through"


def test_script_in_title_is_text_and_never_runs(page: Any) -> None:
    assert page.get_by_text(SCRIPT_TITLE, exact=True).is_visible()
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.scripts.length") == 0
    assert page.errors == []


def test_javascript_url_is_not_a_link(page: Any) -> None:
    hostile = page.locator("article[data-key='reuters:EVIL123']")
    assert hostile.locator("a").count() == 0
    hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.href)")
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
    # clicking the title does nothing
    hostile.locator(".title").click()
    assert page.evaluate("() => window.__pwned") is None
