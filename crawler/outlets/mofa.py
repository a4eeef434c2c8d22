"""MOFA (外務省): press releases and meeting readouts, Japanese and English.

Pages are UTF-8 with the headline in ``#maincontents h1``, a date line in the Japanese era
(「令和7年1月21日」) or in English ("January 21, 2025"), and the text in ``#maincontents``.
No JSON-LD and no author. Folders do not say the topic (a US meeting was once filed under
``/na1/ca/``), so discovery never filters by path.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse
from w3lib.url import canonicalize_url

from crawler.outlets.base import (
    ArticleRef,
    Discovered,
    Outlet,
    ParsedArticle,
    ParseError,
    block_lines,
    clean_text,
    first,
    meta_content,
)
from crawler.outlets.dates import parse_en_date, parse_era_date

OUTLET = Outlet(
    name="mofa",
    hosts=("www.mofa.go.jp", "mofa.go.jp"),
    start_urls=(
        "https://www.mofa.go.jp/mofaj/press/release/index.html",
        "https://www.mofa.go.jp/mofaj/na/na1/us/index.html",
        "https://www.mofa.go.jp/press/release/index.html",
    ),
)

# page ids: pageit_000001_01515, pressit_000001_02889, pageite_000001_00768, page3_001234, press4_009876
_PAGE_ID = re.compile(r"^(?P<id>[a-z]+\d*[a-z]*_\d{3,}(?:_\d+)?)\.html$")
_TITLE_SUFFIX = re.compile(r"\s*[｜|]\s*(外務省|Ministry of Foreign Affairs of Japan)\s*$")
# blocks inside #maincontents that are not the text: related links, photo captions, share buttons
_NOT_BODY = ("rel-link", "caption", "share", "breadcrumb", "pagetop", "rss")


def canonicalize(url: str) -> ArticleRef | None:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # a malformed host or port ("https://[www...") is no article URL
        return None
    if host not in OUTLET.hosts:
        return None
    filename = parts.path.rsplit("/", 1)[-1]
    match = _PAGE_ID.match(filename)
    if not match:
        return None
    # query strings and fragments never select a different MOFA page
    canonical = canonicalize_url(f"https://www.mofa.go.jp{parts.path}")
    return ArticleRef(stable_key=match.group("id"), canonical_url=canonical)


def parse_article(response: TextResponse) -> ParsedArticle:
    ref = canonicalize(response.url)
    if ref is None:
        raise ParseError("not a MOFA page URL", response.url)
    main = response.css("#maincontents")
    if not main:
        raise ParseError("no #maincontents", response.url)
    lang = _language(response)
    sources: dict[str, str] = {}
    title, sources["title"] = first(
        ("dom", lambda: clean_text(" ".join(main.css("h1 ::text").getall()))),
        ("meta", lambda: clean_text(_TITLE_SUFFIX.sub("", meta_content(response, "og:title") or ""))),
        ("fallback", lambda: clean_text(_TITLE_SUFFIX.sub("", response.css("title::text").get() or ""))),
    )
    if not title:
        raise ParseError("no title", response.url)
    published, sources["published"] = first(
        ("dom", lambda: _date(" ".join(main.css("p.rtxt ::text").getall()))),
        ("fallback", lambda: _date(" ".join(main.css("::text").getall()[:80]))),
    )
    if not published:
        raise ParseError("no parsable date", response.url)
    paragraphs = _body(main)
    if not paragraphs:
        raise ParseError("empty body", response.url)
    sources["body"] = "dom"
    return ParsedArticle(
        outlet=OUTLET.name, stable_key=ref.stable_key, canonical_url=ref.canonical_url, url=response.url,
        title=title, published=published, paragraphs=paragraphs, lang=lang, sources=sources,
    )


def _language(response: TextResponse) -> str:
    declared = (response.xpath("/html/@lang").get() or "").split("-")[0].lower()
    if declared in {"ja", "en"}:
        return declared
    return "ja" if "/mofaj/" in response.url else "en"


def _date(text: str) -> str | None:
    return parse_era_date(text) or parse_en_date(text)


def _body(main) -> list[str]:  # type: ignore[no-untyped-def]
    """Paragraphs and list items of the text, without headline, date line and link blocks."""
    area = main.css("div.any-area") or main
    paragraphs: list[str] = []
    for block in area.xpath(".//p | .//li"):
        classes = " ".join(block.xpath("./ancestor-or-self::*/@class").getall())
        if any(name in classes for name in _NOT_BODY) or "rtxt" in classes:
            continue
        if block.xpath("./ancestor::*[@id='pressrelease' or @id='sidebar']"):
            continue
        if block.root.tag == "p" and block.xpath("./ancestor::li"):
            continue  # a <p> inside a list item is read with the item
        paragraphs.extend(block_lines(block))
    return paragraphs


def discover(response: TextResponse) -> list[Discovered]:
    """Readout and press-release links of an index page (press releases, the US page, English index)."""
    main = response.css("#maincontents")
    if not main:
        raise ParseError("index page without #maincontents", response.url)
    found: dict[str, Discovered] = {}
    # dated press-release lists: <dl><dt>1月24日</dt><dd><ul><li><a>
    for group in main.css("#pressrelease dl"):
        for link in group.css("dd a"):
            _add(found, response, link)
    for link in main.css("a"):
        _add(found, response, link)
    if not found:
        raise ParseError("no article links on the index page", response.url)
    return list(found.values())


def _add(found: dict[str, Discovered], response: TextResponse, link) -> None:  # type: ignore[no-untyped-def]
    href = link.attrib.get("href")
    if not href:
        return
    try:
        url = urljoin(response.url, href)
    except ValueError:  # a malformed link is skipped, not a failed listing
        return
    ref = canonicalize(url)
    if ref is None or ref.stable_key in found:
        return
    title = clean_text(" ".join(link.css("::text").getall())) or None
    found[ref.stable_key] = Discovered(url=url, title=title)
