"""MOFA (外務省): press releases, meeting readouts and policy pages, Japanese and English.

Facts this module relies on (see ``../shared/fixtures/README.md`` and the real pages there):

- Japanese pages live under ``/mofaj/…``, English ones under ``/…`` of www.mofa.go.jp. File names repeat
  across folders (``pageit_000001_00004.html`` in two sections are two pages) and some pages have no
  numeric id at all (``/mofaj/gaiko/terro/kyoryoku_05.html``): the key is the page's **path**;
- the current template puts the headline in ``#contents-header h1.title1``; on a section's sub-page that
  ``<h1>`` names the section and the page's own title is ``h2.title-logo`` (= ``og:title``). The date line
  is ``#maincontents div.rightalign`` in the Japanese era (「令和8年9月10日」) or in English. The text
  is in ``#maincontents``: ``p``, ``ul/li`` and ``dl/dt/dd``, under ``h2.title2`` section headings;
- the older template (still on older pages) has the ``<h1>`` inside ``#maincontents`` and the date in
  ``p.rtxt``;
- the press-release index lists its articles in ``#pressrelease dl dd ul li a`` under 「M月D日付」
  headings; monthly archives are ``/mofaj/press/release/<令和年>_<M>_index.html``;
- no JSON-LD and no author. Folders do not say the topic (a US meeting was once filed under
  ``/na1/ca/``), so discovery never filters by path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from w3lib.url import canonicalize_url

from crawler.outlets.base import (
    ArticlePage,
    ArticleRef,
    Discovered,
    Outlet,
    ParsedArticle,
    ParseError,
    Rule,
    parse_page,
    refuse_error_page,
)
from crawler.outlets.dates import parse_en_date, parse_era_date
from crawler.outlets.text import block_lines, clean_text, split_lines, tag_name

if TYPE_CHECKING:
    from scrapy.http import TextResponse

OUTLET = Outlet(
    name="mofa",
    display_name="外務省 (MOFA)",
    hosts=("www.mofa.go.jp", "mofa.go.jp"),
    start_urls=(
        "https://www.mofa.go.jp/mofaj/press/release/index.html",
        "https://www.mofa.go.jp/mofaj/na/na1/us/index.html",
        "https://www.mofa.go.jp/press/release/index.html",
    ),
    article_url_forms=(
        "https://www.mofa.go.jp/mofaj/<folders>/<page>.html (Japanese)",
        "https://www.mofa.go.jp/<folders>/<page>.html (English), index pages excepted",
    ),
    kind="official",
    default_interval_minutes=120,
)

_PAGE_PATH = re.compile(r"^/(?:[A-Za-z0-9_.\-]+/)+[A-Za-z0-9_.\-]+\.html?$")
# index pages (the press-release index, monthly archives 8_01_index.html, country pages) are listings
_INDEX_NAME = re.compile(r"(?:^|[/_])index\.html?$")
# folders that hold files, scripts and site chrome rather than pages
_NOT_PAGES = ("/files/", "/mofaj/files/", "/style/", "/mofaj/style/", "/common/", "/mofaj/common/")
_TITLE_SUFFIX = re.compile(r"\s*[｜|]\s*(外務省|Ministry of Foreign Affairs of Japan)\s*$")
# blocks inside #maincontents that are not the text: related links, captions, share buttons, the date line
_NOT_TEXT_CLASSES = ("rel-link", "relatedlink", "caption", "share", "social-btn", "breadcrumb", "pagetop",
                     "rss", "rightalign", "rtxt", "title-list")
_TEXT_BLOCKS = {"p", "li", "dt", "dd"}


# --- URLs -----------------------------------------------------------------------


def canonicalize(url: str) -> ArticleRef | None:
    """``https://www.mofa.go.jp<path>`` and the path as key, for any MOFA page URL that is not an index."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except (ValueError, AttributeError):  # a malformed host or port ("https://[www...") is no article URL
        return None
    if host not in OUTLET.hosts or parts.scheme not in {"http", "https"}:
        return None
    path = parts.path
    if not _PAGE_PATH.match(path) or _INDEX_NAME.search(path) or path.startswith(_NOT_PAGES):
        return None
    # query strings and fragments never select a different MOFA page
    canonical = canonicalize_url(f"https://www.mofa.go.jp{path}")
    key = urlsplit(canonical).path.strip("/").rsplit(".", 1)[0]
    return ArticleRef(stable_key=key, canonical_url=canonical)


# --- article pages -------------------------------------------------------------------


class MofaPage(ArticlePage):
    """The current template: ``#contents-header`` headline, ``div.rightalign`` date, sectioned text."""

    outlet = OUTLET
    layout = "current"
    title_suffix = _TITLE_SUFFIX
    absent_fields = frozenset({"authors"})

    @classmethod
    def fits(cls, response: TextResponse) -> bool:
        return bool(response.css("#contents-header"))

    @cached_property
    def main(self) -> Any:
        return self.response.css("#maincontents")

    def guard(self) -> None:
        # no #maincontents (a redesign): the generic fallbacks read the page, and ``sources`` says so
        super().guard()
        if is_listing(self.response):
            raise ParseError("an index page, not an article", self.response.url)

    def title_rules(self) -> Sequence[Rule]:
        return (
            # on a section's sub-page the <h1> is the section; the page's own title is h2.title-logo
            ("dom", lambda: _text(self.response.css("#contents-header .title-logo"))),
            ("dom", lambda: _text(self.response.css("#contents-header h1"))),
        )

    def published_rules(self) -> Sequence[Rule]:
        return (("dom", lambda: date_line(self.main, ".rightalign")),)

    def body_rules(self) -> Sequence[Rule]:
        return (("dom", lambda: body_lines(self.main)),)

    def language(self) -> str:
        return _language(self.response)


