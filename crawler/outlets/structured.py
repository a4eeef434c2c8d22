"""Structured data a page declares about itself: JSON-LD and ``<meta>`` tags.

Outlet input is untrusted: a JSON-LD block of the wrong shape (``"datePublished": 5``), with absurd
nesting or broken syntax is skipped or read as "missing", never an exception, so the page's DOM can
still carry the article.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from crawler.outlets.text import clean_text

if TYPE_CHECKING:
    from scrapy.http import TextResponse

NEWS_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting"}
_PREFERRED = ("NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "Article", "BlogPosting")
# objects are looked for at the top, in a top-level list and in @graph: deeper nesting is not metadata
_MAX_OBJECTS = 200


def json_ld_objects(response: TextResponse) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object at the top of a block, in a top-level list or an ``@graph``; bad blocks
    skipped."""
    for raw in response.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(raw.strip().rstrip(";"), strict=False)
        except (ValueError, RecursionError):  # broken syntax, or nesting deeper than the parser goes
            continue
        items = data if isinstance(data, list) else [data]
        seen = 0
        for item in items:
            if not isinstance(item, dict):
                continue
            graph = item.get("@graph")
            for obj in [item, *(graph if isinstance(graph, list) else [graph])]:
                if isinstance(obj, dict) and seen < _MAX_OBJECTS:
                    seen += 1
                    yield obj


def types_of(obj: dict[str, Any]) -> set[str]:
    declared = obj.get("@type")
    values = declared if isinstance(declared, list) else [declared]
    return {v for v in values if isinstance(v, str)}


def news_article(response: TextResponse) -> dict[str, Any] | None:
    """The page's NewsArticle (or Article) JSON-LD object, if any."""
    candidates = [obj for obj in json_ld_objects(response) if types_of(obj) & NEWS_TYPES]
    for wanted in _PREFERRED:
        for obj in candidates:
            if wanted in types_of(obj):
                return obj
    return None


def text(value: object) -> str | None:
    """A string value, cleaned; ``None`` for anything else (numbers, objects, lists) or blank."""
    return clean_text(value) or None


def names(value: object) -> list[str]:
    """Person names of a JSON-LD ``author``: a string, a Person object, or a list of either."""
    people = value if isinstance(value, list) else [value]
    found = [clean_text(p.get("name") if isinstance(p, dict) else p) for p in people]
    return [n for n in found if n]


def meta_content(response: TextResponse, *names: str) -> str | None:
    """First non-empty ``<meta property|name=...>`` content among ``names``."""
    for name in names:
        value = response.xpath('//meta[@property=$n or @name=$n]/@content', n=name).get()
        if value and value.strip():
            return value.strip()
    return None

