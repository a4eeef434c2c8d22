"""Parsers against the real captured pages in ../shared/fixtures (see tests/conformance.py).

One test per criterion and page. Skipped, with a reason, where the shared folder is absent; a
missing parser module or a parser crash fails (it is not skipped).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from tests.conformance import (
    F1_GOAL,
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
needs_shared = pytest.mark.skipif(SHARED is None, reason=SKIP_REASON)
# without the shared folder there is nothing to parametrize over: one skipped case says why
PAGE_PARAMS = [pytest.param(p, id=p.name) for p in PAGES] or [
    pytest.param(None, id="no-shared-fixtures", marks=pytest.mark.skip(reason=SKIP_REASON))
]


@functools.cache
def _result(name: str) -> Result:
    return check(next(p for p in PAGES if p.name == name))


def _parsed(page: Page) -> Result:
    result = _result(page.name)
    assert result.error is None, f"{page.name} ({page.outlet}): {result.error}"
    return result


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_title(page: Page) -> None:
    assert _parsed(page).title == page.expected["title"]


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_published(page: Page) -> None:
    assert _parsed(page).published == page.expected["published"]


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_body_char_f1(page: Page) -> None:
    f1 = _parsed(page).f1
    assert f1 >= F1_GOAL, f"{page.name}: char-F1 {f1:.4f} < {F1_GOAL}"


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_body_complete(page: Page) -> None:
    if "body_complete" not in page.expected:
        pytest.skip(f"{page.name}: the expected file does not state body_complete")
    assert _parsed(page).body_complete == page.expected["body_complete"]


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


def test_check_reports_a_wrong_title_and_a_missing_parser(tmp_path: Path) -> None:
    """The harness must fail pages, not only pass them."""
    html = tmp_path / "page.html"
    html.write_text(
        '<html><head><script type="application/ld+json">{"@type":"NewsArticle","headline":"本当の見出し",'
        '"datePublished":"2025-04-17T01:35:00Z"}</script></head><body>'
        "<script>Fusion.globalContent={\"_id\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\",\"headlines\":{\"basic\":\"本当の見出し\"},"
        "\"content_elements\":[{\"type\":\"text\",\"content\":\"本文です。\"}]};Fusion.x=1;</script></body></html>",
        encoding="utf-8",
    )
    expected = {"title": "違う見出し", "published": "2025-04-17T01:35:00Z", "paragraphs": ["本文です。"],
                "body_complete": True}
    url = "https://www.example-arc.jp/article/20250417-ABCDEFGHIJKLMNOPQRSTUVWXYZ/"
    result = check(Page(html=html, expected=expected, outlet="reuters", url=url, name="x/page.html"))
    assert result.error is None
    checks = (result.title_ok, result.published_ok, result.f1_ok, result.complete_ok)
    assert checks == (False, True, True, True)
    assert not result.passed
    assert "title '本当の見出し' != '違う見出し'" in format_table([result])

    missing = check(Page(html=html, expected=expected, outlet="nowhere", url=url, name="x/page.html"))
    assert missing.error and not missing.passed


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
