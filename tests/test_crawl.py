"""Real Scrapy crawls (``scrapy crawl <outlet>`` in a subprocess) against the local mirror."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.mirror.server import MirrorServer
from crawler.outlets import OUTLET_NAMES, get_outlet
from crawler.service.crawl import CrawlResult, run_crawl
from crawler.syndication import TEXT_RULES
from storage.store import Store

pytestmark = pytest.mark.slow


class Crawled:
    """One outlet crawled at state 1, again at state 1 (unchanged) and at state 2."""

    def __init__(self, outlet: str, tmp: Path) -> None:
        self.db_url = f"sqlite:///{tmp / f'{outlet}.sqlite3'}"
        self.store = Store(self.db_url, rules=TEXT_RULES)
        server = MirrorServer()
        server.start_in_thread()
        try:
            self.first = run_crawl(outlet, self.db_url, mirror_url=server.base_url, timeout=120)
            self.after_first = self._snapshot()
            self.again = run_crawl(outlet, self.db_url, mirror_url=server.base_url, timeout=120)
            self.after_again = self._snapshot()
            server.state = 2
            self.second = run_crawl(outlet, self.db_url, mirror_url=server.base_url, timeout=120)
        finally:
            server.stop()

    def _snapshot(self) -> dict[str, int]:
        return self.store.counts()


@pytest.fixture(scope="module", params=OUTLET_NAMES)
def crawled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    crawled = Crawled(request.param, tmp_path_factory.mktemp(request.param))
    yield crawled
    crawled.store.db.dispose()


def _ok(result: CrawlResult) -> None:
    assert result.ok, result.log_tail


def test_crawls_finish(crawled: Crawled):
    for result in (crawled.first, crawled.again, crawled.second):
        _ok(result)


def test_first_crawl_stores_articles(crawled: Crawled):
    assert crawled.after_first["articles"] >= 2
    assert crawled.after_first["versions"] == crawled.after_first["articles"]


def test_items_keep_the_real_outlet_urls(crawled: Crawled):
    outlet = get_outlet(crawled.first.outlet)
    for fetch in crawled.store.fetches.where():
        assert fetch.url.startswith("https://"), fetch.url
        assert "127.0.0.1" not in fetch.url
        assert any(host in fetch.url for host in outlet.OUTLET.hosts)


def test_recrawl_of_an_unchanged_mirror_writes_no_version(crawled: Crawled):
    assert crawled.after_again["versions"] == crawled.after_first["versions"]
    assert crawled.again.stat("versions/new") == crawled.again.stat("versions/changed") == 0


def test_recrawl_uses_conditional_get(crawled: Crawled):
    assert crawled.again.stat("fetch/not_modified") >= 1


def test_state_two_edit_becomes_a_new_version_with_a_diff(crawled: Crawled):
    assert crawled.second.stat("versions/changed") >= 1
    changed = [v for a in _article_keys(crawled.store) for v in crawled.store.articles.versions(a)
               if v.seq > 1]
    assert changed, "no second version stored"
    assert all(v.diff and set(v.change_kind.split("+")) <= {"title", "lead", "body", "correction"}
               for v in changed)


def _article_keys(store: Store) -> list[str]:
    return sorted({f.article_key for f in store.fetches.where() if f.article_key})


def test_versions_come_only_from_good_fetches(crawled: Crawled):
    fetches = crawled.store.fetches.where()
    stored = sum(f.outcome in {"new", "changed"} for f in fetches)
    assert stored == crawled.store.counts()["versions"]
    assert all(f.article_key is None for f in fetches if f.outcome in {"blocked", "error"})


@pytest.mark.parametrize("crawled", ["reuters"], indirect=True)
def test_reuters_bot_wall_is_recorded_as_a_block(crawled: Crawled):
    blocked = [f for f in crawled.store.fetches.where() if f.outcome == "blocked"]
    assert blocked and all(f.reason == "datadome" and f.status == 401 for f in blocked)
    assert crawled.store.articles.article("reuters:WD4NCQ7ZHKR2LXJ5VMB3TYAPGE") is None


@pytest.mark.parametrize("crawled", ["reuters"], indirect=True)
def test_a_blocked_article_is_asked_for_again_on_the_next_run(crawled: Crawled):
    # first run: blocked; the unchanged re-crawl must not take the sitemap's 304 as "nothing to do"
    tries = [f for f in crawled.store.fetches.where() if "WD4NCQ7ZHKR2LXJ5VMB3TYAPGE" in f.url]
    assert len(tries) == 3 and {f.outcome for f in tries} == {"blocked"}


@pytest.mark.parametrize("crawled", ["reuters"], indirect=True)
def test_the_english_site_is_crawled_under_its_arc_id(crawled: Crawled):
    article = crawled.store.articles.article("reuters:VXQ3TN7KJ2LZ5RBMYWHC4DPGFE")
    assert article is not None and article.lang == "en"
    assert article.canonical_url.startswith("https://www.reuters.com/world/asia-pacific/japan-us-defence")


@pytest.mark.parametrize("crawled", ["reuters"], indirect=True)
def test_english_stories_that_do_not_name_japan_are_never_fetched(crawled: Crawled):
    urls = [f.url for f in crawled.store.fetches.where()]
    assert not [u for u in urls if "brazil-soybean" in u or "uk-retailers" in u]


@pytest.mark.parametrize("crawled", ["mofa"], indirect=True)
def test_same_named_mofa_pages_in_two_folders_are_two_articles(crawled: Crawled):
    us = crawled.store.articles.article("mofa:mofaj/na/na1/us/pageit_000001_01530")
    economy = crawled.store.articles.article("mofa:mofaj/ecm/ec/pageit_000001_01530")
    assert us is not None and economy is not None and us.id != economy.id


@pytest.mark.parametrize("crawled", ["mofa"], indirect=True)
def test_a_mofa_page_without_a_numeric_id_is_an_article_with_its_dl_text(crawled: Crawled):
    [version] = crawled.store.articles.versions("mofa:mofaj/na/st/kyogi_2plus2")
    assert version.title == "日米安全保障協議委員会（日米「2＋2」）"
    assert "外務大臣、防衛大臣" in version.body


def test_every_parsed_article_page_records_how_its_fields_were_found(crawled: Crawled):
    parsed = [f for f in crawled.store.fetches.where()
              if f.role == "article" and f.outcome in {"new", "changed"}]
    assert parsed and all(f.fields and set(f.fields) == {"title", "published", "body"} for f in parsed)
    # the mirror's pages are in each outlet's real markup: its own rules read them, no fallback
    assert all(set(f.fields.values()) == {"own"} for f in parsed)
