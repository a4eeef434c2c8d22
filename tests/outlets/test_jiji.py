"""jiji.com page parser over the project's own fixture pages (crawler/mirror/site/jiji/)."""

from __future__ import annotations

import re

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse

from crawler.outlets import jiji
from crawler.outlets.base import ParseError
from tests.support import page_response

IWAYA_RUBIO = "https://www.jiji.com/jc/article?k=2025012100921&g=pol"
AUSTRALIA = "https://www.jiji.com/jc/article?k=2025012200455&g=pol"
FLASH = "https://www.jiji.com/jc/article?k=2025031300148&g=flash"
G7_STORY = "https://www.jiji.com/jc/article?k=2025031300352&g=pol"
LIST = "https://www.jiji.com/jc/list?g={}"


@pytest.fixture(scope="module")
def article():
    return jiji.parse_article(page_response("jiji", "article_2025012100921.html", IWAYA_RUBIO))


@pytest.fixture(scope="module")
def edited():
    return jiji.parse_article(page_response("jiji", "article_2025012100921_v2.html", IWAYA_RUBIO))


@pytest.fixture(scope="module")
def block_layout():
    return jiji.parse_article(page_response("jiji", "article_2025012200455.html", AUSTRALIA))


@pytest.fixture(scope="module")
def flash():
    return jiji.parse_article(page_response("jiji", "flash_2025031300148.html", FLASH))


def _html(body: str, url: str = IWAYA_RUBIO, status: int = 200) -> HtmlResponse:
    data = body.encode("utf-8")
    return HtmlResponse(url=url, body=data, encoding="utf-8", status=status, request=Request(url))


def _without_json_ld(filename: str, url: str) -> HtmlResponse:
    """The same page with its JSON-LD gone: the DOM must carry every field."""
    text = page_response("jiji", filename, url).text
    text = re.sub(r'<script type="application/ld\+json">.*?</script>', "", text, flags=re.S)
    return _html(text, url)


# --- article page ----------------------------------------------------------------------


def test_title(article):
    assert article.title == "日米外相、同盟強化で一致\u3000岩屋氏、ルビオ長官と初会談"
    assert article.sources["title"] == "jsonld"


def test_title_has_no_site_suffix_from_dom_or_meta():
    parsed = jiji.parse_article(_without_json_ld("article_2025012100921.html", IWAYA_RUBIO))
    assert parsed.title == "日米外相、同盟強化で一致\u3000岩屋氏、ルビオ長官と初会談"
    assert parsed.sources["title"] == "dom"
    assert jiji.strip_site_suffix("日米外相が会談：時事ドットコム") == "日米外相が会談"


def test_published(article):
    assert article.published == "2025-01-22T00:13:00+09:00"


def test_published_from_dom_date_line():
    parsed = jiji.parse_article(_without_json_ld("article_2025012100921.html", IWAYA_RUBIO))
    assert parsed.published == "2025-01-22T00:13:00+09:00"  # 「2025年01月22日00時13分」
    assert parsed.sources["published"] == "dom"


def test_modified(article, edited):
    assert article.modified == "2025-01-22T00:13:00+09:00"
    assert edited.modified == "2025-01-22T09:41:00+09:00"


def test_paragraphs(article):
    assert article.paragraphs == [
        "岩屋毅外相は２１日（日本時間２２日未明）、ワシントンでルビオ米国務長官と初めて会談した。"
        "両氏は日米同盟の抑止力・対処力を一層強化していく方針で一致した。",
        "岩屋毅外相は会談後、記者団に「率直で実りのある意見交換ができた」と語った。",
        "両氏は、中国による東・南シナ海での力による一方的な現状変更の試みに反対する立場を確認。"
        "北朝鮮の核・ミサイル開発への対応でも緊密に連携していくことを申し合わせた。",
        "岩屋氏は石破茂首相の早期訪米に向けた協力も要請した。",
    ]
    assert article.sources["body"] == "dom"


def test_paragraphs_leave_out_related_link_ads_and_bottom_links(article):
    body = article.body
    assert "訪米へ出発" not in body  # p.ArticleTextTab
    assert "googletag" not in body  # aside.ArticleInnerAD
    assert "記事一覧へ" not in body  # aside.ArticleBottomLink
    assert "大雪" not in body  # ranking in the side column


def test_paragraphs_take_names_as_text_not_markup(article):
    # 岩<!--es-->屋<!--es-->毅 inside a link
    assert article.paragraphs[1].startswith("岩屋毅外相は")
    assert "<!--" not in article.body


