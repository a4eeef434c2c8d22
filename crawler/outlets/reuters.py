"""Reuters (jp.reuters.com and the English www.reuters.com, one Arc XP platform), and, generically, any
Arc site's article page.

The best source on an Arc page is the ``Fusion.globalContent={...};Fusion.`` assignment: the story as ANS
JSON. Two shapes exist, each a layout here: Reuters wraps the story in ``result`` and uses
``content_elements`` of type ``"paragraph"`` (:class:`ArcPage`); bare ANS sites (Sankei and most other Arc
customers) put the story at the top level with type ``"text"`` (:class:`AnsPage`). A page without that JSON
(a front-end change) is read from Reuters' DOM (``[data-testid^="paragraph-"]``,
``h1[data-testid="Heading"]``)
and the generic fallbacks (:class:`DomPage`).

Keys: the Arc id. Japanese URLs carry it (``/<section>/<Arc id>-YYYY-MM-DD/``); English URLs do not
(``/<section>/<slug>-YYYY-MM-DD/``), so there the page's JSON gives it. The two editions' ids differ.

Discovery reads Google News sitemaps and the sitemap index that pages them. The English sitemap lists
thousands of stories a day, so its entries are pre-filtered on the sitemap's own ``<news:title>`` and
``<news:keywords>`` (:func:`english_prefilter`) before anything is fetched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from w3lib.html import remove_tags, replace_entities
from w3lib.url import canonicalize_url

from crawler.outlets import blocks
from crawler.outlets.base import (
    ArticlePage,
    ArticleRef,
    Discovered,
    Outlet,
    ParsedArticle,
    ParseError,
    Rule,
    declared_urls,
    parse_page,
    refuse_error_page,
    xml_root,
)
from crawler.outlets.dates import normalize_iso
from crawler.outlets.structured import meta_content
from crawler.outlets.text import clean_text, split_lines

if TYPE_CHECKING:
    from lxml import etree
    from scrapy.http import TextResponse

OUTLET = Outlet(
    name="reuters",
    display_name="Reuters",
    hosts=("jp.reuters.com", "www.reuters.com"),
    start_urls=(
        "https://jp.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml",
        "https://www.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml",
    ),
    article_url_forms=(
        "https://jp.reuters.com/<section>/.../<26-character Arc id>-YYYY-MM-DD/",
        "https://www.reuters.com/<section>/.../<headline-slug>-YYYY-MM-DD/",
    ),
    language="ja",
    default_interval_minutes=30,
)

# jp.reuters.com hosts an article under /<section>/<sub>/<Arc id>-YYYY-MM-DD/ (one or more sections)
_JP_PATH = re.compile(r"^/(?:[a-z0-9][a-z0-9-]*/)+(?P<id>[A-Z0-9]{26})-(?P<date>\d{4}-\d{2}-\d{2})/?$")
# www.reuters.com: /<section>/<sub>/<lower-case slug>-YYYY-MM-DD/
_EN_PATH = re.compile(
    r"^/(?:[a-z0-9][a-z0-9-]*/)+(?P<slug>[a-z0-9][a-z0-9-]*?)-(?P<date>\d{4}-\d{2}-\d{2})/?$")
_JP_HOSTS = {"jp.reuters.com", "www.jp.reuters.com"}
_EN_HOSTS = {"www.reuters.com", "reuters.com"}
_ARC_ID = re.compile(r"[A-Z0-9]{26}")
_FUSION_CONTENT = re.compile(r"Fusion\.globalContent\s*=\s*")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
# English DOM paragraphs open with a dateline the Arc text does not carry
_EN_DATELINE = re.compile(r"^[^\n]{0,120}?\(Reuters\)\s*-\s*")
_SITE_SUFFIX = re.compile(r"\s*[|｜]\s*(ロイター|Reuters)\s*$")

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
_NS = {"sm": SITEMAP_NS, "news": NEWS_NS}
# the English pre-filter: an entry is fetched when its title or keywords name Japan or one of Japan's
# office holders in the topic vocabulary (crawler/topics/vocabulary.yaml), as whole words
EN_PREFILTER_WORDS = ("Japan", "Japanese", "Tokyo")


# --- URLs -----------------------------------------------------------------------


def canonicalize(url: str) -> ArticleRef | None:
    """Key and canonical URL of any variant of a Reuters article URL (Japanese or English edition).

    Query strings (``utm_*``, ``taid``...), fragments, ``http:``, a missing trailing slash and a ``www.``
    prefix all collapse onto one URL. Sections and sitemaps give ``None``; English URLs give the canonical
    URL with ``stable_key=None`` (their Arc id is in the page, not the URL).
    """
    if not url:
        return None
    # w3lib normalizes percent-encoding and case of the scheme/host; the query goes anyway
    try:
        parts = urlsplit(canonicalize_url(url.strip(), keep_fragments=False))
        host = parts.hostname or ""
    except ValueError:  # a malformed host or port ("https://[jp...", ":x") is no article URL
        return None
    if parts.scheme not in {"http", "https"}:
        return None
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if host in _JP_HOSTS and (match := _JP_PATH.match(parts.path)):
        return ArticleRef(match.group("id"), urlunsplit(("https", "jp.reuters.com", path, "", "")))
    if host in _EN_HOSTS and _EN_PATH.match(parts.path):
        return ArticleRef(None, urlunsplit(("https", "www.reuters.com", path, "", "")))
    return None


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
        except (ValueError, RecursionError):  # broken, or nested deeper than the decoder goes
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


# lists and quotes nest; real stories go two or three deep, so deeper elements are not text we read
_MAX_NESTING = 8


def arc_paragraphs(elements: list[Any], depth: int = 0) -> list[str]:
    """Body text of ``content_elements``: paragraphs/text, list items, quotes and correction notes.

    Headers (subheadings), images and their captions, ads, embeds and links are left out.
    """
    lines: list[str] = []
    for element in elements if depth <= _MAX_NESTING else []:
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind in {"paragraph", "text"} and isinstance(element.get("content"), str):
            lines.extend(html_fragment_lines(element["content"]))
        elif kind == "list" and isinstance(element.get("items"), list):
            lines.extend(arc_paragraphs(element["items"], depth + 1))
        elif kind == "quote" and isinstance(element.get("content_elements"), list):
            lines.extend(arc_paragraphs(element["content_elements"], depth + 1))
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



class ReutersPage(ArticlePage):
    """What every Reuters layout shares: bot walls refused, the DOM rules, dates as the page declares."""

    outlet = OUTLET
    layout = "dom"
    title_suffix = _SITE_SUFFIX

    def guard(self) -> None:
        reason = blocks.detect_block(self.response.status, self.response.headers, self.response.body)
        if reason:
            raise ParseError(f"blocked: {reason}", self.response.url)
        super().guard()

    @cached_property
    def story(self) -> dict[str, Any]:
        return arc_story(fusion_global_content(self.response.text)) or {}

    def arc_rules(self, name: str) -> Sequence[Rule]:
        """The story's own rule for a field (the Arc layouts declare them)."""
        return ()

    def title_rules(self) -> Sequence[Rule]:
        return (*self.arc_rules("title"), ("dom", self._heading))

    def _heading(self) -> str:
        return clean_text(self.response.css('h1[data-testid="Heading"]').xpath("string()").get())

    def body_rules(self) -> Sequence[Rule]:
        return (*self.arc_rules("body"), ("dom", lambda: _dom_paragraphs(self.response)))

    # Dates as the page declares them (JSON-LD, then meta): that is what readers and the ground truth see
    # (Reuters in UTC "Z", Sankei in +09:00). Arc's display time is the same instant.
    def published_rules(self) -> Sequence[Rule]:
        return (("jsonld", lambda: normalize_iso(self.ld_text("datePublished"))),
                ("meta", lambda: normalize_iso(meta_content(self.response, "article:published_time"))),
                *self.arc_rules("published"))

    def modified_rules(self) -> Sequence[Rule]:
        return (("jsonld", lambda: normalize_iso(self.ld_text("dateModified"))),
                ("meta", lambda: normalize_iso(meta_content(self.response, "article:modified_time"))),
                *self.arc_rules("modified"))

    def description_rules(self) -> Sequence[Rule]:
        return self.arc_rules("description")

    def authors_rules(self) -> Sequence[Rule]:
        return self.arc_rules("authors")

    def section_rules(self) -> Sequence[Rule]:
        return self.arc_rules("section")

    def page_ref(self) -> ArticleRef | None:
        """Reuters' own URL rules; any other Arc page (this parser reads the platform) is keyed by its
        story id under the URL it declares for itself."""
        ref = super().page_ref()
        story_id = arc_id(self.story) if self.story else None
        if ref is None and story_id:
            return ArticleRef(story_id, (declared_urls(self.response, self.ld) or [self.response.url])[0])
        return ref

    def id_from_page(self, ref: ArticleRef) -> str | None:
        """The Arc id from the story; without the story JSON, the URL's path (so the page is not lost)."""
        return (arc_id(self.story) if self.story else None) or urlsplit(ref.canonical_url).path.strip("/")

    def language(self) -> str:
        declared = clean_text(self.story.get("language")) if self.story else ""
        if declared:
            return declared.split("-")[0].lower()
        host = urlsplit(self.response.url).hostname or ""
        return "en" if host in _EN_HOSTS else super().language()


