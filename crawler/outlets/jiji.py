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
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse
from w3lib.url import canonicalize_url, url_query_parameter

from crawler.outlets.base import (
    ArticleRef,
    Discovered,
    Outlet,
    ParsedArticle,
    ParseError,
    block_lines,
    clean_text,
    first,
    json_ld_objects,
    meta_content,
    news_article_ld,
    nfkc,
    node_lines,
    split_lines,
    tag_name,
)
from crawler.outlets.dates import iso_jst, normalize_iso, parse_ja_date

OUTLET = Outlet(
    name="jiji",
    hosts=("www.jiji.com", "jiji.com"),
    start_urls=(
        "https://www.jiji.com/jc/list?g=pol",
        "https://www.jiji.com/jc/list?g=int",
        "https://www.jiji.com/jc/list?g=news",
    ),
)

BASE_URL = "https://www.jiji.com/"
_ARTICLE_PATHS = {"/jc/article", "/sp/article", "/amp/article", "/jc/amp/article"}
_ID = re.compile(r"^(\d{13})")
_SITE_SUFFIX = re.compile(r"\s*[：:｜|\-－―]\s*時事ドットコム\s*$")
_FLASH_PREFIX = re.compile(r"^\s*[【\[]速報[】\]]")
_LIST_DATE = re.compile(r"(\d{1,2})/(\d{1,2})\s+(\d{1,2}):(\d{2})")
# the raw page keeps the CMS timestamps in comments: <!-- key="news date" value="20221017190950" -->
_CMS_DATE = re.compile(r'<!--\s*key="(news date|upd_date)"\s+value="(\d{12})\d*"\s*-->')
# a flash page carries one line repeating its headline; real stories never fit in this many characters
_FLASH_MAX_CHARS = 40

# Body blocks that are not article text: in-body ads, links to related stories, bottom links.
_DROP = ("aside", "script", "style", "noscript", "figure", "figcaption")
_DROP_CLASSES = ("ArticleInnerAD", "ArticleTextTab", "ArticleBottomLink")

# Listing entries: the documented list blocks first, then any article link in the main column.
_LIST_ITEMS = ".ArticleListMain li > a, .ArticleHeadlineList li > a"
_MAIN_SCOPES = ("#Main", ".MainInner", "main")
_FALLBACK_SKIP = (
    "ancestor::aside or ancestor::nav or ancestor::footer"
    " or ancestor::*[contains(@class, 'Ranking') or contains(@class, 'BottomArticleList')]"
)


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


# --- article pages --------------------------------------------------------------


def strip_site_suffix(title: str | None) -> str:
    return _SITE_SUFFIX.sub("", clean_text(title))


def parse_article(response: TextResponse) -> ParsedArticle:
    if response.status >= 400:
        raise ParseError(f"error page (HTTP {response.status})", response.url)
    ld = news_article_ld(response) or {}
    ref = _page_ref(response, ld)
    if ref is None:
        raise ParseError("not a jiji article URL", response.url)

    title, title_src = first(
        ("jsonld", lambda: strip_site_suffix(ld["headline"])),
        ("dom", lambda: strip_site_suffix(" ".join(response.css("div.ArticleTitle h1 ::text").getall()))),
        ("meta", lambda: strip_site_suffix(meta_content(response, "og:title", "title"))),
        ("fallback", lambda: strip_site_suffix(response.css("title::text").get())),
    )
    if not title:
        raise ParseError("no title", response.url)

    cms = dict(_CMS_DATE.findall(response.text))
    published, published_src = first(
        ("jsonld", lambda: normalize_iso(ld["datePublished"])),
        ("dom", lambda: parse_ja_date(" ".join(response.css("p.ArticleTitleData ::text").getall()))),
        ("meta", lambda: normalize_iso(meta_content(response, "article:published_time", "pubdate"))),
        ("fallback", lambda: _cms_iso(cms["news date"])),
    )
    if not published:
        raise ParseError("no date", response.url)
    modified, modified_src = first(
        ("jsonld", lambda: normalize_iso(ld["dateModified"])),
        ("fallback", lambda: _cms_iso(cms["upd_date"])),
    )

    paragraphs, body_src = first(
        ("dom", lambda: _body_paragraphs(response)),
        # the lead alone (a layout we do not know, a members-only page): kept, but marked incomplete
        ("jsonld", lambda: split_lines([ld["description"]])),
        ("meta", lambda: split_lines([meta_content(response, "og:description", "description") or ""])),
    )
    section, section_src = first(
        ("jsonld", lambda: clean_text(ld["articleSection"])),
        ("jsonld", lambda: _breadcrumb_section(response)),
        ("dom", lambda: clean_text(response.css("div.BreadCrumbs p a::text").getall()[1])),
    )
    description, description_src = first(
        ("jsonld", lambda: clean_text(ld["description"])),
        ("meta", lambda: clean_text(meta_content(response, "og:description", "description"))),
    )

    dom_lines = paragraphs if body_src == "dom" else []
    kind = "flash" if _is_flash(response.url, title, section, dom_lines or []) else "article"
    if not paragraphs:
        if kind != "flash":
            raise ParseError("empty body", response.url)
        # a bare flash page is its headline; storage merges it into the full story later
        paragraphs, body_src = [_FLASH_PREFIX.sub("", title).strip()], "title"

    sources = {
        "title": title_src,
        "published": published_src,
        "body": body_src,
        "modified": modified_src,
        "section": section_src,
        "description": description_src,
    }
    body_complete = body_src in {"dom", "title"} or kind == "flash"
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
        section=section,
        body_complete=body_complete,
        authors=[],  # jiji credits the agency (時事通信社), not reporters
        kind=kind,
        sources={k: v for k, v in sources.items() if v},
    )


