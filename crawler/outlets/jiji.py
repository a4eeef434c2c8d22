"""jiji.com (時事ドットコム): article pages and the genre listings.

Facts this module relies on (see ``../shared/fixtures/README.md``):

- an article is ``/jc/article?k=<13 digits>``; ``k`` is the id, ``g=``/``m=rss``/tracking
  parameters are noise, ``/sp/`` and ``/amp/`` serve the same article;
- article pages carry a NewsArticle JSON-LD block (headline without the site suffix,
  ``datePublished`` +09:00, ``articleSection``) and the DOM ``div.ArticleTitle h1``,
  ``p.ArticleTitleData`` 「2022年10月17日19時09分」, body ``div.ArticleText > p`` with
  ``<br>`` lines (newer layout: ``.ArticleBlock .ArticleText``);
- listings (``/jc/list?g=pol|int|news|flash``) hold ``div.ArticleListMain ul.LinkList li > a``
  with the headline in a ``<p>`` and 「(MM/DD HH:MM)」 in a ``<span>`` (no year);
- 速報 (flash) items are one-line pages later followed by a full story under another id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from w3lib.url import canonicalize_url, url_query_parameter

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
from crawler.outlets.dates import iso_jst, normalize_iso, parse_ja_date
from crawler.outlets.structured import json_ld_objects
from crawler.outlets.text import block_lines, clean_text, nfkc, node_lines, squash, tag_name

if TYPE_CHECKING:
    from scrapy.http import TextResponse

OUTLET = Outlet(
    name="jiji",
    display_name="時事ドットコム (jiji.com)",
    hosts=("www.jiji.com", "jiji.com"),
    start_urls=(
        "https://www.jiji.com/jc/list?g=pol",
        "https://www.jiji.com/jc/list?g=int",
        "https://www.jiji.com/jc/list?g=news",
    ),
    article_url_forms=("https://www.jiji.com/jc/article?k=<13 digits> (also /sp/, /amp/)",),
    default_interval_minutes=20,
)

BASE_URL = "https://www.jiji.com/"
_ARTICLE_PATHS = {"/jc/article", "/sp/article", "/amp/article", "/jc/amp/article"}
_LIST_PATHS = {"/jc/list", "/sp/list", "/jc/c"}
_ID = re.compile(r"^(\d{13})")
_SITE_SUFFIX = re.compile(r"\s*[：:｜|\-－―]\s*時事ドットコム\s*$")
FLASH_PREFIX = re.compile(r"^\s*[【\[［]\s*速報\s*[】\]］]\s*")
_LIST_DATE = re.compile(r"(\d{1,2})/(\d{1,2})\s+(\d{1,2}):(\d{2})")
# the raw page keeps the CMS timestamps in comments: <!-- key="news date" value="20221017190950" -->
_CMS_DATE = re.compile(r'<!--\s*key="(news date|upd_date)"\s+value="(\d{12})\d*"\s*-->')
# a flash page carries one line repeating its headline; real stories never fit in this many characters
_FLASH_MAX_CHARS = 40

# Body blocks that are not article text: in-body ads, links to related stories, bottom links.
_DROP = ("aside", "script", "style", "noscript", "figure", "figcaption")
_DROP_CLASSES = ("ArticleInnerAD", "ArticleTextTab", "ArticleBottomLink")
_INLINE = {"br", "a", "span", "em", "strong", "b", "i"}

# Listing entries: the documented list blocks first, then any article link in the main column.
_LIST_ITEMS = ".ArticleListMain li > a, .ArticleHeadlineList li > a"
_MAIN_SCOPES = ("#Main", ".MainInner", "main")
_FALLBACK_SKIP = (
    "ancestor::aside or ancestor::nav or ancestor::footer"
    " or ancestor::*[contains(@class, 'Ranking') or contains(@class, 'BottomArticleList')]"
)
_ARTICLE_TEXT = "contains(concat(' ', normalize-space(@class), ' '), ' ArticleText ')"


# --- URLs ---------------------------------------------------------------------


def canonicalize(url: str) -> ArticleRef | None:
    """``k`` of any jiji article URL variant → ``https://www.jiji.com/jc/article?k=<k>``."""
    if not url:
        return None
    url = url.strip().replace("&amp;", "&")
    if url.startswith("/"):
        url = urljoin(BASE_URL, url)
    try:
        parts = urlsplit(canonicalize_url(url))
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host not in OUTLET.hosts or parts.scheme not in {"http", "https"}:
        return None
    if parts.path.rstrip("/") not in _ARTICLE_PATHS:
        return None
    k = url_query_parameter(parts.geturl(), "k")
    match = _ID.match(k or "")
    if not match:
        return None
    key = match.group(1)
    return ArticleRef(stable_key=key, canonical_url=f"https://www.jiji.com/jc/article?k={key}")


