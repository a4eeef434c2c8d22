"""Scrapy's decompression, with its refusals in the fetch log.

Scrapy's ``HttpCompressionMiddleware`` drops a response whose body unpacks past DOWNLOAD_MAXSIZE (a
gzip bomb) by raising ``IgnoreRequest`` on the response path, where the fetch log never sees it: the
page left no trace. This subclass records the refusal, with its reason, before passing it on.
"""

from __future__ import annotations

from typing import Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.middlewares.fetchlog import record_refusal, refusal_reason


class RecordedHttpCompressionMiddleware(HttpCompressionMiddleware):
    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.crawler = crawler
        return middleware

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            record_refusal(self.crawler, request, response, refusal_reason(exc))
            raise
