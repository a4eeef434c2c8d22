"""NHK NEWS: article pages on the old (www3) and new (news.web.nhk) sites, and the RSS feeds.

Facts this module relies on (see ``../shared/fixtures/README.md``):

- the id ``k<14 digits>`` is shared by ``www3.nhk.or.jp/news/html/YYYYMMDD/k….html`` and, since
  2025-10, ``news.web.nhk/newsweb/na/na-k…``; we file articles under the new-site URL;
- both sites carry a NewsArticle JSON-LD block (headline, description, identifier, dates +09:00);
- old DOM: ``h1.content--title``, ``p.content--date time[datetime]`` (naive JST), body
  ``div.content--detail-body``: ``p.content--summary`` then ``section.content--body div.body-text p``
  (``h2.body-title`` subheadings are not text);
- the new site is Next.js with hashed class names that change between deploys, so nothing here
  selects on a class there: ``<h1>``, ``<time dateTime>``, and the ``<p>`` elements that follow
  the h1 inside its block, before the next ``h2``/``h3`` (「注目ワード」, 「あわせて読みたい」);
- without the licence-contract consent the new site shows a teaser (first paragraph, then
  「この中で…」). We never automate that consent: teasers are stored as ``body_complete=False``
  and a page that is only the consent step is a :class:`ParseError`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy.http import TextResponse

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
    news_article_ld,
    split_lines,
)
from crawler.outlets.dates import normalize_iso, parse_ja_date, parse_rfc822

OUTLET = Outlet(
    name="nhk",
    hosts=("news.web.nhk", "www3.nhk.or.jp", "www.nhk.or.jp"),
    start_urls=(
        "https://news.web.nhk/n-data/conf/na/rss/cat4.xml",  # 政治
        "https://news.web.nhk/n-data/conf/na/rss/cat6.xml",  # 国際
        "https://news.web.nhk/n-data/conf/na/rss/cat5.xml",  # 経済
    ),
)

NEW_SITE = "https://news.web.nhk/newsweb/na/na-"
_OLD_PATH = re.compile(r"^/news/html/\d{8}/(?:amp/)?(k\d{14})\.html?$", re.IGNORECASE)
_NEW_PATH = re.compile(r"^/newsweb/na/na-(k\d{14})/?$", re.IGNORECASE)
_ID = re.compile(r"(?<![0-9a-z])(k\d{14})(?!\d)", re.IGNORECASE)
_SITE_SUFFIX = re.compile(r"\s*[|｜]\s*NHK.*$")
# the anonymous new-site body ends in a short truncated line such as 「この中で…」
_TEASER_END = ("…", "...", "‥")
_TEASER_MAX_CHARS = 30
# <p> under these (between the p and the article block) is chrome, not body text
_NOT_BODY = {
    "dialog", "a", "nav", "header", "footer", "aside", "figure", "figcaption", "button", "label", "form",
}


# --- URLs ---------------------------------------------------------------------


def canonicalize(url: str) -> ArticleRef | None:
    """``k…`` of an old- or new-site article URL → ``https://news.web.nhk/newsweb/na/na-k…``."""
    if not url:
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"http", "https"} or host not in OUTLET.hosts:
        return None
    pattern = _NEW_PATH if host == "news.web.nhk" else _OLD_PATH
    match = pattern.match(parts.path)
    if not match:
        return None
    key = match.group(1).lower()
    return ArticleRef(stable_key=key, canonical_url=NEW_SITE + key)


# --- article pages --------------------------------------------------------------


