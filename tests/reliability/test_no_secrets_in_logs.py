"""A database URL's password never reaches a crawl's log or the fetch log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from crawler.mirror.server import MirrorServer
from crawler.service.crawl import run_crawl
from crawler.syndication import TEXT_RULES
from storage.store import Store
from tests.conftest import NO_POSTGRES, POSTGRES_URL

pytestmark = pytest.mark.slow

SECRET = "hunter2-never-logged"


def test_crawl_log_masks_the_database_password(mirror: MirrorServer, tmp_path: Path) -> None:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    # the test server trusts local connections, so a password in the URL is carried but not needed
    url = make_url(POSTGRES_URL).set(password=SECRET).render_as_string(hide_password=False)
    log_file = tmp_path / "crawl.log"
    result = run_crawl("mofa", url, mirror_url=mirror.base_url, timeout=120,
                       settings={"LOG_FILE": str(log_file), "LOG_LEVEL": "DEBUG"})
    assert result.ok, result.log_tail
    assert result.stat("fetch/fetched") > 0
    assert SECRET not in log_file.read_text("utf-8", errors="replace") + result.log_tail
    store = Store(POSTGRES_URL, rules=TEXT_RULES)
    assert not [f for f in store.fetches.where() if SECRET in (f.reason or "") + f.url]
    store.db.dispose()