class ArcPage(ReutersPage):
    """Reuters' Arc page: the story in ``Fusion.globalContent.result``, paragraphs of type "paragraph"."""

    layout = "arc"

    @classmethod
    def fits(cls, response: TextResponse) -> bool:
        content = fusion_global_content(response.text)
        return bool(content and isinstance(content.get("result"), dict) and arc_story(content))

    def arc_rules(self, name: str) -> Sequence[Rule]:
        story = self.story
        rules: dict[str, Rule] = {
            "title": ("arc", lambda: arc_title(story)),
            "body": ("arc", lambda: arc_paragraphs(story.get("content_elements") or [])),
            "description": ("arc", lambda: _basic(story.get("description"))),
            "published": ("arc", lambda: _arc_time(story, "display_time", "display_date", "published_time",
                                                   "first_publish_date", "publish_date")),
            "modified": ("arc", lambda: _arc_time(story, "updated_time", "last_updated_date")),
            "authors": ("arc", lambda: arc_authors(story)),
            "section": ("arc", lambda: arc_section(story)),
        }
        return (rules[name],) if name in rules else ()


class AnsPage(ArcPage):
    """A bare ANS Arc site (Sankei and most Arc customers): the story at the top level, type "text"."""

    layout = "ans"

    @classmethod
    def fits(cls, response: TextResponse) -> bool:
        return bool(arc_story(fusion_global_content(response.text)))


