"""Reuters Japan page parser over the project's own fixture pages (crawler/mirror/site/reuters/)."""

from __future__ import annotations

import json

import pytest
import yaml
from scrapy.http import HtmlResponse, Request, XmlResponse

from crawler.mirror import SITE_DIR
from crawler.outlets import reuters
from crawler.outlets.base import ParseError
from tests.support import page_response

AKAZAWA_URL = "https://jp.reuters.com/world/us/Q7XKZMZTN5LRBVJ4WHCA3DPEYU-2025-04-17/"
AUSTRALIA_URL = "https://jp.reuters.com/world/japan/M3TJ6VQWZC2FXN7HKRBY5LAGDE-2025-05-08/"
SITEMAP_URL = "https://jp.reuters.com/arc/outboundfeeds/news-sitemap/?outputType=xml"
INDEX_URL = "https://jp.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml"
EN_INDEX_URL = "https://www.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml"


@pytest.fixture(scope="module")
def article():
    return reuters.parse_article(page_response("reuters", "article_akazawa_bessent.html", AKAZAWA_URL))


@pytest.fixture(scope="module")
def edited():
    return reuters.parse_article(page_response("reuters", "article_akazawa_bessent_v2.html", AKAZAWA_URL))


def _without_fusion(filename: str, url: str) -> HtmlResponse:
    """The same page with the Fusion JSON gone, as after a front-end change: DOM and JSON-LD must carry it."""
    body = page_response("reuters", filename, url).body.replace(b"Fusion.globalContent=", b"Fusion.gone=")
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))


# --- article page ----------------------------------------------------------------------


def test_title(article):
    assert article.title == "赤沢再生相、ベッセント財務長官と初の関税協議\u3000閣僚級で継続へ"
    assert article.sources["title"] == "arc"


def test_published(article):
    assert article.published == "2025-04-17T01:35:00Z"  # display time, in UTC as the page declares


def test_modified(article):
    assert article.modified == "2025-04-17T01:52:10.204Z"


def test_paragraphs(article):
    assert len(article.paragraphs) == 4
    assert article.paragraphs[0].startswith("［ワシントン\u3000１６日\u3000ロイター］ - 赤沢亮正経済再生相")
    assert article.paragraphs[-1] == "ベッセント長官は会談に先立ち、日本との交渉を優先する考えを示していた。"
    assert article.sources["body"] == "arc"


def test_paragraphs_leave_out_header_caption_ads_and_related(article):
    body = article.body
    assert "次回協議は今月中にも" not in body  # Arc header element (subheading)
    assert "資料写真" not in body  # image caption
    assert "広告" not in body
    assert "民間調査" not in body  # related-article card
    assert "村井里奈" not in body  # sign-off
    assert "<a" not in body


def test_stable_key(article):
    assert article.stable_key == "Q7XKZMZTN5LRBVJ4WHCA3DPEYU"
    assert article.key == "reuters:Q7XKZMZTN5LRBVJ4WHCA3DPEYU"


def test_canonical_url(article):
    assert article.canonical_url == AKAZAWA_URL


def test_authors(article):
    assert article.authors == ["村井 里奈"]


def test_description(article):
    assert article.description and article.description.startswith("赤沢亮正経済再生相は１６日")


def test_section_and_lang(article):
    assert article.section == "米国"
    assert article.lang == "ja"


def test_body_complete(article):
    assert article.body_complete is True


def test_edited_version_changes_one_paragraph_and_modified(article, edited):
    assert edited.stable_key == article.stable_key
    assert edited.title == article.title
    assert edited.published == article.published
    assert edited.modified == "2025-04-17T04:18:42.771Z"
    changed = [(a, b) for a, b in zip(article.paragraphs, edited.paragraphs, strict=True) if a != b]
    assert len(changed) == 1
    assert "今月末にワシントンで" in changed[0][1]


def test_hard_negative_page_parses():
    parsed = reuters.parse_article(page_response("reuters", "article_japan_australia.html", AUSTRALIA_URL))
    assert parsed.stable_key == "M3TJ6VQWZC2FXN7HKRBY5LAGDE"
    assert parsed.title.startswith("岩屋外相、豪ウォン外相と会談")
    assert len(parsed.paragraphs) == 3


# --- fallbacks without the Fusion JSON -------------------------------------------------------


def test_fallback_title_from_dom():
    parsed = reuters.parse_article(_without_fusion("article_akazawa_bessent.html", AKAZAWA_URL))
    assert parsed.title == "赤沢再生相、ベッセント財務長官と初の関税協議\u3000閣僚級で継続へ"
    assert parsed.sources["title"] == "dom"


def test_fallback_paragraphs_from_dom_match_arc(article):
    parsed = reuters.parse_article(_without_fusion("article_akazawa_bessent.html", AKAZAWA_URL))
    assert parsed.paragraphs == article.paragraphs
    assert parsed.sources["body"] == "dom"


def test_fallback_dates_authors_and_key_without_fusion(article):
    parsed = reuters.parse_article(_without_fusion("article_akazawa_bessent.html", AKAZAWA_URL))
    assert (parsed.published, parsed.modified) == (article.published, article.modified)
    assert parsed.authors == ["村井 里奈"]
    assert parsed.sources["authors"] == "fallback:jsonld"
    assert parsed.stable_key == "Q7XKZMZTN5LRBVJ4WHCA3DPEYU"


