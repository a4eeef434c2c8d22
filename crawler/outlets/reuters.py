"""Reuters Japan (jp.reuters.com, Arc XP / Fusion) and, generically, any Arc site's article page.

The best source on an Arc page is the ``Fusion.globalContent={...};Fusion.`` assignment: the
story as ANS JSON. Two shapes exist: Reuters wraps the story in ``result`` and uses
``content_elements`` of type ``"paragraph"``; bare ANS sites (Sankei and most other Arc
customers) put the story at the top level with type ``"text"``. One parser reads both, then
falls back to Reuters' DOM (``[data-testid^="paragraph-"]``, ``h1[data-testid="Heading"]``),
JSON-LD NewsArticle, meta tags and finally a main-text extractor.

Discovery reads Google News sitemaps and the sitemap index that pages them.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree
from scrapy.http import TextResponse
from w3lib.html import remove_tags, replace_entities
from w3lib.url import canonicalize_url

from crawler.outlets import blocks
from crawler.outlets.base import (
    ArticleRef,
    Discovered,
    Outlet,
    ParsedArticle,
    ParseError,
    clean_text,
    first,
    meta_content,
    news_article_ld,
    split_lines,
)
from crawler.outlets.dates import normalize_iso

OUTLET = Outlet(
    name="reuters",
    hosts=("jp.reuters.com", "www.reuters.com"),
    start_urls=("https://jp.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml",),
    language="ja",
)

# jp.reuters.com hosts an article under /<section>/<sub>/<Arc id>-YYYY-MM-DD/ (one or more sections)
_ARTICLE_PATH = re.compile(
    r"^/(?:[a-z0-9][a-z0-9-]*/)+(?P<id>[A-Z0-9]{26})-(?P<date>\d{4}-\d{2}-\d{2})/?$"
)
_ARTICLE_HOSTS = {"jp.reuters.com", "www.jp.reuters.com"}
_ARC_ID_IN_URL = re.compile(r"(?<![A-Za-z0-9])([A-Z0-9]{26})(?![A-Za-z0-9])")
_FUSION_CONTENT = re.compile(r"Fusion\.globalContent\s*=\s*")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
# English DOM paragraphs open with a dateline the Arc text does not carry
_EN_DATELINE = re.compile(r"^[^\n]{0,120}?\(Reuters\)\s*-\s*")

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
_NS = {"sm": SITEMAP_NS, "news": NEWS_NS}


# --- URLs -----------------------------------------------------------------------


def canonicalize(url: str) -> ArticleRef | None:
    """Arc id and ``https://jp.reuters.com/<path>/`` for any variant of a Reuters Japan article URL.

    Query strings (``utm_*``, ``taid``...), fragments, ``http:``, a missing trailing slash and a
    ``www.`` prefix all collapse onto one URL. Sections, sitemaps and English-site URLs (no Arc id
    in the path) give ``None``.
    """
    if not url:
        return None
    # w3lib normalizes percent-encoding and case of the scheme/host; the query goes anyway
    try:
        parts = urlsplit(canonicalize_url(url.strip(), keep_fragments=False))
        host = parts.hostname or ""
    except ValueError:  # a malformed host or port ("https://[jp...", ":x") is no article URL
        return None
    if parts.scheme not in {"http", "https"} or host not in _ARTICLE_HOSTS:
        return None
    match = _ARTICLE_PATH.match(parts.path)
    if not match:
        return None
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return ArticleRef(
        stable_key=match.group("id"),
        canonical_url=urlunsplit(("https", "jp.reuters.com", path, "", "")),
    )


# --- Arc JSON -----------------------------------------------------------------------


def fusion_global_content(text: str) -> dict[str, Any] | None:
    """The object assigned to ``Fusion.globalContent`` (the assignment ends at ``;Fusion.``).

    ``raw_decode`` reads exactly one JSON value from the ``{`` on, so whatever script follows
    does not matter and no regex has to guess where the object ends.
    """
    decoder = json.JSONDecoder(strict=False)
    for match in _FUSION_CONTENT.finditer(text):
        try:
            value, _ = decoder.raw_decode(text, match.end())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def arc_story(content: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ANS story inside either shape (Reuters ``result`` wrapper or bare ANS)."""
    if not content:
        return None
    story = content.get("result") if isinstance(content.get("result"), dict) else content
    if not isinstance(story, dict) or not isinstance(story.get("content_elements"), list):
        return None
    return story


def arc_id(story: dict[str, Any]) -> str | None:
    # Reuters: result.id (the wrapper's _id is a cache hash, not the story); bare ANS: _id
    for key in ("id", "_id"):
        value = story.get(key)
        if isinstance(value, str) and re.fullmatch(r"[A-Z0-9]{26}", value):
            return value
    return None


def html_fragment_lines(fragment: str) -> list[str]:
    """Text of an ANS ``content`` string: inline tags stripped, entities decoded, split at ``<br>``."""
    text = replace_entities(remove_tags(_BR.sub("\n", fragment)))
    return split_lines([text])


def arc_paragraphs(elements: list[Any]) -> list[str]:
    """Body text of ``content_elements``: paragraphs/text, list items, quotes and correction notes.

    Headers (subheadings), images and their captions, ads, embeds and links are left out.
    """
    lines: list[str] = []
    for element in elements:
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind in {"paragraph", "text"} and isinstance(element.get("content"), str):
            lines.extend(html_fragment_lines(element["content"]))
        elif kind == "list" and isinstance(element.get("items"), list):
            lines.extend(arc_paragraphs(element["items"]))
        elif kind == "quote" and isinstance(element.get("content_elements"), list):
            lines.extend(arc_paragraphs(element["content_elements"]))
        elif kind == "correction" and isinstance(element.get("text"), str):
            # a correction note is part of what readers see and what "changed" must report
            lines.extend(html_fragment_lines(element["text"]))
    return lines


def _basic(value: Any) -> str | None:
    """ANS fields are either strings (Reuters) or ``{"basic": ...}`` objects (bare ANS)."""
    if isinstance(value, dict):
        value = value.get("basic")
    return clean_text(value) if isinstance(value, str) and value.strip() else None


def arc_title(story: dict[str, Any]) -> str | None:
    return _basic(story.get("title")) or _basic(story.get("headlines")) or _basic(story.get("basic_headline"))


def arc_authors(story: dict[str, Any]) -> list[str]:
    people = story.get("authors")
    if not isinstance(people, list):
        credits = story.get("credits")
        people = credits.get("by") if isinstance(credits, dict) else None
    names = [clean_text(p.get("name")) for p in people or [] if isinstance(p, dict)]
    return [n for n in names if n]


def arc_section(story: dict[str, Any]) -> str | None:
    taxonomy = story.get("taxonomy")
    if not isinstance(taxonomy, dict):
        return None
    for key in ("section", "primary_section"):
        section = taxonomy.get(key)
        if isinstance(section, dict) and section.get("name"):
            return clean_text(section["name"])
    return None


def _arc_time(story: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = normalize_iso(story.get(key)) if isinstance(story.get(key), str) else None
        if value:
            return value
    return None


# --- the page ---------------------------------------------------------------------


def _dom_paragraphs(response: TextResponse) -> list[str]:
    lines: list[str] = []
    for index, node in enumerate(response.css('[data-testid^="paragraph-"]')):
        # skip the icon and the visually hidden ", opens new tab" that links carry
        texts = node.xpath(
            ".//text()[not(ancestor::svg) and not(ancestor::span[contains(@style, 'clip')])]"
        ).getall()
        # newlines are markup layout; full-width spaces are text (「［東京　１７日　ロイター］」)
        text = clean_text("".join(texts).replace("\n", " "))
        if index == 0:
            text = _EN_DATELINE.sub("", text)
        if text:
            lines.append(text)
    return lines


def _ld_authors(ld: dict[str, Any] | None) -> list[str]:
    if not ld:
        return []
    people = ld.get("author")
    people = people if isinstance(people, list) else [people]
    names = [clean_text(p.get("name") if isinstance(p, dict) else p) for p in people if p]
    return [n for n in names if n]


def _extractor_paragraphs(response: TextResponse) -> list[str]:
    """Last resort: the main text block as a kept extractor sees it."""
    import trafilatura  # heavy import, only needed when the page's own structure is gone

    text = trafilatura.extract(response.text, include_comments=False, include_tables=False)
    return split_lines([text or ""])


def _absolute(response: TextResponse, href: str | None) -> str | None:
    if not href or not href.strip():
        return None
    parts = urlsplit(urljoin(response.url, href.strip()))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def parse_article(response: TextResponse) -> ParsedArticle:
    """Read an Arc article page (Reuters ``result``/"paragraph" or bare ANS/"text")."""
    reason = blocks.detect_block(response.status, response.headers, response.body)
    if reason:
        raise ParseError(f"blocked: {reason}", response.url)

    story = arc_story(fusion_global_content(response.text))
    ld = news_article_ld(response)
    sources: dict[str, str] = {}

    def arc(getter: Any) -> Any:
        return (lambda: getter(story)) if story else (lambda: None)

    title, sources["title"] = first(
        ("arc", arc(arc_title)),
        ("dom", lambda: clean_text(response.css('h1[data-testid="Heading"]').xpath("string()").get())),
        ("jsonld", lambda: clean_text(ld["headline"])),
        ("meta", lambda: meta_content(response, "og:title", "twitter:title")),
        ("fallback", lambda: clean_text(response.css("h1").xpath("string()").get())),
    )
    if not title:
        raise ParseError("no headline", response.url)

    paragraphs, sources["body"] = first(
        ("arc", arc(lambda s: arc_paragraphs(s["content_elements"]))),
        ("dom", lambda: _dom_paragraphs(response)),
        ("jsonld", lambda: split_lines([ld["articleBody"]])),
        ("fallback", lambda: _extractor_paragraphs(response)),
    )
    description, sources["description"] = first(
        ("arc", arc(lambda s: _basic(s.get("description")))),
        ("jsonld", lambda: clean_text(ld["description"])),
        ("meta", lambda: meta_content(response, "og:description", "description")),
    )
    body_complete = bool(paragraphs)
    if not paragraphs:
        if not description:
            raise ParseError("no article body", response.url)
        # only a standfirst survives: keep it, flagged, so the headline can still be matched
        paragraphs, sources["body"] = [description], "description"

    # Dates as the page declares them (JSON-LD, then meta): that is what readers and the ground
    # truth see (Reuters in UTC "Z", Sankei in +09:00). Arc's display time is the same instant.
    published, sources["published"] = first(
        ("jsonld", lambda: normalize_iso(ld["datePublished"])),
        ("meta", lambda: normalize_iso(meta_content(response, "article:published_time"))),
        ("arc", arc(lambda s: _arc_time(s, "display_time", "display_date", "published_time",
                                        "first_publish_date", "publish_date"))),
    )
    if not published:
        raise ParseError("no publication date", response.url)
    modified, sources["modified"] = first(
        ("jsonld", lambda: normalize_iso(ld["dateModified"])),
        ("meta", lambda: normalize_iso(meta_content(response, "article:modified_time"))),
        ("arc", arc(lambda s: _arc_time(s, "updated_time", "last_updated_date"))),
    )
    authors, sources["authors"] = first(
        ("arc", arc(arc_authors)),
        ("jsonld", lambda: _ld_authors(ld)),
        ("meta", lambda: [a.strip() for a in (meta_content(response, "article:author") or "").split(",")
                          if a.strip()]),
    )

    candidates = [
        response.css('link[rel="canonical"]::attr(href)').get(),
        story.get("canonical_url") if story else None,
        meta_content(response, "og:url"),
        response.url,
    ]
    absolute = [u for u in (_absolute(response, c) for c in candidates) if u]
    ref = next((r for r in map(canonicalize, absolute) if r), None)
    story_id = arc_id(story) if story else None
    if ref:
        stable_key, canonical_url, sources["stable_key"] = ref.stable_key, ref.canonical_url, "url"
    elif story_id:
        # English Reuters and other Arc sites: the id lives in the JSON, not the URL
        stable_key, canonical_url, sources["stable_key"] = story_id, absolute[0], "arc"
    elif absolute and (token := _ARC_ID_IN_URL.search(urlsplit(absolute[0]).path)):
        stable_key, canonical_url, sources["stable_key"] = token.group(1), absolute[0], "url"
    elif absolute:
        # no id anywhere (English Reuters page without its JSON): the canonical path is all we have
        stable_key, canonical_url, sources["stable_key"] = urlsplit(absolute[0]).path, absolute[0], "fallback"
    else:
        raise ParseError("no Arc id", response.url)

    lang = (
        (story.get("language") if story else None)
        or response.xpath("/html/@lang").get()
        or OUTLET.language
    )
    section, sources["section"] = first(
        ("arc", arc(arc_section)),
        ("jsonld", lambda: clean_text(ld["articleSection"]) if isinstance(ld["articleSection"], str) else ""),
    )
    return ParsedArticle(
        outlet=OUTLET.name,
        stable_key=stable_key,
        canonical_url=canonical_url,
        url=response.url,
        title=title,
        published=published,
        modified=modified,
        paragraphs=paragraphs,
        lang=str(lang).split("-")[0].lower(),
        description=description,
        body_complete=body_complete,
        authors=authors or [],
        section=section,
        sources={k: v for k, v in sources.items() if v},
    )


# --- discovery ------------------------------------------------------------------------


def _xml_root(response: TextResponse) -> etree._Element:
    body = response.body.strip()
    if not body:
        raise ParseError("empty document", response.url)
    # no entity expansion, no network: a sitemap is data from outside
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"malformed XML: {exc}", response.url) from exc
    if root is None:
        raise ParseError("empty document", response.url)
    return root


def _child_text(node: etree._Element, path: str) -> str | None:
    value = node.findtext(path, namespaces=_NS)
    return clean_text(value) or None


def discover(response: TextResponse) -> list[Discovered]:
    """Articles in a Google News sitemap, or further sitemap pages in a sitemap index."""
    root = _xml_root(response)
    tag = etree.QName(root).localname if isinstance(root.tag, str) else ""
    if tag == "sitemapindex":
        found = [
            Discovered(url=loc, published=normalize_iso(_child_text(node, "sm:lastmod")), kind="listing")
            for node in root.iterfind("sm:sitemap", _NS)
            if (loc := _child_text(node, "sm:loc"))
        ]
        if not found:
            raise ParseError("sitemap index without <sitemap><loc>", response.url)
        return found
    if tag != "urlset":
        raise ParseError(f"not a sitemap: root element <{tag or root.tag}>", response.url)

    entries = root.findall("sm:url", _NS)
    if not entries:
        raise ParseError("empty sitemap: no <url> entries", response.url)
    found = []
    for node in entries:
        loc = _child_text(node, "sm:loc")
        if not loc or canonicalize(loc) is None:
            continue  # section fronts, videos, pictures: not articles
        published = normalize_iso(_child_text(node, "news:news/news:publication_date")) or normalize_iso(
            _child_text(node, "sm:lastmod")
        )
        title = _child_text(node, "news:news/news:title")
        found.append(Discovered(url=loc, title=title, published=published))
    return found