def parse_article(response: TextResponse) -> ParsedArticle:
    if response.status >= 400:
        raise ParseError(f"error page (HTTP {response.status})", response.url)
    ld = news_article_ld(response) or {}
    if is_consent_page(response, ld):
        # the licence-contract declaration: never agree to it, never store it
        raise ParseError("consent page", response.url)
    ref = _page_ref(response, ld)
    if ref is None:
        raise ParseError("not an NHK article", response.url)

    old = response.css("div.content--detail-body")
    h1 = response.xpath("//h1[not(ancestor::dialog)][normalize-space()]")
    title, title_src = first(
        ("jsonld", lambda: clean_text(ld["headline"])),
        ("dom", lambda: clean_text(" ".join(h1[0].xpath(".//text()").getall()))),
        ("meta", lambda: _strip_suffix(meta_content(response, "og:title"))),
        ("fallback", lambda: _strip_suffix(response.css("title::text").get())),
    )
    if not title:
        raise ParseError("no title", response.url)

    dom_published, dom_modified = _dom_dates(response, h1[0] if h1 else None, bool(old))
    published, published_src = first(
        ("jsonld", lambda: normalize_iso(ld["datePublished"])),
        ("dom", lambda: dom_published),
        ("meta", lambda: normalize_iso(meta_content(response, "article:published_time"))),
    )
    if not published:
        raise ParseError("no date", response.url)
    modified, modified_src = first(
        ("jsonld", lambda: normalize_iso(ld["dateModified"])),
        ("dom", lambda: dom_modified),
    )
    description, description_src = first(
        ("jsonld", lambda: ld["description"].strip()),
        ("meta", lambda: meta_content(response, "og:description", "description")),
    )

    if old:
        paragraphs, body_src = first(("dom", lambda: _old_body(old[0])))
        body_complete = True
    else:
        paragraphs, body_src = first(
            ("dom", lambda: _new_body(h1[0])),
            # the new site's markup moved: the JSON-LD description is the teaser
            ("jsonld", lambda: split_lines([ld["description"]])),
        )
        body_complete = not is_teaser(paragraphs or [])
    if not paragraphs:
        raise ParseError("empty body", response.url)

    sources = {
        "title": title_src,
        "published": published_src,
        "modified": modified_src,
        "body": body_src,
        "description": description_src,
        "layout": "old" if old else "new",
    }
    return ParsedArticle(
        outlet=OUTLET.name,
        stable_key=ref.stable_key,
        canonical_url=ref.canonical_url,
        url=response.url,
        title=title,
        published=published,
        modified=modified,
        paragraphs=paragraphs,
        lang="ja",
        description=description,
        body_complete=body_complete,
        section=_section(ld),
        sources={k: v for k, v in sources.items() if v},
    )


def is_consent_page(response: TextResponse, ld: dict[str, Any] | None = None) -> bool:
    """The licence-contract (受信契約) declaration step instead of an article.

    Article pages on the new site carry the same declaration as an overlay ``<dialog>``; they
    still have their NewsArticle JSON-LD, or a headline outside the dialog and a date.
    """
    if ld is None:
        ld = news_article_ld(response) or {}
    if ld:
        return False
    text = "".join(response.xpath("//body//text()[not(ancestor::script or ancestor::style)]").getall())
    if "受信契約" not in text:
        return False
    if not response.xpath('//form | //button | //input[@type="checkbox" or @type="submit"]'):
        return False
    headline = response.xpath("//h1[not(ancestor::dialog or ancestor::form)][normalize-space()]")
    has_date = bool(response.xpath("//time[@datetime][not(ancestor::dialog)]"))
    return not (headline and has_date)


def is_teaser(paragraphs: list[str]) -> bool:
    """True for the anonymous new-site body: its last line is a short cut-off such as 「この中で…」."""
    if not paragraphs:
        return True
    last = paragraphs[-1]
    return last.endswith(_TEASER_END) and len(last) <= _TEASER_MAX_CHARS


def _page_ref(response: TextResponse, ld: dict[str, Any]) -> ArticleRef | None:
    """The id from the fetched URL, else from the page's own references to itself."""
    main_entity = ld.get("mainEntityOfPage")
    candidates = [
        response.url,
        main_entity.get("@id") if isinstance(main_entity, dict) else main_entity,
        response.css('link[rel="canonical"]::attr(href)').get(),
        meta_content(response, "og:url"),
    ]
    for candidate in candidates:
        if isinstance(candidate, str):
            ref = canonicalize(urljoin(response.url, candidate))
            if ref:
                return ref
    match = _ID.search(str(ld.get("identifier") or ""))
    if match:
        key = match.group(1).lower()
        return ArticleRef(stable_key=key, canonical_url=NEW_SITE + key)
    return None


def _strip_suffix(title: str | None) -> str:
    return _SITE_SUFFIX.sub("", clean_text(title))


def _section(ld: dict[str, Any]) -> str | None:
    genre = ld.get("genre")
    if isinstance(genre, list) and genre:
        return clean_text(str(genre[0])) or None
    if isinstance(genre, str) and genre.strip():
        return genre.strip()
    section = ld.get("articleSection")
    return clean_text(section) if isinstance(section, str) and section.strip() else None