class MofaClassicPage(MofaPage):
    """The older template: ``<h1>`` and the ``p.rtxt`` date line inside ``#maincontents``."""

    layout = "classic"

    @classmethod
    def fits(cls, response: TextResponse) -> bool:
        return True

    def title_rules(self) -> Sequence[Rule]:
        return (("dom", lambda: _text(self.main.css("h1"))),)

    def published_rules(self) -> Sequence[Rule]:
        return (("dom", lambda: date_line(self.main, "p.rtxt, .rightalign")),
                ("dom", lambda: _date(" ".join(_leading_text(self.main)))))


LAYOUTS: tuple[type[ArticlePage], ...] = (MofaPage, MofaClassicPage)


def parse_article(response: TextResponse) -> ParsedArticle:
    return parse_page(LAYOUTS, response)


def _text(selection: Any) -> str:
    return clean_text(" ".join(selection.xpath(".//text()").getall())) if selection else ""


def _language(response: TextResponse) -> str:
    declared = (response.xpath("/html/@lang").get() or "").split("-")[0].lower()
    if declared in {"ja", "en"}:
        return declared
    return "ja" if "/mofaj/" in response.url else "en"


def _date(text: str) -> str | None:
    return parse_era_date(text) or parse_en_date(text)


def date_line(main: Any, selector: str) -> str | None:
    """The first date in a date-line block (the index's ``rightalign`` holds a link, not a date)."""
    for block in main.css(selector):
        value = _date(" ".join(block.xpath(".//text()").getall()))
        if value:
            return value
    return None


def _leading_text(main: Any) -> list[str]:
    """The first text nodes of the content: where a date line without its class stands."""
    return main.xpath(".//text()[not(ancestor::script or ancestor::style)]").getall()[:80]


def body_lines(main: Any) -> list[str]:
    """The text of ``#maincontents``: paragraphs, list items, definition terms and definitions, in order.

    Section headings, the date line, photo captions, share buttons and related-link blocks are left out;
    a block that holds other text blocks (a ``dd`` around a nested ``dl``, an ``li`` with ``p`` inside)
    gives only its own loose lines, so no text is read twice.
    """
    lines: list[str] = []
    area = main.css("div.any-area") or main
    for scope in area:
        for block in _text_blocks(scope):
            lines.extend(_own_lines(block))
    return lines


def _text_blocks(scope: Any) -> Iterator[Any]:
    for block in scope.xpath(".//p | .//li | .//dt | .//dd"):
        classes = " ".join(block.xpath("./ancestor-or-self::*/@class").getall())
        if any(name in classes for name in _NOT_TEXT_CLASSES):
            continue
        if block.xpath("./ancestor::*[@id='pressrelease' or @id='sidebar' or @id='breadcrumb']"):
            continue
        yield block


def _own_lines(block: Any) -> list[str]:
    """A block's lines without the text of the blocks nested in it (those are read on their own)."""
    if not block.xpath(".//p | .//li | .//dt | .//dd"):
        return block_lines(block)
    nested = _TEXT_BLOCKS | {"ul", "ol", "dl"}
    own = [node for node in block.xpath("./node()") if tag_name(node) not in nested]
    lines: list[str] = []
    for node in own:
        if tag_name(node) is None:
            lines.extend(split_lines([node.get()]))
        elif not node.xpath(".//p | .//li | .//dt | .//dd"):
            lines.extend(block_lines(node))
    return lines


# --- listings -------------------------------------------------------------------------


def is_listing(response: TextResponse) -> bool:
    """An index of links rather than a page of text: an index URL, the press-release list, or a page whose
    content has no date line but links to MOFA pages."""
    path = urlsplit(response.url).path
    if _INDEX_NAME.search(path):
        return True
    main = response.css("#maincontents")
    if not main or main.css("#pressrelease"):
        return bool(main)
    has_date = date_line(main, ".rightalign, p.rtxt") or _date(" ".join(_leading_text(main)[:20]))
    return not has_date and len(_article_links(response, main)) >= 3


def discover(response: TextResponse) -> list[Discovered]:
    """The page links of an index page: the press-release list when there is one, else the content area."""
    refuse_error_page(response)
    main = response.css("#maincontents")
    if not main:
        raise ParseError("index page without #maincontents", response.url)
    scope = main.css("#pressrelease") or main
    found = _article_links(response, scope)
    if not found:
        raise ParseError("no article links on the index page", response.url)
    return list(found.values())


def _article_links(response: TextResponse, scope: Any) -> dict[str, Discovered]:
    found: dict[str, Discovered] = {}
    for link in scope.xpath(".//a[@href][not(ancestor::*[contains(@class, 'relatedlink')])]"):
        try:
            url = urljoin(response.url, link.attrib["href"].strip())
        except ValueError:  # a malformed link is skipped, not a failed listing
            continue
        ref = canonicalize(url)
        if ref is None or ref.canonical_url in found:
            continue
        title = clean_text(" ".join(link.xpath(".//text()").getall())) or None
        found[ref.canonical_url] = Discovered(url=ref.canonical_url, title=title)
    return found
