"""``talkwatch parse FILE --outlet NAME``: run an outlet's page parser on a saved page."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

from crawler.outlets import OUTLET_NAMES, get_outlet
from crawler.outlets.base import ParseError

ARTICLE_FIELDS = ("title", "published", "modified", "paragraphs", "body_complete", "stable_key",
                  "canonical_url", "lang")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("parse", help="parse a saved page or feed, print JSON")
    parser.add_argument("file", type=Path)
    parser.add_argument("--outlet", required=True, choices=OUTLET_NAMES)
    parser.add_argument("--url", help="the page's real URL (gives the stable key); default: guessed")
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


def parse_saved(body: bytes, outlet_name: str, url: str | None) -> dict:
    outlet = get_outlet(outlet_name)
    head = body.lstrip()[:200].lower()
    is_xml = head.startswith((b"<?xml", b"<rss", b"<urlset", b"<sitemapindex", b"<rdf"))
    if url is None:
        url = outlet.OUTLET.start_urls[0]
    response_class = XmlResponse if is_xml else HtmlResponse
    response: TextResponse = response_class(url=url, body=body, request=Request(url))
    if not is_xml and outlet.canonicalize(url) is not None:
        article = outlet.parse_article(response)
        data = asdict(article)
        return {"kind": "article", **{name: data[name] for name in ARTICLE_FIELDS},
                "description": article.description, "sources": article.sources}
    found = outlet.discover(response)
    return {"kind": "discovery", "urls": [d.url for d in found],
            "items": [{k: v for k, v in asdict(d).items() if v is not None} for d in found]}