# --- dates and body from the DOM ---------------------------------------------------


def _dom_dates(response: TextResponse, h1: Any, old_layout: bool) -> tuple[str | None, str | None]:
    """(published, modified) as the page prints them."""
    if old_layout:
        stamp = response.css("p.content--date time::attr(datetime)").get()
        text = " ".join(response.css("p.content--date time ::text").getall())
        return normalize_iso(stamp) or parse_ja_date(text), None
    if h1 is None:
        return None, None
    order, stop = _document_order(h1)
    published = modified = None
    for time in h1.xpath("following::time[@datetime]"):
        if order.get(time.root, stop) < stop:
            published = normalize_iso(time.attrib["datetime"])
            break
    # 「2026年7月8日6:23」 and 「(2026年7月8日7:10更新)」 as plain text between the h1 and the body
    for element in list(order)[order[h1.root] + 1 : stop]:
        if not isinstance(element.tag, str):
            continue  # comments
        if element.tag == "p":
            break
        text = element.text or ""
        value = parse_ja_date(text)
        if value and "更新" in text:
            modified = modified or value
        elif value:
            published = published or value
    return published, modified


def _document_order(h1: Any) -> tuple[dict[Any, int], int]:
    """Position of every element, and the position of the first h2/h3 after the h1 (end of article)."""
    tree = h1.root.getroottree()
    order = {el: i for i, el in enumerate(tree.iter())}
    start = order[h1.root]
    headings = [order[el] for el in tree.iter("h2", "h3") if order[el] > start]
    return order, min(headings, default=len(order))


def _old_body(body: Any) -> list[str]:
    """Old layout: the summary, then each section's text; subheadings and link cards left out."""
    lines = []
    for summary in body.css("p.content--summary"):
        lines.extend(block_lines(summary))
    for paragraph in body.css("section.content--body div.body-text p"):
        lines.extend(block_lines(paragraph))
    return lines


def _new_body(h1: Any) -> list[str]:
    """New layout: ``<p>`` after the h1 in the nearest block that has any, up to the next h2/h3."""
    order, stop = _document_order(h1)
    start = order[h1.root]
    candidates = [p for p in h1.xpath("following::p") if start < order.get(p.root, stop) < stop]
    for scope in h1.root.iterancestors():
        inside = [p for p in candidates if _within(p.root, scope)]
        if inside:
            lines: list[str] = []
            for p in inside:
                lines.extend(block_lines(p))
            return lines
    return []


def _within(element: Any, scope: Any) -> bool:
    """``element`` lies in ``scope`` and no chrome element (link, dialog, nav…) stands between them."""
    for ancestor in element.iterancestors():
        if ancestor is scope:
            return True
        if isinstance(ancestor.tag, str) and ancestor.tag.lower() in _NOT_BODY:
            return False
    return False


# --- feeds ------------------------------------------------------------------------


def discover(response: TextResponse) -> list[Discovered]:
    """Items of an NHK RSS 2.0 feed (new ``news.web.nhk`` or legacy ``www.nhk.or.jp/rss``)."""
    body = (response.body or b"").strip()
    if not body:
        raise ParseError("empty feed", response.url)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"malformed feed: {exc}", response.url) from exc
    if root is None or _local(root) not in {"rss", "RDF"}:
        raise ParseError(f"not an RSS feed (root <{_local(root) if root is not None else ''}>)", response.url)
    items = [el for el in root.iter() if _local(el) == "item"]
    if not items:
        raise ParseError("empty feed", response.url)

    found: dict[str, Discovered] = {}
    for item in items:
        fields = {_local(child): (child.text or "").strip() for child in item}
        link = fields.get("link") or fields.get("guid") or ""
        ref = canonicalize(link)
        if ref is None or ref.stable_key in found:
            continue
        published = parse_rfc822(fields["pubDate"]) if fields.get("pubDate") else None
        found[ref.stable_key] = Discovered(
            url=link,  # as listed: an old-site link still serves the full old-layout page
            title=clean_text(fields.get("title")) or None,
            published=published or normalize_iso(fields.get("date")),
            description=clean_text(fields.get("description")) or None,
        )
    if not found:
        raise ParseError("no article links in feed", response.url)
    return list(found.values())


def _local(element: Any) -> str:
    tag = getattr(element, "tag", None)
    return etree.QName(tag).localname if isinstance(tag, str) else ""
