"""The outlet spider turns every page a parser cannot read into a rejected page, never a crawl error."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import default_settings

from crawler.items import ArticleItem, RejectedPage
from crawler.outlets.base import Discovered
from crawler.spiders.mofa import MofaSpider
from tests.support import page_response

READOUT_URL = "https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html"


def test_a_readable_page_becomes_an_article_item():
    items = list(MofaSpider().parse_article(page_response("mofa", "pageit_000001_01515.html", READOUT_URL)))
    assert [type(i) for i in items] == [ArticleItem]


def test_a_parse_error_becomes_a_rejected_page_with_its_reason():
    body = b"<html><body><h1>x</h1></body></html>"
    response = HtmlResponse(url=READOUT_URL, body=body, request=Request(READOUT_URL))
    [item] = MofaSpider().parse_article(response)
    assert isinstance(item, RejectedPage) and item.reason == "no date"


def test_a_link_with_a_huge_query_string_is_requested_by_its_canonical_url():
    tracking = "&".join(f"utm_{i}=" + "x" * 40 for i in range(240))
    assert len(tracking) >= 10_000
    found = Discovered(url=f"{READOUT_URL}?{tracking}", title="日米外相会談")
    spider = MofaSpider()
    request = spider.article_request(found)
    assert request is not None and request.url == READOUT_URL
    # Scrapy's URL-length limit (2083 by default) would have dropped the link as found
    assert len(found.url) > default_settings.URLLENGTH_LIMIT >= len(request.url)


def test_url_variants_of_one_article_are_requested_once():
    spider = MofaSpider()
    first = spider.article_request(Discovered(url=READOUT_URL + "?from=top"))
    again = spider.article_request(Discovered(url=READOUT_URL + "#section"))
    assert first is not None and again is None


def test_a_parser_bug_rejects_the_page_not_the_crawl(monkeypatch: pytest.MonkeyPatch):
    spider = MofaSpider()

    def broken(response):
        raise AttributeError("'list' object has no attribute 'strip'")

    monkeypatch.setattr(spider.outlet, "parse_article", broken)
    [item] = spider.parse_article(page_response("mofa", "pageit_000001_01515.html", READOUT_URL))
    assert isinstance(item, RejectedPage)
    assert item.reason.startswith("parser error: AttributeError")


def test_a_discovery_bug_rejects_the_document(monkeypatch: pytest.MonkeyPatch):
    spider = MofaSpider()
    monkeypatch.setattr(spider.outlet, "discover", lambda response: 1 / 0)
    index = "https://www.mofa.go.jp/mofaj/press/release/index.html"
    [item] = spider.parse_discovery(page_response("mofa", "press_release_index.html", index))
    assert isinstance(item, RejectedPage) and item.reason.startswith("parser error: ZeroDivisionError")
