"""What every outlet's page parser returns, and the small helpers they share.

A page parser is a pure function of a Scrapy response: no network, no database.
Each outlet module (``crawler/outlets/<name>.py``) exposes:

- ``OUTLET``: an :class:`Outlet` (name, hosts, discovery start URLs);
- ``canonicalize(url) -> ArticleRef | None``: stable key and canonical URL of an
  article URL in any of its variants, ``None`` when the URL is not an article;
- ``parse_article(response) -> ParsedArticle`` (raises :class:`ParseError`);
- ``discover(response) -> list[Discovered]`` for feeds, sitemaps and listings
  (raises :class:`ParseError` on a malformed or empty document).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from scrapy.http import TextResponse


class ParseError(ValueError):
    """A page that cannot be read as an article (or a feed); ``reason`` says why."""

    def __init__(self, reason: str, url: str | None = None) -> None:
        super().__init__(reason if url is None else f"{reason} ({url})")
        self.reason = reason
        self.url = url


@dataclass(frozen=True)
class Outlet:
    name: str
    hosts: tuple[str, ...]
    start_urls: tuple[str, ...]
    language: str = "ja"


@dataclass(frozen=True)
class ArticleRef:
    """The outlet's own article id and the one URL we file it under."""

    stable_key: str  # outlet-scoped id, e.g. "pageit_000001_01515"
    canonical_url: str

    def key(self, outlet: str) -> str:
        return f"{outlet}:{self.stable_key}"


@dataclass(frozen=True)
class Discovered:
    """An article link found in a feed, sitemap or listing."""

    url: str
    title: str | None = None
    published: str | None = None  # ISO 8601 when the discovery document says
    description: str | None = None  # feed description (NHK: what we match teasers on)
    kind: str = "article"  # "article", "flash" (jiji 速報), "listing" (follow a further page)


@dataclass
class ParsedArticle:
    outlet: str
    stable_key: str
    canonical_url: str
    url: str  # the URL the page was fetched from (the real outlet URL, never the mirror)
    title: str
    published: str  # ISO 8601 with offset
    paragraphs: list[str]
    lang: str
    modified: str | None = None
    description: str | None = None  # lead / standfirst / JSON-LD description
    body_complete: bool = True  # False for teasers (NHK's new site without consent)
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    kind: str = "article"  # "article" or "flash"
    # which extraction path produced each field, e.g. {"title": "jsonld", "body": "dom"}
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.outlet}:{self.stable_key}"

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class OutletModule(Protocol):
    """Static shape of an outlet module (for type checkers and readers)."""

    OUTLET: Outlet

    def canonicalize(self, url: str) -> ArticleRef | None: ...
    def parse_article(self, response: TextResponse) -> ParsedArticle: ...
    def discover(self, response: TextResponse) -> list[Discovered]: ...


# --- text helpers -----------------------------------------------------------

_SPACES = " \t\r\n\u3000\u00a0"


def clean_text(text: str | None) -> str:
    """Trim ASCII and full-width spaces and collapse inner runs of whitespace."""
    if not text:
        return ""
    text = re.sub(r"[ \t\r\u00a0]+", " ", text)
    return text.strip(_SPACES)


def split_lines(texts: Iterable[str]) -> list[str]:
    """Split text nodes on line breaks and drop empty lines (``<br>``-separated paragraphs)."""
    lines: list[str] = []
    for text in texts:
        for line in text.split("\n"):
            cleaned = clean_text(line)
            if cleaned:
                lines.append(cleaned)
    return lines


def block_lines(selector: Any) -> list[str]:
    """Text of a block element, one entry per ``<br>``-separated line.

    Takes text, not markup, so comments inside names (jiji's ``<!--es-->``) vanish.
    """
    return node_lines(selector.xpath("./node()"))


def node_lines(nodes: Iterable[Any]) -> list[str]:
    """Text of a run of sibling nodes, one entry per ``<br>``-separated line; comments skipped."""
    parts: list[str] = []
    for node in nodes:
        if _is_comment(node):
            continue
        tag = tag_name(node)
        if tag == "br":
            parts.append("\n")
        elif tag is None:
            parts.append(node.get())
        else:
            parts.append("".join(node.xpath(".//text()").getall()))
    return split_lines(["".join(parts)])


def tag_name(node: Any) -> str | None:
    """The element name of a selector's node; ``None`` for text and comments."""
    tag = getattr(node.root, "tag", None)
    return tag if isinstance(tag, str) else None


def _is_comment(node: Any) -> bool:
    root = node.root
    return callable(getattr(root, "tag", None))  # lxml comments have a function as tag


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# --- structured data ----------------------------------------------------------


def json_ld_objects(response: TextResponse) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object on the page (``@graph`` and lists flattened); bad blocks skipped."""
    for raw in response.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(raw.strip().rstrip(";"), strict=False)
        except json.JSONDecodeError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.extend(item["@graph"] if isinstance(item["@graph"], list) else [item["@graph"]])
                yield item


NEWS_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting"}


def news_article_ld(response: TextResponse) -> dict[str, Any] | None:
    """The page's NewsArticle JSON-LD object, if any."""
    for obj in json_ld_objects(response):
        types = obj.get("@type")
        types = types if isinstance(types, list) else [types]
        if NEWS_TYPES.intersection(t for t in types if isinstance(t, str)):
            return obj
    return None


def meta_content(response: TextResponse, *names: str) -> str | None:
    """First non-empty ``<meta property|name=...>`` content among ``names``."""
    for name in names:
        value = response.xpath(
            f'//meta[@property="{name}" or @name="{name}"]/@content'
        ).get()
        if value and value.strip():
            return value.strip()
    return None


def first(*candidates: tuple[str, Callable[[], Any]]) -> tuple[Any, str | None]:
    """Try extraction paths in order; return the first non-empty value and the path's name."""
    for source, getter in candidates:
        try:
            value = getter()
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if value:
            return value, source
    return None, None