def test_paragraphs_newer_article_block_layout(block_layout):
    assert len(block_layout.paragraphs) == 2
    assert block_layout.paragraphs[0].startswith("岩屋毅外相は２２日、オーストラリアのウォン外相と")
    assert block_layout.paragraphs[1].endswith("緊密に意思疎通を図りたいと伝えた。")


def test_paragraphs_trim_full_width_indent(article):
    assert all(not p.startswith(("\u3000", " ")) for p in article.paragraphs)


def test_stable_key(article):
    assert article.stable_key == "2025012100921"
    assert article.key == "jiji:2025012100921"


def test_canonical_url(article):
    assert article.canonical_url == "https://www.jiji.com/jc/article?k=2025012100921"
    assert article.url == IWAYA_RUBIO


def test_section(article):
    assert article.section == "政治"


def test_description(article):
    assert article.description is not None
    assert article.description.startswith("岩屋毅外相は２１日")


def test_body_from_lead_only_is_incomplete():
    page = (
        '<html><head><meta name="description" content="岩屋毅外相はルビオ米国務長官と会談した。">'
        '</head><body><div class="ArticleTitle"><h1>日米外相が会談　同盟強化を確認</h1>'
        '<p class="ArticleTitleData">2025年01月22日00時13分</p></div>'
        '<div class="Premium">会員限定</div></body></html>'
    )
    parsed = jiji.parse_article(_html(page))
    assert parsed.paragraphs == ["岩屋毅外相はルビオ米国務長官と会談した。"]
    assert parsed.sources["body"] == "fallback:description"
    assert parsed.body_complete is False


def test_lang_and_kind(article):
    assert article.lang == "ja"
    assert article.kind == "article"
    assert article.body_complete is True


def test_edited_version_changes_headline_and_adds_paragraph(article, edited):
    assert edited.stable_key == article.stable_key
    assert edited.title != article.title
    assert edited.title.startswith("日米外相、同盟強化で一致\u3000首脳会談の早期実現へ調整")
    assert edited.paragraphs[: len(article.paragraphs)] == article.paragraphs
    assert edited.paragraphs[-1].startswith("会談は約４０分間行われた。")


# --- 速報 (flash) ----------------------------------------------------------------------


def test_flash_kind(flash):
    assert flash.kind == "flash"
    assert flash.title == "【速報】日米外相がカナダで会談"
    assert flash.paragraphs == ["日米外相がカナダで会談"]


def test_flash_without_prefix_is_recognised_by_its_one_line_body():
    page = (
        "<html><body><div class='ArticleTitle'><h1>日米防衛相が電話会談</h1>"
        "<p class='ArticleTitleData'>2025年02月05日21時10分</p></div>"
        "<div class='ArticleText'><p>　日米防衛相が電話会談</p></div></body></html>"
    )
    assert jiji.parse_article(_html(page, "https://www.jiji.com/jc/article?k=2025020501177")).kind == "flash"


def test_full_story_after_flash_is_an_article():
    story = jiji.parse_article(page_response("jiji", "article_2025031300352.html", G7_STORY))
    assert story.kind == "article"
    assert story.stable_key == "2025031300352"
    assert len(story.paragraphs) == 3


def test_flash_with_headline_only_keeps_the_headline_as_body():
    page = (
        '<html><head><title>【速報】日米防衛相が電話会談：時事ドットコム</title></head><body><div id="Main">'
        '<div class="ArticleTitle"><h1>【速報】日米防衛相が電話会談</h1>'
        '<p class="ArticleTitleData">2025年02月05日21時10分</p></div>'
        '<div class="ArticleText clearfix"><aside class="ArticleInnerAD"></aside></div></div></body></html>'
    )
    parsed = jiji.parse_article(_html(page, "https://www.jiji.com/jc/article?k=2025020501177"))
    assert parsed.kind == "flash"
    assert parsed.paragraphs == ["日米防衛相が電話会談"]
    assert parsed.published == "2025-02-05T21:10:00+09:00"


# --- pages that are not an article -----------------------------------------------------------


def test_empty_body_is_a_parse_error():
    page = (
        "<html><body><div class='ArticleTitle'><h1>日米外相、同盟強化で一致　ワシントンで初会談の詳報</h1>"
        "<p class='ArticleTitleData'>2025年01月22日00時13分</p></div>"
        "<div class='ArticleText'><aside class='ArticleInnerAD'>広告</aside></div></body></html>"
    )
    with pytest.raises(ParseError, match="empty body"):
        jiji.parse_article(_html(page))


