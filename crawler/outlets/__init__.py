"""Outlet registry: one module per outlet with its page parsers (see ``base.py``)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from scrapy.http import TextResponse

    from crawler.outlets.base import OutletModule, ParsedArticle

# The names and the errors are all a command needs to check an argument or a config: the outlet modules
# (and Scrapy, lxml, trafilatura behind them) are imported when an outlet is first asked for.
OUTLET_NAMES: tuple[str, ...] = ("mofa", "jiji", "nhk", "reuters")


class UnknownOutlet(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown outlet {self.name!r}; choose one of: {', '.join(OUTLET_NAMES)}"


def get_outlet(name: str) -> OutletModule:
    if name not in OUTLET_NAMES:
        raise UnknownOutlet(name)
    return cast("OutletModule", import_module(f"crawler.outlets.{name}"))


def outlet_for_url(url: str) -> OutletModule | None:
    """The outlet whose hosts serve ``url`` (``None`` for other sites)."""
    host = (urlsplit(url).hostname or "").lower()
    for name in OUTLET_NAMES:
        module = get_outlet(name)
        if host in module.OUTLET.hosts:
            return module
    return None


def parse_article(outlet: OutletModule, response: TextResponse) -> ParsedArticle:
    """The article on ``response``, read by the outlet's layout that fits it."""
    from crawler.outlets.base import parse_page

    return parse_page(outlet.LAYOUTS, response)


def is_discovery_document(outlet: OutletModule, response: TextResponse) -> bool:
    """A feed, a sitemap or a listing page (rather than an article), judged from the document itself: any
    XML document but an XHTML page (its root says which: ``discover`` names a root it cannot read), or an
    HTML page the outlet's rules call a listing."""
    from scrapy.http import HtmlResponse

    if response.body.lstrip()[:1] == b"<" and not isinstance(response, HtmlResponse):
        return _xml_root_name(response) != "html"
    return outlet.is_listing(response)


def _xml_root_name(response: TextResponse) -> str:
    from lxml import etree

    from crawler.outlets.base import xml_name

    try:
        root = etree.fromstring(response.body.strip(), etree.XMLParser(resolve_entities=False,
                                                                        no_network=True,
                                                                      recover=True))
    except etree.XMLSyntaxError:
        return ""
    return xml_name(root) if root is not None else ""
