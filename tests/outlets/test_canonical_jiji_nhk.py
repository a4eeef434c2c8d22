"""URL variants of jiji and NHK articles collapse onto one stable key and canonical URL."""

from __future__ import annotations

import pytest

from crawler.outlets import jiji, nhk

JIJI = "https://www.jiji.com/jc/article?k=2025012100921"
NHK = "https://news.web.nhk/newsweb/na/na-k10014920011000"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.jiji.com/jc/article?k=2025012100921",
        "https://www.jiji.com/jc/article?k=2025012100921&g=pol",
        "https://www.jiji.com/jc/article?g=pol&k=2025012100921",
        "https://www.jiji.com/jc/article?k=2025012100921&g=pol&m=rss",
        "https://www.jiji.com/jc/article?k=2025012100921&utm_source=twitter&utm_medium=social",
        "http://www.jiji.com/jc/article?k=2025012100921&g=pol",
        "https://jiji.com/jc/article?k=2025012100921",
        "https://www.jiji.com/sp/article?k=2025012100921&g=pol",
        "https://www.jiji.com/amp/article?k=2025012100921&g=pol",
        "https://www.jiji.com/jc/article?k=2025012100921&amp;g=pol",
        "https://www.jiji.com/jc/article?k=2025012100921#comment",
        "https://www.jiji.com/jc/article?k=2025012100921%E3%80%82",
        "  https://WWW.JIJI.COM/jc/article?k=2025012100921  ",
        "/jc/article?k=2025012100921&g=pol",
    ],
)
def test_jiji_variants(url):
    ref = jiji.canonicalize(url)
    assert ref is not None
    assert (ref.stable_key, ref.canonical_url) == ("2025012100921", JIJI)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.jiji.com/jc/list?g=pol",
        "https://www.jiji.com/jc/c?g=pol",
        "https://www.jiji.com/jc/article?g=pol",
        "https://www.jiji.com/jc/article?k=abc",
        "https://www.jiji.com/jc/v8?id=202210tenbyo06",
        "https://www.jiji.com/jc/giin?d=dba4f5099178787d6398d1695161b9ed&c=syu",
        "https://example.com/jc/article?k=2025012100921",
        "ftp://www.jiji.com/jc/article?k=2025012100921",
        "",
    ],
)
def test_jiji_non_articles(url):
    assert jiji.canonicalize(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://news.web.nhk/newsweb/na/na-k10014920011000",
        "https://news.web.nhk/newsweb/na/na-k10014920011000/",
        "https://news.web.nhk/newsweb/na/na-k10014920011000?utm_source=x&utm_medium=rss",
        "https://news.web.nhk/newsweb/na/na-k10014920011000#anchor",
        "https://www3.nhk.or.jp/news/html/20250924/k10014920011000.html",
        "http://www3.nhk.or.jp/news/html/20250924/k10014920011000.html",
        "https://www3.nhk.or.jp/news/html/20250924/k10014920011000.html?utm_int=news_contents_news-main_001",
        "https://www3.nhk.or.jp/news/html/20250924/amp/k10014920011000.html",
        "https://www.nhk.or.jp/news/html/20250924/k10014920011000.html",
        "https://www3.nhk.or.jp/news/html/20250924/K10014920011000.html",
        "//www3.nhk.or.jp/news/html/20250924/k10014920011000.html",
    ],
)
def test_nhk_variants(url):
    ref = nhk.canonicalize(url)
    assert ref is not None
    assert (ref.stable_key, ref.canonical_url) == ("k10014920011000", NHK)


@pytest.mark.parametrize(
    "url",
    [
        "https://news.web.nhk/n-data/conf/na/rss/cat4.xml",
        "https://news.web.nhk/newsweb/pl/news-nwa-topic-nationwide-0002398",
        "https://news.web.nhk/newsweb",
        "https://www3.nhk.or.jp/news/",
        "https://www3.nhk.or.jp/news/cat04.html",
        "https://www3.nhk.or.jp/news/html/20250924/k1001492001100.html",  # 13 digits
        "https://www.nhk.or.jp/rss/news/cat4.xml",
        "https://example.com/news/html/20250924/k10014920011000.html",
        "https://www3.nhk.or.jp/news/html/20250924/K10014920011_2509240812_0924084002_01_02.jpg",
        "",
    ],
)
def test_nhk_non_articles(url):
    assert nhk.canonicalize(url) is None
