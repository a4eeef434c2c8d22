"""Every outlet module against the one outlet contract (``crawler/outlets/base.py``).

An outlet is one module of declarations plus its fixtures (``crawler/mirror/site/<outlet>/``, served by
the mirror under the real URLs in its ``routes.yaml``). These tests hold each module in ``OUTLET_NAMES`` to
the same shape and behaviour, so adding one is adding a module that passes them.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

from crawler.mirror import SITE_DIR
from crawler.mirror.server import Route, load_routes
from crawler.outlets import OUTLET_NAMES, get_outlet, is_discovery_document
from crawler.outlets import parse_article as parse_with_layouts
from crawler.outlets.base import (
    ArticlePage,
    ArticleRef,
    Discovered,
    Outlet,
    OutletModule,
    ParsedArticle,
    ParseError,
)

# the layout versions each outlet must declare, by name: where a site changed, one per version
LAYOUT_VERSIONS = {
    "jiji": {"article"},
    "mofa": {"current", "classic"},
    "nhk": {"old", "new"},  # www3.nhk.or.jp and news.web.nhk
    "reuters": {"arc", "ans", "dom"},  # Reuters' Arc page, a bare ANS Arc site, no Fusion JSON
}
OUTLET_KINDS = {"official", "press"}
DISCOVERED_KINDS = {"article", "flash", "listing"}
PROTOCOL_FUNCTIONS = ("canonicalize", "discover", "is_listing", "parse_article")

# pages that are no article (and no listing) at all, each served at an article URL of the outlet
NOT_ARTICLES = {
    "empty": (200, b""),
    "blank page": (200, b"<!DOCTYPE html><html><head><title></title></head><body></body></html>"),
    "error page": (404, b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>"
                        b"<p>The page you requested was not found.</p></body></html>"),
    "server error": (503, b"<html><body><h1>Service Unavailable</h1></body></html>"),
    "binary": (200, bytes(range(256)) * 4),
    "json": (200, b'{"error": "not found"}'),
}
# documents no outlet can read as a listing
NOT_LISTINGS = {
    "empty": b"",
    "blank page": b"<html><body></body></html>",
    "binary": bytes(range(256)) * 4,
    "truncated XML": b'<?xml version="1.0"?><rss><channel><item><link>https://',
}


@dataclass(frozen=True)
class Fixture:
    outlet: str
    route: Route

    @property
    def id(self) -> str:
        assert self.route.file is not None
        return f"{self.outlet}/{self.route.file.name}@{self.route.since}"

    def response(self) -> TextResponse:
        content_type = self.route.content_type or ""
        cls = XmlResponse if "xml" in content_type else HtmlResponse
        headers = {"Content-Type": content_type, **self.route.headers} if content_type else self.route.headers
        return cls(url=self.route.url, body=self.route.body(), status=self.route.status, headers=headers,
                   request=Request(self.route.url))


def fixtures() -> list[Fixture]:
    """Every page an outlet's mirror folder serves from a file (robots.txt aside)."""
    found = []
    for name in OUTLET_NAMES:
        for routes in load_routes([SITE_DIR]).values():
            for route in routes:
                if (route.file is not None and route.file.parent.name == name and route.fault is None
                        and route.file.name != "robots.txt" and not route.file.name.endswith("_robots.txt")):
                    found.append(Fixture(name, route))
    return found


FIXTURES = fixtures()


def discovery_fixtures(name: str) -> list[Fixture]:
    outlet = get_outlet(name)
    return [f for f in FIXTURES if f.outlet == name and f.route.status == 200
            and is_discovery_document(outlet, f.response())]


def article_fixtures(name: str) -> list[Fixture]:
    outlet = get_outlet(name)
    return [f for f in FIXTURES if f.outlet == name and not is_discovery_document(outlet, f.response())]


def an_article_url(name: str) -> str:
    """A canonical article URL of the outlet, as its own discovery finds one."""
    outlet = get_outlet(name)
    for fixture in discovery_fixtures(name):
        for found in outlet.discover(fixture.response()):
            ref = outlet.canonicalize(found.url)
            if ref is not None:
                return ref.canonical_url
    raise AssertionError(f"{name}: no discovery fixture lists an article")