def strip_site_suffix(title: str | None) -> str:
    return _SITE_SUFFIX.sub("", clean_text(title))


# --- article pages --------------------------------------------------------------


class JijiPage(ArticlePage):
    """Both jiji article layouts: ``div.ArticleText`` and the newer ``.ArticleBlock .ArticleText``."""

    outlet = OUTLET
    layout = "article"
    title_suffix = _SITE_SUFFIX
    absent_fields = frozenset({"authors"})  # jiji credits the agency (時事通信社), not reporters

    def title_rules(self) -> Sequence[Rule]:
        return (
            ("jsonld", lambda: strip_site_suffix(self.ld_text("headline"))),
            ("dom", self._dom_title),
        )

    def published_rules(self) -> Sequence[Rule]:
        return (
            ("jsonld", lambda: normalize_iso(self.ld_text("datePublished"))),
            ("dom", lambda: parse_ja_date(" ".join(self.response.css("p.ArticleTitleData ::text").getall()))),
            ("cms", lambda: self._cms_date("news date")),
        )

    def modified_rules(self) -> Sequence[Rule]:
        return (
            ("jsonld", lambda: normalize_iso(self.ld_text("dateModified"))),
            ("cms", lambda: self._cms_date("upd_date")),
        )

    def body_rules(self) -> Sequence[Rule]:
        return (("dom", self._body_paragraphs), ("title", self._flash_headline))

    def description_rules(self) -> Sequence[Rule]:
        return (("jsonld", lambda: self.ld_text("description")),)

    def section_rules(self) -> Sequence[Rule]:
        return (
            ("jsonld", lambda: self.ld_text("articleSection")),
            ("jsonld", self._breadcrumb_section),
            ("dom", lambda: clean_text(
                " ".join(self.response.css("div.BreadCrumbs p a::text").getall()[1:2]))),
        )

    def kind(self, fields: dict[str, Any]) -> str:
        """速報 pages: 【速報】 headline, section 速報, g=flash, or a one-line body repeating the headline."""
        title, section = fields.get("title") or "", fields.get("section") or ""
        if FLASH_PREFIX.match(title) or "速報" in section:
            return "flash"
        if url_query_parameter(self.response.url.replace("&amp;", "&"), "g") == "flash":
            return "flash"
        body = fields.get("body") or []
        if len(body) != 1 or len(body[0]) > _FLASH_MAX_CHARS:
            return "article"
        return "flash" if squash(body[0]) == squash(FLASH_PREFIX.sub("", title)) else "article"

    def _flash_headline(self) -> list[str]:
        """A bare flash page is its headline: storage merges it into the full story later."""
        title = self.ld_text("headline") or self._dom_title()
        flash = bool(FLASH_PREFIX.match(title)) or url_query_parameter(self.response.url, "g") == "flash"
        return [FLASH_PREFIX.sub("", title).strip()] if flash and title else []

    def _cms_date(self, key: str) -> str | None:
        stamp = dict(_CMS_DATE.findall(self.response.text)).get(key)
        if not stamp:
            return None
        return iso_jst(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]), int(stamp[8:10]), int(stamp[10:12]))

    def _breadcrumb_section(self) -> str | None:
        for obj in json_ld_objects(self.response):
            if obj.get("@type") != "BreadcrumbList" or not isinstance(obj.get("itemListElement"), list):
                continue
            items = [i for i in obj["itemListElement"] if isinstance(i, dict)]
            items.sort(key=_position)
            for entry in items[1:]:
                item = entry.get("item")
                name = (clean_text(item.get("name") if isinstance(item, dict) else None)
                        or clean_text(entry.get("name")))
                if name:
                    return name
        return None

    def _body_paragraphs(self) -> list[str]:
        """Lines of every outermost body block (``div.ArticleText``, also inside ``.ArticleBlock``)."""
        lines: list[str] = []
        for block in self.response.xpath(f"//*[{_ARTICLE_TEXT}][not(ancestor::*[{_ARTICLE_TEXT}])]"):
            lines.extend(_block_text(block))
        return lines

    def _dom_title(self) -> str:
        return strip_site_suffix(" ".join(self.response.css("div.ArticleTitle h1 ::text").getall()))


LAYOUTS: tuple[type[ArticlePage], ...] = (JijiPage,)


def parse_article(response: TextResponse) -> ParsedArticle:
    return parse_page(LAYOUTS, response)


