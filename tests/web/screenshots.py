"""Screenshots of the desk for the README: ``python -m tests.web.screenshots DB_URL [OUT_DIR]``
(Debian's Chromium through Playwright; the demo's database is what the README shows)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from crawler.syndication import TEXT_RULES
from crawler.web import create_app
from storage.store import Store

SHOTS = (
    ("talks", "/", 1280),
    ("talk", "/talk/1", 1280),
    ("article-compare", "/article/4?a=1&b=2&view=side", 1280),
    ("edits", "/edits", 1280),
    ("search", "/search?q=ルビオ", 1280),
    ("talk-phone", "/talk/1", 390),
)


def main(db_url: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright
    from waitress import create_server

    store = Store(db_url, rules=TEXT_RULES)
    server = create_server(create_app(store), host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True)
        for name, path, width in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(base + path)
            page.screenshot(path=str(out / f"desk-{name}.png"), full_page=width < 500)
            page.close()
        browser.close()
    server.close()
    store.db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2] if len(sys.argv) > 2 else "docs"))
