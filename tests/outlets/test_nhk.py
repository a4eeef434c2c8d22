"""NHK page parser and feed discovery over the project's own fixtures (crawler/mirror/site/nhk/)."""

from __future__ import annotations

import re

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse

from crawler.outlets import nhk
from crawler.outlets.base import ParseError
from crawler.outlets.dates import parse_ja_date
from tests.support import page_response

OLD_URL = "https://www3.nhk.or.jp/news/html/20250924/k10014920011000.html"
TEASER_URL = "https://news.web.nhk/newsweb/na/na-k10014950021000"
AUSTRALIA_URL = "https://news.web.nhk/newsweb/na/na-k10014958031000"
FEED = "https://news.web.nhk/n-data/conf/na/rss/cat{}.xml"


@pytest.fixture(scope="module")
def old():
    return nhk.parse_article(page_response("nhk", "www3_k10014920011000.html", OLD_URL))


@pytest.fixture(scope="module")
def edited():
    return nhk.parse_article(page_response("nhk", "www3_k10014920011000_v2.html", OLD_URL))


@pytest.fixture(scope="module")
def teaser():
    return nhk.parse_article(page_response("nhk", "na-k10014950021000.html", TEASER_URL))


def _html(body: str | bytes, url: str = TEASER_URL, status: int = 200) -> HtmlResponse:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return HtmlResponse(url=url, body=data, encoding="utf-8", status=status, request=Request(url))


def _xml(body: bytes, url: str = FEED.format(4)) -> XmlResponse:
    return XmlResponse(url=url, body=body, request=Request(url))


def _without_json_ld(filename: str, url: str) -> HtmlResponse:
    text = page_response("nhk", filename, url).text
    return _html(re.sub(r'<script[^>]*type="application/ld\+json">.*?</script>', "", text, flags=re.S), url)


# --- old layout (www3) ------------------------------------------------------------------


def test_title(old):
    assert old.title == "日米外相会談 岩屋外相とルビオ国務長官 抑止力強化で連携確認"
    assert old.sources["title"] == "jsonld"


def test_published(old):
    assert old.published == "2025-09-24T08:12:30+09:00"


def test_published_from_naive_time_element_is_jst():
    parsed = nhk.parse_article(_without_json_ld("www3_k10014920011000.html", OLD_URL))
    assert parsed.published == "2025-09-24T08:12:30+09:00"  # <time datetime="2025-09-24T08:12:30">
    assert parsed.sources["published"] == "dom"
    assert parsed.title == "日米外相会談 岩屋外相とルビオ国務長官 抑止力強化で連携確認"


def test_modified(old):
    assert old.modified == "2025-09-24T08:40:02+09:00"


def test_paragraphs(old):
    assert old.paragraphs == [
        "国連総会に合わせてニューヨークを訪れている岩屋外務大臣は、アメリカのルビオ国務長官と会談し、"
        "日米同盟の抑止力と対処力の強化に向けて、引き続き緊密に連携していくことを確認しました。",
        "会談はニューヨーク市内のホテルでおよそ30分間行われました。",
        "この中で岩屋大臣は、日米間の関税をめぐる合意を着実に履行していくことが重要だと指摘し、"
        "担当閣僚どうしの協議を続けていく考えを伝えました。",
        "これに対しルビオ長官は、インド太平洋地域の平和と安定にとって日米同盟は欠かせないと応じたということです。",
        "両氏は、来月予定されている日米首脳の往来に向けて、準備を加速させることでも一致しました。",
    ]


def test_paragraphs_leave_out_subheadings_and_link_cards(old):
    assert "《会談の概要》" not in old.body
    assert "詳しくはこちら" not in old.body
    assert "ニュース一覧へ戻る" not in old.body


def test_body_complete(old):
    assert old.body_complete is True
    assert old.sources["layout"] == "old"


def test_stable_key(old):
    assert old.stable_key == "k10014920011000"
    assert old.key == "nhk:k10014920011000"


def test_canonical_url_is_the_new_site(old):
    assert old.canonical_url == "https://news.web.nhk/newsweb/na/na-k10014920011000"
    assert old.url == OLD_URL


def test_section_and_description(old):
    assert old.section == "政治"
    assert old.description is not None and old.description.startswith("国連総会に合わせて")


