"""MOFA page parser on the project's own MOFA pages (one assertion per field)."""

import pytest

from crawler.outlets import mofa
from crawler.outlets.base import ParseError
from tests.support import page_response

READOUT_URL = "https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html"
EN_URL = "https://www.mofa.go.jp/na/na1/us/pageite_000001_00768.html"


@pytest.fixture(scope="module")
def readout():
    return mofa.parse_article(page_response("mofa", "pageit_000001_01515.html", READOUT_URL))


@pytest.fixture(scope="module")
def english():
    return mofa.parse_article(page_response("mofa", "pageite_000001_00768.html", EN_URL))


def test_title(readout):
    assert readout.title == "日米外相会談"


def test_published_from_reiwa_date(readout):
    assert readout.published == "2025-01-21T00:00:00+09:00"


def test_stable_key_carries_the_path(readout):
    assert readout.stable_key == "mofaj/na/na1/us/pageit_000001_01515"


def test_canonical_url(readout):
    assert readout.canonical_url == READOUT_URL


def test_lang(readout):
    assert readout.lang == "ja"


def test_paragraphs_start_with_the_lead(readout):
    assert readout.paragraphs[0].startswith("1月21日午後3時（現地時間、日本時間22日午前5時）から約40分間")


def test_paragraphs_leave_out_headings_captions_and_links(readout):
    text = "\n".join(readout.paragraphs)
    assert "1　冒頭" not in text
    assert "写真提供" not in text
    assert "関連リンク" not in text and readout.paragraphs[-1] != "日米関係"
    assert len(readout.paragraphs) == 7


def test_body_complete(readout):
    assert readout.body_complete is True


def test_english_title(english):
    assert english.title == "Japan-U.S. Foreign Ministers' Meeting"


def test_english_published(english):
    assert english.published == "2025-01-21T00:00:00+09:00"


def test_english_lang(english):
    assert english.lang == "en"


def test_english_stable_key(english):
    assert english.stable_key == "na/na1/us/pageite_000001_00768"


@pytest.mark.parametrize(
    ("url", "key", "canonical"),
    [
        (READOUT_URL, "mofaj/na/na1/us/pageit_000001_01515", READOUT_URL),
        (READOUT_URL + "?utm_source=rss#top", "mofaj/na/na1/us/pageit_000001_01515", READOUT_URL),
        ("http://mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html", "mofaj/na/na1/us/pageit_000001_01515",
         READOUT_URL),
        ("https://www.mofa.go.jp/mofaj/press/release/press4_009876.html", "mofaj/press/release/press4_009876",
         "https://www.mofa.go.jp/mofaj/press/release/press4_009876.html"),
        # the same file name in two folders: two pages
        ("https://www.mofa.go.jp/mofaj/a_o/na2/pageit_000001_00004.html", "mofaj/a_o/na2/pageit_000001_00004",
         "https://www.mofa.go.jp/mofaj/a_o/na2/pageit_000001_00004.html"),
        ("https://www.mofa.go.jp/mofaj/press/release/pageit_000001_00004.html",
         "mofaj/press/release/pageit_000001_00004",
         "https://www.mofa.go.jp/mofaj/press/release/pageit_000001_00004.html"),
        # a page without a numeric id
        ("https://www.mofa.go.jp/mofaj/gaiko/terro/kyoryoku_05.html", "mofaj/gaiko/terro/kyoryoku_05",
         "https://www.mofa.go.jp/mofaj/gaiko/terro/kyoryoku_05.html"),
    ],
)
def test_canonicalize(url, key, canonical):
    ref = mofa.canonicalize(url)
    assert (ref.stable_key, ref.canonical_url) == (key, canonical)


@pytest.mark.parametrize("url", [
    "https://www.mofa.go.jp/mofaj/press/release/index.html",
    "https://www.mofa.go.jp/mofaj/press/release/8_01_index.html",  # a monthly archive: a listing
    "https://www.mofa.go.jp/mofaj/files/100123456.pdf",
    "https://www.mofa.go.jp/mofaj/files/000471429.gif",
    "https://www.mofa.go.jp/mofaj/",
    "https://example.com/mofaj/na/na1/us/pageit_000001_01515.html",
])
def test_canonicalize_rejects_non_articles(url):
    assert mofa.canonicalize(url) is None


def test_press_release_index_lists_readouts():
    response = page_response("mofa", "press_release_index.html", "https://www.mofa.go.jp/mofaj/press/release/index.html")
    keys = [mofa.canonicalize(d.url).stable_key for d in mofa.discover(response)]
    assert keys == ["mofaj/na/na1/us/pageit_000001_01515", "mofaj/a_o/ocn/au/pageit_000001_01522"]


def test_us_country_page_lists_us_pages():
    response = page_response("mofa", "us_index.html", "https://www.mofa.go.jp/mofaj/na/na1/us/index.html")
    keys = [mofa.canonicalize(d.url).stable_key for d in mofa.discover(response)]
    assert "mofaj/na/na1/us/pageit_000001_01515" in keys


def test_english_index_lists_english_readout():
    url = "https://www.mofa.go.jp/press/release/index.html"
    response = page_response("mofa", "en_press_release_index.html", url)
    assert [d.title for d in mofa.discover(response)] == ["Japan-U.S. Foreign Ministers' Meeting"]


def _html(body: str) -> bytes:
    return f"<html lang='ja'><head><meta charset='utf-8'></head><body>{body}</body></html>".encode()


@pytest.mark.parametrize(("body", "reason"), [
    ("<p>令和7年1月21日</p><p>本文</p>", "no title"),
    ("<div id='maincontents'><h1>日米外相会談</h1><p>本文です。</p></div>", "no date"),
    ("<div id='maincontents'><h1>日米外相会談</h1><p class='rtxt'>令和7年1月21日</p></div>", "empty body"),
])
def test_bad_pages_raise_parse_error_with_reason(body, reason):
    from scrapy.http import HtmlResponse
    response = HtmlResponse(url=READOUT_URL, body=_html(body))
    with pytest.raises(ParseError) as error:
        mofa.parse_article(response)
    assert error.value.reason == reason


def test_shift_jis_page_is_decoded_by_its_declared_charset():
    from scrapy.http import HtmlResponse
    html = ("<html><head><meta charset='shift_jis'></head><body><div id='maincontents'>"
            "<h1>日米外相会談</h1><p class='rtxt'>令和元年5月1日</p>"
            "<p>両外相は会談した。</p></div></body></html>")
    response = HtmlResponse(url=READOUT_URL, body=html.encode("shift_jis"))
    article = mofa.parse_article(response)
    assert (article.title, article.published) == ("日米外相会談", "2019-05-01T00:00:00+09:00")
