"""The generic fallbacks every outlet's page falls back on when its own rules miss a field.

In order: the page's JSON-LD, then OpenGraph/meta tags, then plain HTML (``<h1>``, ``<title>``,
``<time datetime>``), and for the body the main text block as trafilatura extracts it. Each rule's
name starts with ``fallback:`` so ``sources`` (and crawl health) can tell a field the outlet's own
rules found from one a fallback rescued.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from crawler.outlets.base import FALLBACK, Rule
from crawler.outlets.dates import normalize_iso
from crawler.outlets.structured import meta_content, names
from crawler.outlets.text import clean_text, split_lines

if TYPE_CHECKING:
    from crawler.outlets.base import ArticlePage

# trafilatura renders list items as "- item"
_LIST_MARK = re.compile(r"^[-*•]\s+")
# the extractor's text counts as the body only when it says clearly more than the lead does
_EXTRACT_MIN_CHARS = 80


def fallback_rules(page: ArticlePage, field: str) -> list[Rule]:
    return _RULES[field](page)


def _title(page: ArticlePage) -> list[Rule]:
    response = page.response
    return [
        (FALLBACK + "jsonld", lambda: page.strip_suffix(page.ld_text("headline") or page.ld_text("name"))),
        (FALLBACK + "meta", lambda: page.strip_suffix(meta_content(response, "og:title", "twitter:title"))),
        (FALLBACK + "html", lambda: clean_text(response.xpath("string(//h1[normalize-space()][1])").get())),
        (FALLBACK + "html", lambda: page.strip_suffix(response.css("title::text").get())),
    ]


def _published(page: ArticlePage) -> list[Rule]:
    response = page.response
    return [
        (FALLBACK + "jsonld", lambda: normalize_iso(page.ld_text("datePublished"))),
        (FALLBACK + "meta", lambda: normalize_iso(meta_content(
            response, "article:published_time", "og:published_time", "pubdate", "date", "DC.date.issued"))),
        (FALLBACK + "html", lambda: normalize_iso(response.css("time[datetime]::attr(datetime)").get())),
    ]


def _modified(page: ArticlePage) -> list[Rule]:
    return [
        (FALLBACK + "jsonld", lambda: normalize_iso(page.ld_text("dateModified"))),
        (FALLBACK + "meta", lambda: normalize_iso(meta_content(
            page.response, "article:modified_time", "og:updated_time"))),
    ]


def _description(page: ArticlePage) -> list[Rule]:
    return [
        (FALLBACK + "jsonld", lambda: page.ld_text("description")),
        (FALLBACK + "meta", lambda: clean_text(meta_content(
            page.response, "og:description", "description", "twitter:description"))),
    ]


def _body(page: ArticlePage) -> list[Rule]:
    def lead() -> list[str]:
        value, _ = _first_of(_description(page))
        return split_lines([value or ""])

    return [
        (FALLBACK + "jsonld", lambda: split_lines([page.ld_text("articleBody") or ""])),
        (FALLBACK + "extractor", lambda: extracted_paragraphs(page)),
        # only the lead survives (a members-only page, markup we cannot read): kept, marked incomplete
        (FALLBACK + "description", lead),
    ]


def _section(page: ArticlePage) -> list[Rule]:
    def ld_section() -> str | None:
        value = page.ld.get("articleSection")
        return clean_text(value[0] if isinstance(value, list) and value else value) or None

    return [
        (FALLBACK + "jsonld", ld_section),
        (FALLBACK + "meta", lambda: clean_text(meta_content(page.response, "article:section"))),
    ]


def _authors(page: ArticlePage) -> list[Rule]:
    def meta_authors() -> list[str]:
        value = meta_content(page.response, "article:author", "author") or ""
        return [name for name in (clean_text(part) for part in value.split(",")) if name]

    return [
        (FALLBACK + "jsonld", lambda: names(page.ld.get("author"))),
        (FALLBACK + "meta", meta_authors),
    ]


_RULES: dict[str, Callable[[ArticlePage], list[Rule]]] = {
    "title": _title,
    "published": _published,
    "modified": _modified,
    "body": _body,
    "description": _description,
    "section": _section,
    "authors": _authors,
}


def _first_of(rules: list[Rule]) -> tuple[str | None, str | None]:
    for source, getter in rules:
        value = getter()
        if value:
            return value, source
    return None, None


def extracted_paragraphs(page: ArticlePage) -> list[str]:
    """The main text block as trafilatura sees it, without the headline, when it says more than the lead."""
    import trafilatura  # imported only when a page's own structure is gone

    text = trafilatura.extract(page.response.text, include_comments=False, include_tables=False,
                               favor_precision=True) or ""
    title, _ = _first_of(_title(page))
    lines = [_LIST_MARK.sub("", line) for line in split_lines([text])]
    lines = [line for line in lines if line and line != title]
    lead, _ = _first_of(_description(page))
    if sum(map(len, lines)) < max(_EXTRACT_MIN_CHARS, 2 * len(lead or "")):
        return []
    return lines