def _position(entry: dict[str, Any]) -> int:
    position = entry.get("position")
    return position if isinstance(position, int) else 0


def _block_text(block: Any) -> list[str]:
    """``<p>`` children one by one; loose text and ``<br>`` lines of the block itself too."""
    lines: list[str] = []
    loose: list[Any] = []

    def flush() -> None:
        if loose:
            lines.extend(node_lines(loose))
            loose.clear()

    for node in block.xpath("./node()"):
        tag = tag_name(node)
        if tag is None or tag in _INLINE:
            loose.append(node)
            continue
        flush()
        if tag in _DROP or _has_class(node, _DROP_CLASSES):
            continue
        if tag == "p":
            lines.extend(block_lines(node))
        elif tag in {"div", "section"}:
            lines.extend(_block_text(node))
    flush()
    return lines


def _has_class(node: Any, classes: tuple[str, ...]) -> bool:
    own = (node.attrib.get("class") or "").split()
    return any(c in own for c in classes)


# --- listings -------------------------------------------------------------------


def is_listing(response: TextResponse) -> bool:
    """A genre listing: its URL is ``/jc/list`` (or ``/jc/c``), or it has list blocks and no article text."""
    path = urlsplit(response.url).path.rstrip("/")
    if path in _LIST_PATHS:
        return True
    if canonicalize(response.url) is not None:
        return False
    has_article = bool(response.xpath(f"//*[{_ARTICLE_TEXT}]")) or "NewsArticle" in "".join(
        response.css('script[type="application/ld+json"]::text').getall())
    return not has_article and bool(response.css(_LIST_ITEMS))


def discover(response: TextResponse) -> list[Discovered]:
    """Article links of a genre listing (``/jc/list?g=...``) with headline and, when safe, the date."""
    refuse_error_page(response)
    try:
        anchors = response.css(_LIST_ITEMS) or _fallback_anchors(response)
    except ValueError as exc:  # not HTML/XML at all
        raise ParseError(f"unreadable listing: {exc}", response.url) from exc
    flash_listing = url_query_parameter(response.url, "g") == "flash"

    found: dict[str, Discovered] = {}
    for anchor in anchors:
        ref = canonicalize(response.urljoin(anchor.attrib.get("href", "")))
        if ref is None or ref.canonical_url in found:
            continue
        title, date_text = _entry_text(anchor)
        kind = "flash" if flash_listing or FLASH_PREFIX.match(title or "") else "article"
        found[ref.canonical_url] = Discovered(
            url=ref.canonical_url,
            title=title or None,
            published=_listing_date(date_text, ref.stable_key or ""),
            kind=kind,
        )
    if not found:
        raise ParseError("no article links in listing", response.url)
    return list(found.values())


def _fallback_anchors(response: TextResponse) -> list[Any]:
    """Any article link in the main column, outside rankings, asides and navigation."""
    for scope in _MAIN_SCOPES:
        container = response.css(scope)
        if container:
            return list(container[0].xpath(f'.//a[contains(@href, "/article?k=")][not({_FALLBACK_SKIP})]'))
    return list(response.xpath(f'//a[contains(@href, "/jc/article?k=")][not({_FALLBACK_SKIP})]'))


def _entry_text(anchor: Any) -> tuple[str, str]:
    """Headline (``<p>``) and the 「(MM/DD HH:MM)」 text of one listing entry."""
    date_text = clean_text(" ".join(anchor.css("span ::text, .ArticleDate ::text").getall()))
    title = clean_text(" ".join(anchor.css("p ::text").getall()))
    whole = clean_text(" ".join(anchor.xpath(".//text()").getall()))
    if not title:
        # no <p>: the anchor's own text minus the date
        title = clean_text(_LIST_DATE.sub("", whole).replace("()", "").replace("（）", ""))
    return title, date_text or whole


def _listing_date(text: str, key: str) -> str | None:
    """「(01/21 19:42)」 has no year: take it from the id (YYYYMMDD…) when the two agree within days."""
    match = _LIST_DATE.search(nfkc(text or ""))
    if not match:
        return None
    month, day, hour, minute = (int(g) for g in match.groups())
    try:
        id_date = date(int(key[:4]), int(key[4:6]), int(key[6:8]))
    except ValueError:
        return None
    best: tuple[int, int] | None = None
    for year in (id_date.year - 1, id_date.year, id_date.year + 1):
        try:
            gap = abs((date(year, month, day) - id_date).days)
        except ValueError:
            continue
        if best is None or gap < best[0]:
            best = (gap, year)
    if best is None or best[0] > 3:
        return None
    return iso_jst(best[1], month, day, hour, minute)