def _page_ref(response: TextResponse, ld: dict[str, Any]) -> ArticleRef | None:
    """The id from the fetched URL, else from the page's own links to itself."""
    main_entity = ld.get("mainEntityOfPage")
    candidates = [
        response.url,
        ld.get("url"),
        main_entity.get("@id") if isinstance(main_entity, dict) else main_entity,
        response.css('link[rel="canonical"]::attr(href)').get(),
        meta_content(response, "og:url"),
    ]
    for candidate in candidates:
        if isinstance(candidate, str):
            ref = canonicalize(candidate)
            if ref:
                return ref
    return None


def _cms_iso(stamp: str) -> str:
    return iso_jst(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]), int(stamp[8:10]), int(stamp[10:12]))


def _breadcrumb_section(response: TextResponse) -> str | None:
    for obj in json_ld_objects(response):
        if obj.get("@type") != "BreadcrumbList":
            continue
        items = sorted(obj.get("itemListElement") or [], key=lambda i: i.get("position", 0))
        names = [(i.get("item") or {}).get("name") or i.get("name") for i in items[1:]]
        names = [n for n in names if n]
        return names[0] if names else None
    return None


def _body_paragraphs(response: TextResponse) -> list[str]:
    """Lines of every body block (``div.ArticleText``, also inside ``.ArticleBlock``)."""
    lines: list[str] = []
    # outermost ArticleText blocks only, so a nested one is not read twice
    blocks = response.xpath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' ArticleText ')]"
        "[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' ArticleText ')])]"
    )
    for block in blocks:
        lines.extend(_block_text(block))
    return lines


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
        if tag is None or tag in {"br", "a", "span", "em", "strong", "b", "i"}:
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


def _is_flash(url: str, title: str, section: str | None, paragraphs: list[str]) -> bool:
    """速報 pages: 【速報】 headline, section 速報, g=flash, or a one-line body repeating the headline."""
    if _FLASH_PREFIX.match(title) or (section and "速報" in section):
        return True
    if url_query_parameter(url.replace("&amp;", "&"), "g") == "flash":
        return True
    if len(paragraphs) != 1 or len(paragraphs[0]) > _FLASH_MAX_CHARS:
        return False
    return _squash(paragraphs[0]) == _squash(_FLASH_PREFIX.sub("", title))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", nfkc(text))


# --- listings -------------------------------------------------------------------


def discover(response: TextResponse) -> list[Discovered]:
    """Article links of a genre listing (``/jc/list?g=...``) with headline and, when safe, the date."""
    if not isinstance(response, TextResponse):
        raise ParseError("not a text document", response.url)
    if response.status >= 400:
        raise ParseError(f"error page (HTTP {response.status})", response.url)
    try:
        anchors = response.css(_LIST_ITEMS)
        if not anchors:
            anchors = _fallback_anchors(response)
    except ValueError as exc:  # not HTML/XML at all
        raise ParseError(f"unreadable listing: {exc}", response.url) from exc
    flash_listing = url_query_parameter(response.url, "g") == "flash"

    found: dict[str, Discovered] = {}
    for anchor in anchors:
        ref = canonicalize(response.urljoin(anchor.attrib.get("href", "")))
        if ref is None or ref.canonical_url in found:
            continue
        title, date_text = _entry_text(anchor)
        kind = "flash" if flash_listing or _FLASH_PREFIX.match(title or "") else "article"
        found[ref.canonical_url] = Discovered(
            url=ref.canonical_url,
            title=title or None,
            published=_listing_date(date_text, ref.stable_key),
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
