"""``talkwatch parse FILE --outlet NAME``: run an outlet's parser on a saved page, feed or sitemap.

Whether the file is an article or a discovery document (feed, sitemap, listing) is decided from its
content. Without ``--url`` the page's own URL (``<link rel=canonical>``, ``og:url``, JSON-LD) is used.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

from crawler.cli import add_command
from crawler.outlets import OUTLET_NAMES, get_outlet, is_discovery_document, parse_article
from crawler.outlets.base import OutletModule, ParseError, declared_url

ARTICLE_FIELDS = ("title", "published", "modified", "paragraphs", "body_complete", "stable_key",
                  "canonical_url", "lang", "description", "kind", "sources")


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "parse", description=__doc__.replace("``", ""),
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path, help="the saved page, feed or sitemap (HTML or XML)")
    parser.add_argument("--outlet", required=True, choices=OUTLET_NAMES, help="whose parser reads it")
    parser.add_argument("--url", help="the document's real URL (default: the URL the page gives for itself)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        body = args.file.read_bytes()
    except OSError as exc:
        print(json.dumps({"error": f"cannot read {args.file}: {exc.strerror}"}, ensure_ascii=False))
        return 1
    try:
        result = parse_saved(body, args.outlet, args.url)
    except ParseError as exc:
        print(json.dumps({"error": exc.reason}, ensure_ascii=False))
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


def parse_saved(body: bytes, outlet_name: str, url: str | None) -> dict[str, Any]:
    outlet = get_outlet(outlet_name)
    response = _response(body, url or _own_url(body, outlet))
    if is_discovery_document(outlet, response):
        found = outlet.discover(response)
        return {"kind": "discovery", "url": response.url, "urls": [d.url for d in found],
                "items": [{k: v for k, v in asdict(d).items() if v is not None} for d in found]}
    data = asdict(parse_article(outlet, response))
    return {"kind": "article", **{name: data[name] for name in ARTICLE_FIELDS}}


def _response(body: bytes, url: str) -> TextResponse:
    head = body.lstrip()[:200].lower()
    is_xml = head.startswith((b"<?xml", b"<rss", b"<urlset", b"<sitemapindex", b"<rdf", b"<feed"))
    response_class = XmlResponse if is_xml and b"<html" not in body[:2000].lower() else HtmlResponse
    return response_class(url=url, body=body, request=Request(url))


def _own_url(body: bytes, outlet: OutletModule) -> str:
    """The URL the document gives for itself; else the outlet's home page, a base for relative links that
    says nothing about what the document is."""
    home = f"https://{outlet.OUTLET.hosts[0]}/"
    probe = _response(body, home)
    return (declared_url(probe) if isinstance(probe, HtmlResponse) else None) or home
