"""``talkwatch parse`` against the real captured pages in ../shared/fixtures (see tests/conformance.py).

One test per criterion, page and mode (with ``--url`` and without it). Skipped, with a reason, where the
shared folder is absent; a missing parser or a parser crash fails (it is not skipped).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from tests.conformance import (
    F1_GOAL,
    MODES,
    SKIP_REASON,
    Page,
    Result,
    char_f1,
    check,
    find_pages,
    format_table,
    outlet_for,
    readme_urls,
    shared_dir,
    squeeze,
)

SHARED = shared_dir()
PAGES = find_pages(SHARED) if SHARED else []
ARTICLES = [p for p in PAGES if not p.is_discovery]
LISTINGS = [p for p in PAGES if p.is_discovery]
needs_shared = pytest.mark.skipif(SHARED is None, reason=SKIP_REASON)


def _params(pages: list[Page]) -> list[object]:
    """(page, mode) cases; one skipped case saying why when the shared folder is absent."""
    cases = [pytest.param(p, m, id=f"{p.name}-{m}") for p in pages for m in MODES]
    skipped = pytest.param(None, None, id="no-shared-fixtures", marks=pytest.mark.skip(reason=SKIP_REASON))
    return cases or [skipped]


@functools.cache
def _result(name: str, mode: str) -> Result:
    return check(next(p for p in PAGES if p.name == name), mode)


def _parsed(page: Page, mode: str, kind: str) -> Result:
    result = _result(page.name, mode)
    assert result.error is None, f"{page.name} ({page.outlet}, {mode}): {result.error}"
    assert result.got.get("kind") == kind, f"{page.name} ({mode}) parsed as {result.got.get('kind')}"
    return result


@pytest.mark.parametrize(("page", "mode"), _params(ARTICLES))
def test_title(page: Page, mode: str) -> None:
    assert _parsed(page, mode, "article").got.get("title") == page.expected["title"]


@pytest.mark.parametrize(("page", "mode"), _params(ARTICLES))
def test_published(page: Page, mode: str) -> None:
    assert _parsed(page, mode, "article").got.get("published") == page.expected["published"]


@pytest.mark.parametrize(("page", "mode"), _params(ARTICLES))
def test_modified(page: Page, mode: str) -> None:
    if "modified" not in page.expected:
        pytest.skip(f"{page.name}: the expected file does not state modified")
    assert _parsed(page, mode, "article").got.get("modified") == page.expected["modified"]


@pytest.mark.parametrize(("page", "mode"), _params(ARTICLES))
def test_body_char_f1(page: Page, mode: str) -> None:
    f1 = _parsed(page, mode, "article").f1
    assert f1 >= F1_GOAL, f"{page.name}: char-F1 {f1:.4f} < {F1_GOAL}"


@pytest.mark.parametrize(("page", "mode"), _params(ARTICLES))
def test_body_complete(page: Page, mode: str) -> None:
    if "body_complete" not in page.expected:
        pytest.skip(f"{page.name}: the expected file does not state body_complete")
    assert _parsed(page, mode, "article").got.get("body_complete") == page.expected["body_complete"]


@pytest.mark.parametrize(("page", "mode"), _params(ARTICLES))
def test_stable_key(page: Page, mode: str) -> None:
    if not page.expected.get("stable_key"):
        pytest.skip(f"{page.name}: the expected file names no outlet id (stable_key absent or null)")
    assert _parsed(page, mode, "article").key_ok


@pytest.mark.parametrize(("page", "mode"), _params(LISTINGS))
def test_every_listed_link_found(page: Page, mode: str) -> None:
    found, wanted, _ = _parsed(page, mode, "discovery").links
    assert found == wanted, f"{page.name} ({mode}): {wanted - found} of {wanted} links missing"


@pytest.mark.parametrize(("page", "mode"), _params(LISTINGS))
def test_no_unexpected_link(page: Page, mode: str) -> None:
    _, _, extra = _parsed(page, mode, "discovery").links
    assert not extra


# --- the harness itself ---------------------------------------------------------------


def test_char_f1_identical_and_disjoint() -> None:
    assert char_f1("日米外相会談", "日米外相会談") == 1.0
    assert char_f1("abc", "xyz") == 0.0
    assert char_f1("", "") == 1.0
    assert char_f1("", "abc") == 0.0


def test_char_f1_partial() -> None:
    # 4 shared of 4 extracted and 8 expected: P = 1, R = 0.5, F1 = 2/3
    assert char_f1("日米会談", "日米会談日豪会談") == pytest.approx(2 / 3)


def test_squeeze_removes_all_whitespace() -> None:
    assert squeeze(["日米\u3000外相 会談\n", " 協議\t"]) == "日米外相会談協議"


def test_outlet_from_expected_or_folder() -> None:
    assert outlet_for({"outlet": "reuters"}, "arc") == "reuters"
    assert outlet_for({"outlet": "sankei"}, "arc") == "reuters"  # generic Arc parser
    assert outlet_for({}, "jiji") == "jiji"
    assert outlet_for({}, "nhk") == "nhk"
    assert outlet_for({}, "elsewhere") is None


def _arc_page(tmp_path: Path) -> Path:
    html = tmp_path / "page.html"
    html.write_text(
        '<html><head><script type="application/ld+json">{"@type":"NewsArticle","headline":"本当の見出し",'
        '"datePublished":"2025-04-17T01:35:00Z"}</script></head><body>'
        "<script>Fusion.globalContent={\"_id\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\",\"headlines\":{\"basic\":\"本当の見出し\"},"
        "\"content_elements\":[{\"type\":\"text\",\"content\":\"本文です。\"}]};Fusion.x=1;</script></body></html>",
        encoding="utf-8",
    )
    return html


def test_check_reports_a_wrong_title(tmp_path: Path) -> None:
    """The harness must fail pages, not only pass them."""
    expected = {"title": "違う見出し", "published": "2025-04-17T01:35:00Z", "paragraphs": ["本文です。"],
                "body_complete": True}
    url = "https://jp.reuters.com/world/ABCDEFGHIJKLMNOPQRSTUVWXYZ-2025-04-17/"
    page = Page(path=_arc_page(tmp_path), expected=expected, outlet="reuters", url=url, name="x/page.html")
    result = check(page, "url")
    assert result.error is None
    assert (result.title_ok, result.published_ok, result.f1 >= F1_GOAL, result.complete_ok) == (
        False, True, True, True)
    assert not result.passed
    assert "title '本当の見出し' != '違う見出し'" in format_table([result])


def test_check_fails_an_unknown_outlet(tmp_path: Path) -> None:
    page = Page(path=_arc_page(tmp_path), expected={"title": "x"}, outlet="nowhere",
                url="https://example.org/", name="x/page.html")
    missing = check(page, "url")
    assert missing.error and not missing.passed


def test_check_fails_a_listing_with_a_missing_link(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    "<url><loc>https://jp.reuters.com/world/ABCDEFGHIJKLMNOPQRSTUVWXYZ-2025-04-17/</loc></url>"
                    "</urlset>", encoding="utf-8")
    expected = {"kind": "discovery", "urls": [
        "https://jp.reuters.com/world/ABCDEFGHIJKLMNOPQRSTUVWXYZ-2025-04-17/",
        "https://jp.reuters.com/world/BBCDEFGHIJKLMNOPQRSTUVWXYZ-2025-04-18/"]}
    page = Page(path=feed, expected=expected, outlet="reuters", url="https://jp.reuters.com/arc/outboundfeeds/"
                "news-sitemap/?outputType=xml", name="x/feed.xml")
    result = check(page, "no-url")
    assert result.error is None
    assert result.links[:2] == (1, 2)
    assert not result.passed


def test_shared_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fixtures" / "arc").mkdir(parents=True)
    (tmp_path / "fixtures" / "arc" / "a.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "fixtures" / "arc" / "a.expected.json").write_text(
        json.dumps({"canonical_url": "https://jp.reuters.com/x/", "title": "t"}), encoding="utf-8"
    )
    # a page without ground truth is left out
    (tmp_path / "fixtures" / "arc" / "b.html").write_text("<html></html>", encoding="utf-8")
    monkeypatch.setenv("TALKWATCH_SHARED_DIR", str(tmp_path))
    assert shared_dir() == tmp_path
    pages = find_pages(tmp_path)
    assert [(p.name, p.outlet, p.url) for p in pages] == [("arc/a.html", "reuters", "https://jp.reuters.com/x/")]
    monkeypatch.setenv("TALKWATCH_SHARED_DIR", str(tmp_path / "absent"))
    assert shared_dir() is None


@needs_shared
def test_readme_table_gives_real_urls() -> None:
    assert SHARED is not None
    urls = readme_urls(SHARED / "fixtures")
    assert urls["jiji/article_2022101700794.html"] == "https://www.jiji.com/jc/article?k=2022101700794&g=pol"
    assert urls["arc/sankei_2025-01-21.html"].startswith("https://www.sankei.com/article/")
