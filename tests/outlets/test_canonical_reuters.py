"""Every variant of a Reuters Japan article URL collapses onto one key and one URL."""

from __future__ import annotations

import pytest

from crawler.outlets.reuters import canonicalize

KEY = "Q7XKZMZTN5LRBVJ4WHCA3DPEYU"
CANONICAL = f"https://jp.reuters.com/world/us/{KEY}-2025-04-17/"


@pytest.mark.parametrize(
    "url",
    [
        CANONICAL,
        f"https://jp.reuters.com/world/us/{KEY}-2025-04-17",  # no trailing slash
        f"http://jp.reuters.com/world/us/{KEY}-2025-04-17/",  # http
        f"https://jp.reuters.com/world/us/{KEY}-2025-04-17/?utm_source=twitter&utm_medium=social",
        f"https://jp.reuters.com/world/us/{KEY}-2025-04-17/?taid=6801a2b3&utm_campaign=trueAnthem",
        f"https://jp.reuters.com/world/us/{KEY}-2025-04-17/#main-content",
        f"https://JP.REUTERS.COM/world/us/{KEY}-2025-04-17/",  # host case
        f"https://www.jp.reuters.com/world/us/{KEY}-2025-04-17/",
        f"  {CANONICAL}  ",
    ],
)
def test_variants_collapse(url):
    ref = canonicalize(url)
    assert ref is not None
    assert ref.stable_key == KEY
    assert ref.canonical_url == CANONICAL


def test_deeper_section_path_kept():
    url = "https://jp.reuters.com/markets/japan/funds/ZX4QJ7NB2MKTLRFHY5WC3DVEAU-2025-04-15/?rpc=401"
    ref = canonicalize(url)
    assert ref is not None
    assert ref.stable_key == "ZX4QJ7NB2MKTLRFHY5WC3DVEAU"
    assert ref.canonical_url == "https://jp.reuters.com/markets/japan/funds/ZX4QJ7NB2MKTLRFHY5WC3DVEAU-2025-04-15/"


@pytest.mark.parametrize(
    "url",
    [
        "https://jp.reuters.com/",
        "https://jp.reuters.com/world/us/",  # section front
        "https://jp.reuters.com/arc/outboundfeeds/news-sitemap/?outputType=xml",
        "https://jp.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml",
        f"https://jp.reuters.com/world/us/{KEY.lower()}-2025-04-17/",  # not an Arc id
        f"https://jp.reuters.com/world/us/{KEY[:-1]}-2025-04-17/",  # 25 characters
        f"https://jp.reuters.com/{KEY}-2025-04-17/",  # no section
        "https://www.reuters.com/world/asia-pacific/",  # an English section front
        f"https://www.example.com/world/us/{KEY}-2025-04-17/",
        f"ftp://jp.reuters.com/world/us/{KEY}-2025-04-17/",
        "",
        "not a url",
    ],
)
def test_non_articles(url):
    assert canonicalize(url) is None


def test_english_article_url_has_no_key_but_a_canonical_url():
    """English Reuters: the Arc id is in the page's JSON, not the URL; the URL still files the page."""
    ref = canonicalize("http://reuters.com/world/asia-pacific/japan-us-tariff-talks-2025-04-17?utm_source=x")
    assert ref is not None
    assert (ref.stable_key, ref.canonical_url) == (
        None, "https://www.reuters.com/world/asia-pacific/japan-us-tariff-talks-2025-04-17/")
