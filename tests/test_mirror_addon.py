"""The mirror add-on decides routing and politeness together, from the final settings."""

from __future__ import annotations

from scrapy import Spider
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings

PROJECT = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}


def _settings(**overrides: str):  # type: ignore[no-untyped-def]
    crawler = get_crawler(Spider, {**PROJECT, **overrides})
    crawler._apply_settings()  # what Crawler.crawl() does first: add-ons see the merged settings
    return crawler.settings


def test_a_live_crawl_is_polite_and_has_no_mirror_handler():
    settings = _settings(TALKWATCH_MIRROR_URL="")
    assert settings.getfloat("DOWNLOAD_DELAY") == 1.0 and settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert "mirror" not in settings["DOWNLOAD_HANDLERS"]["https"]


def test_a_mirror_crawl_routes_to_the_mirror_without_delays():
    settings = _settings(TALKWATCH_MIRROR_URL="http://127.0.0.1:8800")
    assert settings["DOWNLOAD_HANDLERS"]["https"] == "crawler.mirror.handler.MirrorDownloadHandler"
    assert settings.getfloat("DOWNLOAD_DELAY") == 0 and not settings.getbool("AUTOTHROTTLE_ENABLED")