def test_edited_version_keeps_the_correction_note(old, edited):
    assert edited.stable_key == old.stable_key
    assert edited.title == "日米外相会談 岩屋外相とルビオ国務長官 関税合意の履行でも連携"
    assert edited.modified == "2025-09-24T11:05:44+09:00"
    assert edited.paragraphs[1] == "会談はニューヨーク市内のホテルでおよそ50分間行われました。"
    assert edited.paragraphs[-1].startswith("※当初、会談の時間を「およそ30分間」と掲載していましたが")


# --- new site (news.web.nhk) ------------------------------------------------------------


def test_teaser_title(teaser):
    assert teaser.title == "日米外相会談 茂木外相とルビオ国務長官 同盟の一層の強化を確認"


def test_teaser_published(teaser):
    assert teaser.published == "2025-10-28T12:05:00+09:00"


def test_teaser_paragraphs(teaser):
    assert teaser.paragraphs == [
        "茂木外務大臣は、トランプ大統領に同行して来日したアメリカのルビオ国務長官と東京都内で会談し、"
        "日米同盟の一層の強化に向けて緊密に連携していくことを確認しました。",
        "この中で…",
    ]


def test_teaser_leaves_out_consent_overlay_keywords_and_related(teaser):
    assert "受信契約" not in teaser.body
    assert "注目ワード" not in teaser.body
    assert "赤沢経産相" not in teaser.body  # あわせて読みたい


def test_teaser_body_incomplete(teaser):
    assert teaser.body_complete is False
    assert teaser.sources["layout"] == "new"


def test_teaser_stable_key_and_canonical_url(teaser):
    assert teaser.stable_key == "k10014950021000"
    assert teaser.canonical_url == TEASER_URL


def test_teaser_description_is_the_json_ld_lead(teaser):
    assert teaser.description is not None
    assert teaser.description.startswith("茂木外務大臣は、トランプ大統領に同行して")


def test_new_site_without_json_ld_uses_h1_and_time():
    parsed = nhk.parse_article(_without_json_ld("na-k10014950021000.html", TEASER_URL))
    assert parsed.title == "日米外相会談 茂木外相とルビオ国務長官 同盟の一層の強化を確認"
    assert parsed.published == "2025-10-28T12:05:00+09:00"
    assert parsed.sources["title"] == "dom" and parsed.sources["published"] == "dom"
    assert len(parsed.paragraphs) == 2 and parsed.body_complete is False


def test_new_site_survives_renamed_hashed_classes():
    text = page_response("nhk", "na-k10014958031000.html", AUSTRALIA_URL).text
    renamed = re.sub(r'class="[^"]*"', 'class="zz9q1x0"', text)  # a redeploy renames every class
    parsed = nhk.parse_article(_html(renamed, AUSTRALIA_URL))
    assert parsed.title == "日豪外相が電話会談 茂木外相とウォン外相 防衛協力の深化で一致"
    assert parsed.paragraphs[0].startswith("茂木外務大臣はオーストラリアのウォン外相と電話で会談し")
    assert parsed.paragraphs[-1] == "この中で…"


def test_new_site_plain_text_dates_give_published_and_modified():
    page = (
        "<html><head><title>日米防衛相会談 | NHKニュース</title></head><body><main><div><div>"
        "<h1>日米防衛相会談 小泉防衛相とヘグセス国防長官</h1><div>2025年10月29日9:05</div>"
        "<div>(2025年10月29日10:40更新)</div><button type='button'>シェアする</button>"
        "<div class='q1'><p>小泉防衛大臣はヘグセス国防長官と会談しました。</p><p>この中で…</p></div>"
        "</div><div><h3>注目ワード</h3><a href='/x'>防衛省</a></div></div></main></body></html>"
    )
    parsed = nhk.parse_article(_html(page, "https://news.web.nhk/newsweb/na/na-k10014962001000"))
    assert parsed.published == "2025-10-29T09:05:00+09:00"
    assert parsed.modified == "2025-10-29T10:40:00+09:00"
    assert parsed.title == "日米防衛相会談 小泉防衛相とヘグセス国防長官"
    assert parsed.paragraphs == ["小泉防衛大臣はヘグセス国防長官と会談しました。", "この中で…"]


def test_japanese_dates_read_gozen_gogo():
    assert parse_ja_date("2025年10月28日午後0時05分") == "2025-10-28T12:05:00+09:00"
    assert parse_ja_date("2025年10月28日午後7時40分") == "2025-10-28T19:40:00+09:00"
    assert parse_ja_date("2025年10月29日午前11時20分") == "2025-10-29T11:20:00+09:00"
    assert parse_ja_date("2024年12月5日 16時00分") == "2024-12-05T16:00:00+09:00"


