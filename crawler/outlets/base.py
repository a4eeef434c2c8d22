"""The shapes every outlet shares, and the page-object skeleton its article parser is built on.

An outlet module (``crawler/outlets/<name>.py``) exposes:

- ``OUTLET``: an :class:`Outlet` (name, display name, hosts, discovery start URLs, URL forms, kind);
- ``canonicalize(url) -> ArticleRef | None``: stable key and canonical URL of an article URL in any of
  its variants, ``None`` when the URL is not one of the outlet's article URLs;
- ``LAYOUTS``: its :class:`ArticlePage` classes, one per layout version of the site, newest first;
- ``discover(response) -> list[Discovered]``: the article links of a feed, sitemap or listing (raises
  :class:`ParseError` on a document that is malformed or lists nothing);
- ``is_listing(response) -> bool``: whether an HTML page of the outlet is a listing (an index of links)
  rather than an article, judged from the page itself and the outlet's URL rules together;
- ``parse_article(response) -> ParsedArticle``: the article on the page, read by the first of its
  ``LAYOUTS`` that fits (:func:`parse_page`); raises :class:`ParseError` on a page that is no article.

Page parsers are pure functions of a response: no network, no database. ``tests/outlets/test_contract.py``
checks every outlet module against this contract.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from crawler.outlets import structured
from crawler.outlets.text import clean_text

if TYPE_CHECKING:
    from lxml import etree
    from scrapy.http import TextResponse


class ParseError(ValueError):
    """A page that cannot be read as an article (or a feed); ``reason`` says why.

    ``field`` names the article field that was missing (``title``, ``published``, ``body``) when that is
    the reason, and ``sources`` where the fields that were found came from, so crawl health can count
    coverage without reading the prose of the reason.
    """

    def __init__(self, reason: str, url: str | None = None, field: str | None = None,
                 sources: dict[str, str] | None = None) -> None:
        super().__init__(reason if url is None else f"{reason} ({url})")
        self.reason = reason
        self.url = url
        self.field = field
        self.sources = sources


@dataclass(frozen=True)
class Outlet:
    name: str
    display_name: str
    hosts: tuple[str, ...]
    start_urls: tuple[str, ...]
    # the article URL forms ``canonicalize`` accepts, as a reader would write them (for error messages)
    article_url_forms: tuple[str, ...]
    language: str = "ja"
    kind: str = "press"  # "official" for a government's own readouts
    default_interval_minutes: int = 30


@dataclass(frozen=True)
class ArticleRef:
    """The outlet's own article id and the one URL we file it under.

    ``stable_key`` is ``None`` when only the page itself carries the id (English Reuters: the Arc id is
    in the page's JSON, not its URL). ``fetch_url`` is what to request when it is not the canonical URL
    (an NHK old-site link still serves the full text).
    """

    stable_key: str | None  # outlet-scoped id, e.g. "mofaj/na/na1/us/pageit_000001_01515"
    canonical_url: str
    fetch_url: str | None = None

    @property
    def request_url(self) -> str:
        return self.fetch_url or self.canonical_url


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
    body_complete: bool = True  # False for teasers (NHK's new site without consent) and lead-only bodies
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    kind: str = "article"  # "article" or "flash"
    # which extraction path produced each field: the outlet's own rule ("dom", "jsonld", "arc", …) or a
    # generic fallback ("fallback:jsonld", "fallback:meta", "fallback:html", "fallback:extractor")
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.outlet}:{self.stable_key}"

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


FALLBACK = "fallback:"


def is_fallback(source: str | None) -> bool:
    """True when a field came from a generic fallback, not the outlet's own rules."""
    return source is None or source.startswith(FALLBACK)


# the fields crawl health watches, and how each was found on a page: "own" (the outlet's rules),
# "fallback" (JSON-LD, meta or the extractor stood in) or "missing"
COVERAGE_FIELDS = ("title", "published", "body")


def field_paths(sources: dict[str, str]) -> dict[str, str]:
    """``{"title": "own", "published": "fallback", "body": "missing"}`` from a parse's ``sources``."""
    def path(source: str | None) -> str:
        if source is None:
            return "missing"
        return "fallback" if is_fallback(source) else "own"

    return {name: path(sources.get(name)) for name in COVERAGE_FIELDS}


class OutletModule(Protocol):
    """Static shape of an outlet module (for type checkers and readers)."""

    OUTLET: Outlet
    LAYOUTS: Sequence[type[ArticlePage]]

    def canonicalize(self, url: str) -> ArticleRef | None: ...
    def parse_article(self, response: TextResponse) -> ParsedArticle: ...
    def discover(self, response: TextResponse) -> list[Discovered]: ...
    def is_listing(self, response: TextResponse) -> bool: ...


Rule = tuple[str, Callable[[], Any]]


def first(*rules: Rule) -> tuple[Any, str | None]:
    """The first rule whose getter gives a non-empty value, and the rule's name.

    A getter says "missing" by returning ``None`` or an empty value; an exception is a bug and propagates.
    """
    for source, getter in rules:
        value = getter()
        if value:
            return value, source
    return None, None


def refuse_error_page(response: TextResponse) -> None:
    """An error status (4xx, 5xx) is neither an article nor a listing, whatever its body holds (a site's
    404 page links to its sections): every page guard and every ``discover`` starts here."""
    if response.status >= 400:
        raise ParseError(f"error page (HTTP {response.status})", response.url)


# --- feeds and sitemaps -------------------------------------------------------

def xml_root(response: TextResponse) -> etree._Element:
    """The root element of a feed or sitemap; no entity expansion, no network (it is data from outside)."""
    from lxml import etree  # only where a feed, sitemap or tree check needs it: not for `status`
    body = (response.body or b"").strip()
    if not body:
        raise ParseError("empty document", response.url)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"malformed XML: {exc}", response.url) from exc
    if root is None:
        raise ParseError("empty document", response.url)
    return root



