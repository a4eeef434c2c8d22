"""The outlet spider turns every page a parser cannot read into a rejected page, never a crawl error."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.items import ArticleItem, RejectedPage
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
    assert isinstance(item, RejectedPage) and item.reason == "no #maincontents"


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