class DomPage(ReutersPage):
    """No Fusion JSON (a front-end change): Reuters' DOM, then the generic fallbacks."""

    layout = "dom"


LAYOUTS: tuple[type[ArticlePage], ...] = (ArcPage, AnsPage, DomPage)


def parse_article(response: TextResponse) -> ParsedArticle:
    """Read an Arc article page (Reuters ``result``/"paragraph", bare ANS/"text", or DOM only)."""
    return parse_page(LAYOUTS, response)


def is_listing(response: TextResponse) -> bool:
    """Reuters lists its articles in sitemaps (XML) only: no HTML page of its is read as a listing."""
    return False


# --- discovery ------------------------------------------------------------------------


def _child_text(node: etree._Element, path: str) -> str | None:
    value = node.findtext(path, namespaces=_NS)
    return clean_text(value) or None


@cache
def english_prefilter() -> re.Pattern[str]:
    """Whole words that put an English sitemap entry on the list: Japan, and Japan's office holders."""
    from crawler.topics.vocabulary import default_vocabulary

    words = set(EN_PREFILTER_WORDS)
    for holder in default_vocabulary().holders:
        if holder.side == "jp":
            words.update(name for name in holder.names if name.isascii())
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])", re.IGNORECASE)


def wanted_english_entry(title: str | None, keywords: str | None) -> bool:
    return bool(english_prefilter().search(f"{title or ''} {keywords or ''}"))


def discover(response: TextResponse) -> list[Discovered]:
    """Articles in a Google News sitemap, or further sitemap pages in a sitemap index.

    English entries are kept only when their title or keywords pass :func:`english_prefilter`.
    """
    from lxml import etree  # only where a feed, sitemap or tree check needs it: not for `status`
    refuse_error_page(response)
    root = xml_root(response)
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
        ref = canonicalize(loc) if loc else None
        if loc is None or ref is None:
            continue  # section fronts, videos, pictures: not articles
        title = _child_text(node, "news:news/news:title")
        keywords = _child_text(node, "news:news/news:keywords")
        if ref.stable_key is None and not wanted_english_entry(title, keywords):
            continue  # an English story that names neither Japan nor its ministers
        published = normalize_iso(_child_text(node, "news:news/news:publication_date")) or normalize_iso(
            _child_text(node, "sm:lastmod"))
        found.append(Discovered(url=loc, title=title, published=published))
    return found
