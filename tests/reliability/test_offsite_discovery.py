"""Discovery stays on the outlet's hosts: a sitemap entry, a listing link or a redirect of a discovery
document that points elsewhere (here: an internal address) is refused, recorded, and never fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.syndication import TEXT_RULES
from storage.store import Store
from tests.reliability.sites import crawl_site

pytestmark = pytest.mark.slow

INDEX = "https://jp.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml"
MOVED = "https://jp.reuters.com/arc/outboundfeeds/moved-sitemap/?outputType=xml"
INTERNAL = "http://169.254.169.254/latest/meta-data/sitemap.xml"
SITEMAP_INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{INTERNAL}</loc></sitemap>
  <sitemap><loc>https://intranet.example.internal/sitemap.xml</loc></sitemap>
</sitemapindex>
"""


def _site(root: Path) -> Path:
    folder = root / "reuters"
    folder.mkdir(parents=True)
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    (folder / "index.xml").write_text(SITEMAP_INDEX, encoding="utf-8")
    (folder / "routes.yaml").write_text(
        "- url: https://jp.reuters.com/robots.txt\n  file: robots.txt\n"
        f"- url: {INDEX}\n  file: index.xml\n  content_type: application/xml\n"
        f"- url: {MOVED}\n  redirect: {INTERNAL}\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, int]]:
    tmp = tmp_path_factory.mktemp("offsite")
    db = f"sqlite:///{tmp / 'x.sqlite3'}"
    result, hits = crawl_site(_site(tmp / "site"), "reuters", db, f"{INDEX},{MOVED}")
    assert result.ok, result.log_tail
    return Store(db, rules=TEXT_RULES), hits


def test_sitemap_entries_on_other_hosts_are_refused_with_a_reason(crawled: tuple[Store, dict[str, int]]):
    store, _ = crawled
    refused = {f.url: f.reason for f in store.fetches.where() if f.outcome == "refused"}
    assert "not one of the outlet's hosts" in refused[INTERNAL]
    assert "https://intranet.example.internal/sitemap.xml" in refused


def test_a_discovery_redirect_to_another_host_is_not_followed(crawled: tuple[Store, dict[str, int]]):
    store, _ = crawled
    [moved] = [f for f in store.fetches.where() if f.url == MOVED]
    assert moved.outcome == "refused"
    assert moved.reason == "off-site redirect of a discovery document to 169.254.169.254 not followed"


def test_nothing_off_host_reached_the_network(crawled: tuple[Store, dict[str, int]]):
    _, hits = crawled
    assert not [url for url in hits if "169.254" in url or "internal" in url]