def test_no_title_is_a_parse_error():
    with pytest.raises(ParseError, match="no title"):
        jiji.parse_article(_html("<html><body><p>お探しのページは見つかりませんでした。</p></body></html>"))


def test_no_date_is_a_parse_error():
    page = (
        "<html><body><div class='ArticleTitle'><h1>日米外相が会談</h1></div>"
        "<div class='ArticleText'><p>岩屋毅外相はルビオ米国務長官と会談した。</p></div>"
    )
    with pytest.raises(ParseError, match="no date"):
        jiji.parse_article(_html(page))


def test_error_status_is_a_parse_error():
    with pytest.raises(ParseError, match="error page"):
        jiji.parse_article(_html("<html><body>Not Found</body></html>", status=404))


# --- listings -------------------------------------------------------------------------------


def test_discover_pol_listing():
    found = jiji.discover(page_response("jiji", "list_pol.html", LIST.format("pol")))
    assert [d.url for d in found] == [
        "https://www.jiji.com/jc/article?k=2025012200455",
        "https://www.jiji.com/jc/article?k=2025012100921",
    ]
    assert found[1].title == "日米外相、同盟強化で一致\u3000岩屋氏、ルビオ長官と初会談"
    assert all(d.kind == "article" for d in found)


def test_discover_infers_the_year_from_the_article_id():
    found = jiji.discover(page_response("jiji", "list_pol.html", LIST.format("pol")))
    assert found[1].published == "2025-01-22T00:13:00+09:00"  # 「(01/22 00:13)」 + k=20250121…


def test_discover_ignores_ranking_and_navigation():
    found = jiji.discover(page_response("jiji", "list_int.html", LIST.format("int")))
    assert "https://www.jiji.com/jc/article?k=2025012000777" not in [d.url for d in found]
    assert len(found) == 2


def test_discover_marks_flash_entries_in_news_listing():
    found = {d.url: d for d in jiji.discover(page_response("jiji", "list_news.html", LIST.format("news")))}
    assert found["https://www.jiji.com/jc/article?k=2025031300148"].kind == "flash"
    assert found["https://www.jiji.com/jc/article?k=2025012100921"].kind == "article"


def test_discover_flash_listing_is_all_flash():
    found = jiji.discover(page_response("jiji", "list_flash.html", LIST.format("flash")))
    assert [(d.url, d.kind) for d in found] == [("https://www.jiji.com/jc/article?k=2025031300148", "flash")]


def test_discover_state_two_lists_the_full_story():
    found = [d.url for d in jiji.discover(page_response("jiji", "list_news_2.html", LIST.format("news")))]
    assert found[0] == "https://www.jiji.com/jc/article?k=2025031300352"
    assert len(found) == 4


def test_discover_falls_back_to_article_links_in_main_column():
    page = (
        '<html><body><div id="Main"><div class="NewList"><a href="/jc/article?k=2025031300352&amp;g=pol">'
        "日米外相、関税で協議継続 (03/13 11:38)</a></div></div>"
        '<div id="Side"><div class="Ranking">'
        '<a href="/jc/article?k=2025012000777&amp;g=soc">大雪</a></div></div>'
        "</body></html>"
    )
    found = jiji.discover(_html(page, LIST.format("pol")))
    assert [(d.url, d.title, d.published) for d in found] == [
        (
            "https://www.jiji.com/jc/article?k=2025031300352",
            "日米外相、関税で協議継続",
            "2025-03-13T11:38:00+09:00",
        )
    ]


def test_discover_empty_listing_is_a_parse_error():
    with pytest.raises(ParseError, match="no article links"):
        page = "<html><body><div id='Main'><p>記事はありません</p></div></body></html>"
        jiji.discover(_html(page, LIST.format("pol")))


def test_discover_non_html_is_a_parse_error():
    url = LIST.format("pol")
    response = XmlResponse(url=url, body=b"<?xml version='1.0'?><rss><channel/></rss>", request=Request(url))
    with pytest.raises(ParseError):
        jiji.discover(response)


def test_outlet():
    assert jiji.OUTLET.name == "jiji"
    assert "www.jiji.com" in jiji.OUTLET.hosts
    assert set(jiji.OUTLET.start_urls) == {LIST.format(g) for g in ("pol", "int", "news")}
