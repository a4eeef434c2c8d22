"""The crawl's memory helpers: the cycle collector's set-up once a crawl has started."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy import Spider, signals
from scrapy.utils.test import get_crawler

from crawler.extensions import CollectorTuning


@pytest.fixture
def collector() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_an_opened_crawl_freezes_what_start_up_made(collector: None):
    crawler = get_crawler(Spider, {"EXTENSIONS": {"crawler.extensions.CollectorTuning": 100}})
    CollectorTuning.from_crawler(crawler)
    gc.unfreeze()
    crawler.signals.send_catch_log(signals.spider_opened, spider=Spider("test"))
    assert gc.get_freeze_count() > 0


def test_the_crawl_settings_enable_it():
    from crawler import settings

    assert "crawler.extensions.CollectorTuning" in settings.EXTENSIONS