outlets = pytest.mark.parametrize("name", OUTLET_NAMES)


# --- the module's shape ----------------------------------------------------------------------


@outlets
def test_module_satisfies_the_outlet_protocol(name: str) -> None:
    module = get_outlet(name)
    assert getattr(module, "__name__", None) == f"crawler.outlets.{name}"
    for attribute in OutletModule.__annotations__:
        assert hasattr(module, attribute), f"{name} has no {attribute}"
    for function in PROTOCOL_FUNCTIONS:
        implementation = getattr(module, function, None)
        assert inspect.isfunction(implementation), f"{name}.{function} is not a function"
        declared = inspect.signature(getattr(OutletModule, function))
        own = inspect.signature(implementation)
        assert list(own.parameters) == [p for p in declared.parameters if p != "self"], \
            f"{name}.{function}{own} does not match OutletModule.{function}{declared}"
        # compared as written (the types sit behind TYPE_CHECKING so that `status` loads no Scrapy)
        declared_hints = getattr(OutletModule, function).__annotations__
        assert implementation.__annotations__ == declared_hints, f"{name}.{function}: annotations"


@outlets
def test_outlet_declares_its_metadata(name: str) -> None:
    outlet = get_outlet(name).OUTLET
    assert isinstance(outlet, Outlet)
    assert outlet.name == name
    assert outlet.display_name.strip()
    assert outlet.kind in OUTLET_KINDS
    assert outlet.language in {"ja", "en"}
    assert isinstance(outlet.default_interval_minutes, int)
    assert 5 <= outlet.default_interval_minutes <= 24 * 60
    assert outlet.hosts and all(host == host.lower() and "." in host for host in outlet.hosts)
    assert outlet.article_url_forms and all(form.strip() for form in outlet.article_url_forms)


@outlets
def test_start_urls_are_the_live_sites_and_the_mirror_serves_them(name: str) -> None:
    outlet = get_outlet(name).OUTLET
    assert outlet.start_urls
    served = {f.route.url for f in discovery_fixtures(name)}
    for url in outlet.start_urls:
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.hostname in outlet.hosts, url
        assert url in served, f"{url}: no discovery fixture in crawler/mirror/site/{name}/routes.yaml"


@outlets
def test_layouts_are_named_page_objects_of_the_outlet(name: str) -> None:
    module = get_outlet(name)
    layouts = module.LAYOUTS
    assert layouts, f"{name} declares no layout"
    names = [layout.layout for layout in layouts]
    for layout in layouts:
        assert isinstance(layout, type) and issubclass(layout, ArticlePage)
        assert layout.outlet is module.OUTLET
        assert "layout" in {k for cls in layout.__mro__ if cls is not ArticlePage for k in vars(cls)}, \
            f"{layout.__name__} does not name its layout"
        assert inspect.ismethod(layout.fits), f"{layout.__name__}.fits is not a classmethod"
    assert len(set(names)) == len(names), f"{name}: two layouts share a name: {names}"
    assert "default" not in names
    assert LAYOUT_VERSIONS[name] <= set(names), f"{name}: layouts {names}, expected {LAYOUT_VERSIONS[name]}"


# --- canonicalize -------------------------------------------------------------------------------


@outlets
@pytest.mark.parametrize("url", ["", "   ", "not a url", "mailto:desk@example.com", "https://example.com/a.html",
                                 "https://[broken", "https://host:notaport/x", "javascript:alert(1)"])
def test_canonicalize_refuses_what_is_no_article_url(name: str, url: str) -> None:
    assert get_outlet(name).canonicalize(url) is None


@outlets
def test_canonicalize_is_stable_on_its_own_output(name: str) -> None:
    outlet = get_outlet(name)
    ref = outlet.canonicalize(an_article_url(name))
    assert isinstance(ref, ArticleRef)
    again = outlet.canonicalize(ref.canonical_url)
    assert again is not None
    assert (again.stable_key, again.canonical_url) == (ref.stable_key, ref.canonical_url)
    assert urlsplit(ref.canonical_url).hostname in outlet.OUTLET.hosts


