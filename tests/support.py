"""Helpers shared by the tests: fixture pages as Scrapy responses."""

from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

from crawler.mirror import SITE_DIR

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


def page_response(outlet: str, filename: str, url: str, encoding: str | None = None) -> TextResponse:
    """A response for one of the project's own fixture pages (``crawler/mirror/site/<outlet>/``)."""
    return file_response(SITE_DIR / outlet / filename, url, encoding=encoding)


def file_response(path: Path, url: str, encoding: str | None = None) -> TextResponse:
    body = path.read_bytes()
    cls = XmlResponse if path.suffix in {".xml", ".rdf"} else HtmlResponse
    return cls(url=url, body=body, encoding=encoding, request=Request(url))