def xml_name(element: object) -> str:
    """The local name of an element (``rss``, ``urlset``), ``""`` for comments and processing instructions."""
    from lxml import etree  # only where a feed, sitemap or tree check needs it: not for `status`
    tag = getattr(element, "tag", None)
    return etree.QName(tag).localname if isinstance(tag, str) else ""


# --- dates ----------------------------------------------------------------------

EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=2)


def implausible_date(value: str, now: datetime | None = None) -> str | None:
    """Why an ISO date cannot be an article's (before 1990, or more than two days ahead); ``None`` if fine."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return f"unreadable date {value!r}"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when < EARLIEST_PLAUSIBLE:
        return f"date {value} is before 1990"
    if when > (now or datetime.now(UTC)) + MAX_AHEAD:
        return f"date {value} is in the future"
    return None


# --- the page object ------------------------------------------------------------

FIELDS = ("title", "published", "modified", "body", "description", "section", "authors")
REQUIRED = ("title", "published", "body")
MISSING = {"title": "no title", "published": "no date", "body": "empty body"}


class ArticlePage:
    """One article page of an outlet, in one layout version of its site.

    An outlet subclasses it once per layout and declares, per field, its own rules in order
    (``title_rules()``, ``published_rules()``, ``body_rules()``, …: ``(name, getter)`` pairs). When they
    all miss, :meth:`to_item` falls back to the generic paths — JSON-LD, then OpenGraph/meta, then the
    page's ``<title>``/``<h1>`` and the main text as trafilatura sees it — and records in ``sources``
    which path gave each field, so a redesign shows as falling coverage instead of a broken crawl.
    """

    outlet: ClassVar[Outlet]
    layout: ClassVar[str] = "default"
    # the site name that <title> and og:title append ("｜外務省"): stripped from titles read there
    title_suffix: ClassVar[re.Pattern[str] | None] = None
    # body rules that only give part of the article (a lead, a standfirst): the item is incomplete
    partial_body_sources: ClassVar[frozenset[str]] = frozenset({"description", "fallback:description"})
    # fields the site never carries, so no fallback may fill them (jiji and NHK credit no reporters)
    absent_fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, response: TextResponse) -> None:
        self.response = response

    @classmethod
    def fits(cls, response: TextResponse) -> bool:
        """Whether the page is in this layout (the outlet's layouts are tried newest first)."""
        return True

    # --- what an outlet declares ------------------------------------------------

    def title_rules(self) -> Sequence[Rule]:
        return ()

    def published_rules(self) -> Sequence[Rule]:
        return ()

    def modified_rules(self) -> Sequence[Rule]:
        return ()

    def body_rules(self) -> Sequence[Rule]:
        return ()

    def description_rules(self) -> Sequence[Rule]:
        return ()

    def section_rules(self) -> Sequence[Rule]:
        return ()

    def authors_rules(self) -> Sequence[Rule]:
        return ()

    def guard(self) -> None:
        """Refuse what is not an article at all (an error page; outlets add bot walls, consent steps)."""
        refuse_error_page(self.response)

    def page_ref(self) -> ArticleRef | None:
        """The article's id and canonical URL: from the fetched URL, else the page's links to itself."""
        return _first_ref(self.outlet_module().canonicalize, self.self_references())

    def kind(self, fields: dict[str, Any]) -> str:
        return "article"

    def body_complete(self, paragraphs: list[str], source: str) -> bool:
        return source not in self.partial_body_sources

    def language(self) -> str:
        declared = (self.response.xpath("/html/@lang").get() or "").split("-")[0].strip().lower()
        return declared if declared in {"ja", "en"} else self.outlet.language

    # --- shared by every layout ----------------------------------------------------

    @cached_property
    def ld(self) -> dict[str, Any]:
        """The page's NewsArticle JSON-LD object (``{}`` when absent or malformed)."""
        return structured.news_article(self.response) or {}

    def ld_text(self, key: str) -> str | None:
        """A JSON-LD string field, cleaned; ``None`` when missing or of another type."""
        return structured.text(self.ld.get(key))

    def self_references(self) -> list[str]:
        """URLs the page gives for itself, the fetched URL first."""
        return [self.response.url, *declared_urls(self.response, self.ld)]

    def strip_suffix(self, title: str | None) -> str:
        cleaned = clean_text(title)
        return self.title_suffix.sub("", cleaned).strip() if self.title_suffix else cleaned

    def outlet_module(self) -> OutletModule:
        from crawler.outlets import get_outlet  # the registry imports the outlet modules, which import us

        return get_outlet(self.outlet.name)

    def to_item(self) -> ParsedArticle:
        from crawler.outlets import generic

        self.guard()
        ref = self.page_ref()
        if ref is None:
            raise ParseError(not_an_article_url(self.outlet, self.response.url), self.response.url)
        values: dict[str, Any] = {}
        sources: dict[str, str] = {"layout": self.layout}
        for name in FIELDS:
            own = getattr(self, f"{name}_rules")()
            fallbacks = () if name in self.absent_fields else generic.fallback_rules(self, name)
            value, source = first(*own, *fallbacks)
            if source is not None:
                values[name], sources[name] = value, source
        for name in REQUIRED:
            if not values.get(name):
                raise ParseError(MISSING[name], self.response.url, field=name, sources=sources)
        for name in ("published", "modified"):
            reason = implausible_date(values[name]) if values.get(name) else None
            if reason and name == "published":
                raise ParseError(reason, self.response.url, field="published",
                                 sources={k: v for k, v in sources.items() if k != "published"})
            if reason:
                values.pop(name)
                sources.pop(name)
        stable_key = ref.stable_key or self.id_from_page(ref)
        if not stable_key:
            raise ParseError("no article id in the URL or the page", self.response.url)
        if ref.stable_key is None:
            sources["stable_key"] = "page"
        return ParsedArticle(
            outlet=self.outlet.name,
            stable_key=stable_key,
            canonical_url=ref.canonical_url,
            url=self.response.url,
            title=values["title"],
            published=values["published"],
            modified=values.get("modified"),
            paragraphs=list(values["body"]),
            lang=self.language(),
            description=values.get("description"),
            # a page nested deeper than libxml2 builds has lost everything past that depth
            body_complete=(self.body_complete(values["body"], sources["body"])
                           and not tree_cut_short(self.response)),
            authors=list(values.get("authors") or []),
            section=values.get("section"),
            kind=self.kind(values),
            sources=sources,
        )

    def id_from_page(self, ref: ArticleRef) -> str | None:
        """The id when the URL does not carry it (English Reuters: the Arc id in the page's JSON)."""
        return None


def tree_cut_short(response: TextResponse) -> bool:
    """True when libxml2 stopped building the page's tree at its nesting limit (256 levels): what lay
    deeper, and everything after it, is missing from every selector (the page is parsed once more, with
    the same parser settings, to read the parser's own error log)."""
    from lxml import etree  # only where a feed, sitemap or tree check needs it: not for `status`
    parser = etree.HTMLParser(recover=True, huge_tree=False)
    with contextlib.suppress(etree.LxmlError, ValueError):
        etree.fromstring(response.body, parser)
    return any("Excessive depth" in entry.message for entry in parser.error_log)


def declared_urls(response: TextResponse, ld: dict[str, Any] | None = None) -> list[str]:
    """The URLs a page gives for itself: ``<link rel=canonical>``, ``og:url``, JSON-LD ``url`` and
    ``mainEntityOfPage``, made absolute."""
    ld = structured.news_article(response) or {} if ld is None else ld
    main_entity = ld.get("mainEntityOfPage")
    candidates = [
        response.css('link[rel="canonical"]::attr(href)').get(),
        structured.meta_content(response, "og:url"),
        ld.get("url"),
        main_entity.get("@id") if isinstance(main_entity, dict) else main_entity,
    ]
    found = []
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            try:
                found.append(response.urljoin(candidate.strip()))
            except ValueError:
                continue
    return found


def declared_url(response: TextResponse) -> str | None:
    urls = declared_urls(response)
    return urls[0] if urls else None


def parse_page(layouts: Sequence[type[ArticlePage]], response: TextResponse) -> ParsedArticle:
    """The article on ``response``, read by the first layout (newest first) that fits the page.

    When none fits (the site changed again), the newest layout reads it: its generic fallbacks do what
    they can, and ``sources`` shows it.
    """
    layout = next((candidate for candidate in layouts if candidate.fits(response)), layouts[0])
    return layout(response).to_item()


def _first_ref(canonicalize: Callable[[str], ArticleRef | None], urls: Iterable[str]) -> ArticleRef | None:
    for url in urls:
        ref = canonicalize(url)
        if ref is not None:
            return ref
    return None


def not_an_article_url(outlet: Outlet, url: str) -> str:
    """One line: why ``url`` is not one of the outlet's article URLs, naming the forms it accepts."""
    forms = "; ".join(outlet.article_url_forms)
    return f"{url or '(no URL)'} is not a {outlet.display_name} article URL (accepted: {forms})"