def test_fusion_json_followed_by_more_script_is_read():
    text = 'x;Fusion.globalContent={"result":{"id":"A","content_elements":[]},"s":"};Fusion.x"};Fusion.y=1;'
    assert reuters.fusion_global_content(text) == {
        "result": {"id": "A", "content_elements": []},
        "s": "};Fusion.x",
    }


def test_bare_ans_shape_with_text_elements():
    """Other Arc sites: no ``result`` wrapper, ``text`` elements, ``headlines.basic``, ``credits.by``."""
    story = {
        "_id": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "headlines": {"basic": "見出し"},
        "description": {"basic": "リード"},
        "display_date": "2025-01-21T11:50:32.479Z",
        "credits": {"by": [{"name": "記者 一郎"}]},
        "content_elements": [
            {"type": "text", "content": "第一段落<b>強調</b>&amp;続き"},
            {"type": "header", "content": "小見出し"},
            {"type": "image", "caption": "写真説明"},
            {"type": "text", "content": "一行目<br/>二行目"},
        ],
    }
    payload = json.dumps(story, ensure_ascii=False)
    html = f"<html><body><script>Fusion.globalContent={payload};Fusion.x=1;</script>"
    url = "https://www.example-arc.jp/article/20250121-ABCDEFGHIJKLMNOPQRSTUVWXYZ/"
    parsed = reuters.parse_article(HtmlResponse(url=url, body=html.encode(), encoding="utf-8"))
    assert parsed.title == "見出し"
    assert parsed.paragraphs == ["第一段落強調&続き", "一行目", "二行目"]
    assert parsed.published == "2025-01-21T11:50:32.479Z"
    assert parsed.sources["published"] == "arc"
    assert parsed.authors == ["記者 一郎"]
    assert parsed.stable_key == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def test_datadome_page_is_not_an_article():
    url = "https://jp.reuters.com/world/japan/WD4NCQ7ZHKR2LXJ5VMB3TYAPGE-2025-03-30/"
    body = page_response("reuters", "datadome_captcha.html", url).body
    response = HtmlResponse(url=url, status=401, headers={"x-datadome": "protected"}, body=body)
    with pytest.raises(ParseError, match="blocked: datadome"):
        reuters.parse_article(response)


def test_page_without_article_raises():
    response = HtmlResponse(url=AKAZAWA_URL, body=b"<html><body><nav>menu</nav></body></html>")
    with pytest.raises(ParseError):
        reuters.parse_article(response)


# --- discovery ----------------------------------------------------------------------------


def test_discover_sitemap_articles():
    found = reuters.discover(page_response("reuters", "news_sitemap.xml", SITEMAP_URL))
    assert [d.url for d in found] == [
        "https://jp.reuters.com/world/china/HT5RWQ2LXM7CJK4ZNBV3YDFGAE-2025-05-11/",
        AUSTRALIA_URL,
        AKAZAWA_URL,
    ]
    assert all(d.kind == "article" for d in found)


def test_discover_sitemap_title_and_date():
    found = reuters.discover(page_response("reuters", "news_sitemap.xml", SITEMAP_URL))
    akazawa = found[-1]
    assert akazawa.title == "赤沢再生相、ベッセント財務長官と初の関税協議\u3000閣僚級で継続へ"
    assert akazawa.published == "2025-04-17T01:35:00Z"


def test_discover_skips_non_article_locs():
    url = SITEMAP_URL + "&from=100"
    found = reuters.discover(page_response("reuters", "news_sitemap_from100.xml", url))
    assert [d.url for d in found] == ["https://jp.reuters.com/world/japan/WD4NCQ7ZHKR2LXJ5VMB3TYAPGE-2025-03-30/"]


def test_discover_sitemap_index_gives_listings():
    found = reuters.discover(page_response("reuters", "news_sitemap_index.xml", INDEX_URL))
    assert [d.url for d in found] == [SITEMAP_URL, SITEMAP_URL + "&from=100"]
    assert {d.kind for d in found} == {"listing"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty document"),
        (b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>x</loc>", "malformed XML"),
        (b"<html><body>Please enable JS</body></html>", "not a sitemap"),
        (b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'></urlset>", "empty sitemap"),
        (b"<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'/>", "sitemap index without"),
        # elements outside the sitemap namespace are not sitemap entries
        (b"<urlset><url><loc>https://jp.reuters.com/a/</loc></url></urlset>", "empty sitemap"),
    ],
)
def test_discover_rejects_bad_documents(body, reason):
    with pytest.raises(ParseError, match=reason):
        reuters.discover(XmlResponse(url=SITEMAP_URL, body=body))


def test_outlet():
    assert reuters.OUTLET.name == "reuters"
    assert "jp.reuters.com" in reuters.OUTLET.hosts
    assert reuters.OUTLET.start_urls == (INDEX_URL, EN_INDEX_URL)


def test_every_sitemap_article_is_served_by_the_mirror():
    routed = {r["url"] for r in yaml.safe_load((SITE_DIR / "reuters" / "routes.yaml").read_text("utf-8"))}
    for filename, url in [
        ("news_sitemap.xml", SITEMAP_URL),
        ("news_sitemap_v2.xml", SITEMAP_URL),
        ("news_sitemap_from100.xml", SITEMAP_URL + "&from=100"),
        ("news_sitemap_index.xml", INDEX_URL),
        ("news_sitemap_index_v2.xml", INDEX_URL),
    ]:
        for found in reuters.discover(page_response("reuters", filename, url)):
            assert found.url in routed, f"{filename} lists {found.url}, which the mirror does not serve"
