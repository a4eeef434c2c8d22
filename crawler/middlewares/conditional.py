"""Conditional GET: ask only for what changed since the last successful fetch.

Never for robots.txt: Scrapy's robots middleware reads the body of every answer, and a 304's
empty body would read as "everything allowed".
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler

from crawler.runtime import store_for


class ConditionalGetMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get("unconditional") or b"If-None-Match" in request.headers:
            return
        if urlsplit(request.url).path == "/robots.txt":
            return
        validators = store_for(self.crawler).fetches.validators(request.url)
        if validators is None:
            return
        etag, last_modified = validators
        if etag:
            request.headers[b"If-None-Match"] = etag
        if last_modified:
            request.headers[b"If-Modified-Since"] = last_modified
