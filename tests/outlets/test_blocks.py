"""Bot walls are recognised as blocks (crawler/outlets/blocks.py)."""

from __future__ import annotations

import pytest
import yaml
from scrapy.http import Headers

from crawler.mirror import SITE_DIR
from crawler.outlets.blocks import detect_block

CAPTCHA_PAGE = (SITE_DIR / "reuters" / "datadome_captcha.html").read_bytes()
ARTICLE_PAGE = (SITE_DIR / "reuters" / "article_akazawa_bessent.html").read_bytes()


def test_datadome_401_with_header_as_scrapy_headers():
    headers = Headers({"X-DataDome": "protected", "Content-Type": "text/html"})
    assert detect_block(401, headers, CAPTCHA_PAGE) == "datadome"


def test_datadome_403_with_dd_b_header_and_plain_dict():
    assert detect_block(403, {"x-dd-b": "1"}, b"") == "datadome"


def test_datadome_header_bytes_keys():
    assert detect_block(403, {b"x-datadome": [b"protected"]}, b"") == "datadome"


def test_datadome_captcha_page_without_its_headers():
    # a proxy may strip headers; the page itself still says what it is
    assert detect_block(200, {}, CAPTCHA_PAGE) == "datadome"


def test_datadome_word_on_a_refusal():
    assert detect_block(403, {}, b"<html><body>Blocked by DataDome</body></html>") == "datadome"


def test_datadome_header_on_ordinary_article_is_not_a_block():
    # DataDome marks every answer of a protected site, including real pages
    assert detect_block(200, Headers({"x-datadome": "protected"}), ARTICLE_PAGE) is None


def test_article_mentioning_datadome_is_not_a_block():
    body = ARTICLE_PAGE.replace(b"</body>", b'<script src="https://js.datadome.co/tags.js"></script></body>')
    assert detect_block(200, {}, body) is None


def test_ordinary_article_is_not_a_block():
    assert detect_block(200, Headers({"Content-Type": "text/html"}), ARTICLE_PAGE) is None


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (403, b"<html><head><title>Just a moment...</title></head><body>cf-chl-</body></html>", "captcha"),
        (503, b"<html><head><title>Attention Required! | Cloudflare</title></head></html>", "captcha"),
        (403, b'<html><body><div class="g-recaptcha" data-sitekey="x"></div></body></html>', "captcha"),
        (200, b"<html><head><title>Just a moment...</title></head><body></body></html>", "captcha"),
        (403, b"<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY>Reference #18.1</BODY></HTML>",
         "access-denied"),
        (200, b"<html><head><title>Access Denied</title></head><body>You don't have permission</body></html>",
         "access-denied"),
        (429, b"Too Many Requests", "rate-limited"),
    ],
)
def test_generic_walls(status, body, reason):
    assert detect_block(status, {}, body) == reason


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, b"<html><head><title>Not Found</title></head></html>"),
        (403, b""),  # a bare 403 is an error, not a recognisable wall
        (500, b"<html><head><title>Internal Server Error</title></head></html>"),
        # a news headline that contains the words is not a wall
        (200, b"<html><head><title>Access denied to journalists, ministers say</title></head></html>"),
        (200, b""),
    ],
)
def test_not_walls(status, body):
    assert detect_block(status, {}, body) is None


def _reuters_routes() -> list[dict]:
    return yaml.safe_load((SITE_DIR / "reuters" / "routes.yaml").read_text("utf-8"))


def test_mirror_serves_datadome_answers_that_are_detected():
    walls = [r for r in _reuters_routes() if r.get("status") == 401]
    assert len(walls) == 2  # one URL always refused, one article refused from state 2 on
    for route in walls:
        body = (SITE_DIR / "reuters" / route["file"]).read_bytes()
        assert detect_block(route["status"], Headers(route["headers"]), body) == "datadome"


def test_mirror_article_pages_are_not_blocks():
    pages = [r for r in _reuters_routes() if r.get("file", "").startswith("article_")]
    assert pages
    for route in pages:
        body = (SITE_DIR / "reuters" / route["file"]).read_bytes()
        assert detect_block(route.get("status", 200), Headers(route.get("headers", {})), body) is None