# --- discover ------------------------------------------------------------------------------------


@outlets
def test_outlet_has_discovery_and_article_fixtures(name: str) -> None:
    assert discovery_fixtures(name), f"{name}: no listing, feed or sitemap among its fixtures"
    assert article_fixtures(name), f"{name}: no article page among its fixtures"


@pytest.mark.parametrize("fixture", [f for n in OUTLET_NAMES for f in discovery_fixtures(n)],
                         ids=lambda f: f.id)
def test_discover_finds_articles_its_canonicalize_accepts(fixture: Fixture) -> None:
    outlet = get_outlet(fixture.outlet)
    found = outlet.discover(fixture.response())
    assert isinstance(found, list) and found
    for item in found:
        assert isinstance(item, Discovered)
        assert item.kind in DISCOVERED_KINDS
        if item.kind == "listing":  # a further page of the outlet's own discovery
            assert urlsplit(item.url).hostname in outlet.OUTLET.hosts, item.url
            assert outlet.canonicalize(item.url) is None, item.url
        else:
            assert outlet.canonicalize(item.url) is not None, f"{item.url} from {fixture.id}"
        assert item.published is None or item.published[:4].isdigit()


@outlets
@pytest.mark.parametrize("what", NOT_LISTINGS)
def test_discover_raises_parse_error_on_what_lists_nothing(name: str, what: str) -> None:
    outlet = get_outlet(name)
    url = outlet.OUTLET.start_urls[0]
    body = NOT_LISTINGS[what]
    for cls in (HtmlResponse, XmlResponse):
        with pytest.raises(ParseError):
            outlet.discover(cls(url=url, body=body, encoding="utf-8", request=Request(url)))


@pytest.mark.parametrize("fixture", [f for n in OUTLET_NAMES for f in discovery_fixtures(n)],
                         ids=lambda f: f.id)
@pytest.mark.parametrize("status", [404, 503])
def test_discover_raises_parse_error_on_an_error_status(fixture: Fixture, status: int) -> None:
    """Whatever the body of an error answer holds (a 404 page links to the site's sections)."""
    response = fixture.response().replace(status=status)
    with pytest.raises(ParseError, match="error page"):
        get_outlet(fixture.outlet).discover(response)


# --- parse_article ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", [f for n in OUTLET_NAMES for f in article_fixtures(n)],
                         ids=lambda f: f.id)
def test_article_fixture_parses_or_is_refused_with_a_parse_error(fixture: Fixture) -> None:
    module = get_outlet(fixture.outlet)
    response = fixture.response()
    try:
        article = module.parse_article(response)
    except ParseError as exc:  # a bot wall, a consent step: refused, never stored
        assert exc.reason
        return
    assert isinstance(article, ParsedArticle)
    assert article.outlet == fixture.outlet and article.stable_key
    assert article.sources["layout"] in {layout.layout for layout in module.LAYOUTS}
    assert module.canonicalize(article.canonical_url) is not None
    assert parse_with_layouts(module, response) == article  # the module reads with its own LAYOUTS


@pytest.mark.parametrize("fixture", [f for n in OUTLET_NAMES for f in discovery_fixtures(n)],
                         ids=lambda f: f.id)
def test_parse_article_on_a_listing_raises_parse_error(fixture: Fixture) -> None:
    with pytest.raises(ParseError):
        get_outlet(fixture.outlet).parse_article(fixture.response())


@outlets
@pytest.mark.parametrize("what", NOT_ARTICLES)
def test_parse_article_on_a_page_that_is_no_article_raises_parse_error(name: str, what: str) -> None:
    url = an_article_url(name)
    status, body = NOT_ARTICLES[what]
    response = HtmlResponse(url=url, body=body, status=status, encoding="utf-8", request=Request(url))
    with pytest.raises(ParseError):
        get_outlet(name).parse_article(response)
