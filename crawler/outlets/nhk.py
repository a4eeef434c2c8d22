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
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

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
    xml_name,
    xml_root,
)
from crawler.outlets.dates import normalize_iso, parse_ja_date, parse_rfc822
from crawler.outlets.structured import news_article
from crawler.outlets.text import block_lines, clean_text

if TYPE_CHECKING:
    from scrapy.http import TextResponse

OUTLET = Outlet(
    name="nhk",
    display_name="NHK",
    hosts=("news.web.nhk", "www3.nhk.or.jp", "www.nhk.or.jp"),
    start_urls=(
        "https://news.web.nhk/n-data/conf/na/rss/cat4.xml",  # 政治
        "https://news.web.nhk/n-data/conf/na/rss/cat6.xml",  # 国際
        "https://news.web.nhk/n-data/conf/na/rss/cat5.xml",  # 経済
    ),
    article_url_forms=(
        "https://news.web.nhk/newsweb/na/na-k<14 digits>",
        "https://www3.nhk.or.jp/news/html/<YYYYMMDD>/k<14 digits>.html",
    ),
    default_interval_minutes=30,
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
    # an old-site link still serves the full text (the new site shows a teaser without consent): fetch it
    fetch_url = None if host == "news.web.nhk" else urlunsplit(("https", host, parts.path, "", ""))
    return ArticleRef(stable_key=key, canonical_url=NEW_SITE + key, fetch_url=fetch_url)


# --- article pages --------------------------------------------------------------


class NhkPage(ArticlePage):
    """What both NHK sites share: JSON-LD first, the consent step refused, the id from the page."""

    outlet = OUTLET
    title_suffix = _SITE_SUFFIX
    absent_fields = frozenset({"authors"})  # NHK credits itself (日本放送協会), not reporters

    def guard(self) -> None:
        super().guard()
        if is_consent_page(self.response, self.ld):
            # the licence-contract declaration: never agree to it, never store it
            raise ParseError("consent page", self.response.url)

    def page_ref(self) -> ArticleRef | None:
        ref = super().page_ref()
        match = None if ref else _ID.search(str(self.ld.get("identifier") or ""))
        if match:
            key = match.group(1).lower()
            return ArticleRef(stable_key=key, canonical_url=NEW_SITE + key)
        return ref

    def title_rules(self) -> Sequence[Rule]:
        return (("jsonld", lambda: self.ld_text("headline")), ("dom", self.dom_title))

    def published_rules(self) -> Sequence[Rule]:
        return (("jsonld", lambda: normalize_iso(self.ld_text("datePublished"))),
                ("dom", lambda: self.dom_dates()[0]))

    def modified_rules(self) -> Sequence[Rule]:
        return (("jsonld", lambda: normalize_iso(self.ld_text("dateModified"))),
                ("dom", lambda: self.dom_dates()[1]))

    def description_rules(self) -> Sequence[Rule]:
        return (("jsonld", lambda: self.ld_text("description")),)

    def section_rules(self) -> Sequence[Rule]:
        genre = self.ld.get("genre")
        return (("jsonld", lambda: clean_text(genre[0] if isinstance(genre, list) and genre else genre)),
                ("jsonld", lambda: self.ld_text("articleSection")))

    def language(self) -> str:
        return "ja"

    def dom_title(self) -> str:
        return ""

    def dom_dates(self) -> tuple[str | None, str | None]:
        return None, None


class NhkOldPage(NhkPage):
    """The old NEWS WEB (www3.nhk.or.jp): ``div.content--detail-body`` with summary and sections."""

    layout = "old"

    @classmethod
    def fits(cls, response: TextResponse) -> bool:
        return bool(response.css("div.content--detail-body"))

    def dom_title(self) -> str:
        return clean_text(" ".join(self.response.css("h1.content--title ::text").getall()))

    def dom_dates(self) -> tuple[str | None, str | None]:
        stamp = self.response.css("p.content--date time::attr(datetime)").get()
        text = " ".join(self.response.css("p.content--date time ::text").getall())
        return normalize_iso(stamp) or parse_ja_date(text), None

    def body_rules(self) -> Sequence[Rule]:
        return (("dom", self._body),)

    def _body(self) -> list[str]:
        """The summary, then each section's text; subheadings and link cards left out."""
        body = self.response.css("div.content--detail-body")
        lines: list[str] = []
        for summary in body.css("p.content--summary"):
            lines.extend(block_lines(summary))
        for paragraph in body.css("section.content--body div.body-text p"):
            lines.extend(block_lines(paragraph))
        return lines


class NhkNewPage(NhkPage):
    """The new site (news.web.nhk, Next.js): hashed class names, so only ``<h1>``, ``<time>``, ``<p>``."""

    layout = "new"

    @cached_property
    def h1(self) -> Any:
        found = self.response.xpath("//h1[not(ancestor::dialog)][normalize-space()]")
        return found[0] if found else None

    def dom_title(self) -> str:
        return clean_text(" ".join(self.h1.xpath(".//text()").getall())) if self.h1 is not None else ""

    def dom_dates(self) -> tuple[str | None, str | None]:
        return _new_site_dates(self.h1) if self.h1 is not None else (None, None)

    def body_rules(self) -> Sequence[Rule]:
        return (("dom", lambda: _new_body(self.h1) if self.h1 is not None else []),)

    def body_complete(self, paragraphs: list[str], source: str) -> bool:
        return super().body_complete(paragraphs, source) and not is_teaser(paragraphs)


# the old site's body block marks its layout; the new site's hashed markup has no marker, so it is last
LAYOUTS: tuple[type[ArticlePage], ...] = (NhkOldPage, NhkNewPage)


def parse_article(response: TextResponse) -> ParsedArticle:
    return parse_page(LAYOUTS, response)


def is_listing(response: TextResponse) -> bool:
    """NHK lists its articles in RSS feeds only: no HTML page of its is a listing."""
    return False


def is_consent_page(response: TextResponse, ld: dict[str, Any] | None = None) -> bool:
    """The licence-contract (受信契約) declaration step instead of an article.

    Article pages on the new site carry the same declaration as an overlay ``<dialog>``; they
    still have their NewsArticle JSON-LD, or a headline outside the dialog and a date.
    """
    if ld is None:
        ld = news_article(response) or {}
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


# --- dates and body from the DOM ---------------------------------------------------


def _new_site_dates(h1: Any) -> tuple[str | None, str | None]:
    """(published, modified) as the new site prints them between the headline and the text."""
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
    refuse_error_page(response)
    root = xml_root(response)
    if xml_name(root) not in {"rss", "RDF"}:
        raise ParseError(f"not an RSS feed (root <{xml_name(root)}>)", response.url)
    items = [el for el in root.iter() if xml_name(el) == "item"]
    if not items:
        raise ParseError("empty feed", response.url)

    found: dict[str, Discovered] = {}
    for item in items:
        fields = {xml_name(child): (child.text or "").strip() for child in item}
        link = fields.get("link") or fields.get("guid") or ""
        ref = canonicalize(link)
        if ref is None or ref.stable_key in found:
            continue
        published = parse_rfc822(fields["pubDate"]) if fields.get("pubDate") else None
        found[ref.stable_key or link] = Discovered(
            url=link,
            title=clean_text(fields.get("title")) or None,
            published=published or normalize_iso(fields.get("date")),
            description=clean_text(fields.get("description")) or None,
        )
    if not found:
        raise ParseError("no article links in feed", response.url)
    return list(found.values())