def test_is_teaser():
    assert nhk.is_teaser(["一文目。", "この中で…"]) is True
    assert nhk.is_teaser(["一文目。", "二文目。"]) is False


# --- pages that are not an article --------------------------------------------------------


def test_consent_page_is_a_parse_error():
    with pytest.raises(ParseError, match="consent page"):
        nhk.parse_article(page_response("nhk", "consent.html", TEASER_URL))


def test_article_with_consent_overlay_is_not_a_consent_page():
    response = page_response("nhk", "na-k10014950021000.html", TEASER_URL)
    assert nhk.is_consent_page(response) is False
    assert nhk.is_consent_page(_without_json_ld("na-k10014950021000.html", TEASER_URL)) is False


def test_empty_body_is_a_parse_error():
    page = (
        "<html><body><h1>日米外相会談</h1><time datetime='2025-10-28T12:05:00+09:00'>2025年10月28日</time>"
        "<div><h2>あわせて読みたい</h2><p>関連記事</p></div></body></html>"
    )
    with pytest.raises(ParseError, match="empty body"):
        nhk.parse_article(_html(page))


def test_no_title_is_a_parse_error():
    with pytest.raises(ParseError, match="no title"):
        nhk.parse_article(_html("<html><body><p>ただいまアクセスが集中しています。</p></body></html>"))


def test_error_status_is_a_parse_error():
    with pytest.raises(ParseError, match="error page"):
        nhk.parse_article(_html("<html><body>Not Found</body></html>", status=404))


# --- RSS feeds ------------------------------------------------------------------------------


def test_discover_cat4():
    found = nhk.discover(page_response("nhk", "cat4.xml", FEED.format(4)))
    assert [d.url for d in found] == [TEASER_URL, OLD_URL]  # the old-site link is kept as listed
    first = found[0]
    assert first.title == "日米外相会談 茂木外相とルビオ国務長官 同盟の一層の強化を確認"
    assert first.published == "2025-10-28T12:05:00+09:00"
    assert first.description is not None and first.description.startswith("茂木外務大臣は")
    assert first.kind == "article"


def test_discover_cat6_lists_the_hard_negative():
    found = nhk.discover(page_response("nhk", "cat6.xml", FEED.format(6)))
    assert found[0].url == AUSTRALIA_URL
    assert found[0].title is not None and found[0].title.startswith("日豪外相が電話会談")


def test_discover_state_two_adds_follow_up():
    found = nhk.discover(page_response("nhk", "cat4_2.xml", FEED.format(4)))
    assert found[0].url == "https://news.web.nhk/newsweb/na/na-k10014961051000"
    assert len(found) == 3


def test_discover_legacy_feed():
    found = nhk.discover(page_response("nhk", "legacy_cat4.xml", "https://www.nhk.or.jp/rss/news/cat4.xml"))
    assert [(d.url, d.published) for d in found] == [(OLD_URL, "2025-09-24T08:12:30+09:00")]


def test_discover_malformed_feed_is_a_parse_error():
    with pytest.raises(ParseError, match="malformed XML"):
        nhk.discover(_xml(b"<?xml version='1.0'?><rss><channel><item><title>x</title></channel>"))


def test_discover_empty_feed_is_a_parse_error():
    no_items = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"
    with pytest.raises(ParseError, match=r"empty (feed|document)"):
        nhk.discover(_xml(no_items))
    with pytest.raises(ParseError, match=r"empty (feed|document)"):
        nhk.discover(_xml(b""))


def test_discover_non_xml_is_a_parse_error():
    with pytest.raises(ParseError):
        nhk.discover(_html("<!DOCTYPE html><html><body><p>メンテナンス中</p></body></html>", FEED.format(4)))


def test_discover_skips_non_article_links():
    feed = (
        b"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
        b"<item><title>special</title><link>https://news.web.nhk/newsweb/pl/news-nwa-special</link></item>"
        b"</channel></rss>"
    )
    with pytest.raises(ParseError, match="no article links"):
        nhk.discover(_xml(feed))


def test_outlet():
    assert nhk.OUTLET.name == "nhk"
    assert set(nhk.OUTLET.hosts) == {"news.web.nhk", "www3.nhk.or.jp", "www.nhk.or.jp"}
    assert nhk.OUTLET.start_urls == tuple(FEED.format(n) for n in (4, 6, 5))
