"""The one spider shape every outlet uses: discovery documents in, article requests out.

Parsing lives in ``crawler/outlets/<outlet>.py`` (pure functions); storage in the pipelines.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any, ClassVar, TypeVar

import scrapy
from scrapy.http import Response, TextResponse

from crawler.items import ArticleItem, RejectedPage
from crawler.outlets import get_outlet
from crawler.outlets.base import Discovered, OutletModule, ParseError, field_paths
from crawler.service.revisit import claim_due, pending_due, revisit_mode

log = logging.getLogger(__name__)
T = TypeVar("T")


class OutletSpider(scrapy.Spider):
    outlet_name: ClassVar[str]

    def __init__(self, *args: Any, start_urls: str | None = None, revisit: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outlet: OutletModule = get_outlet(self.outlet_name)
        # ``-a start_urls=url1,url2`` replaces the outlet's discovery documents
        self.discovery_urls = start_urls.split(",") if start_urls else list(self.outlet.OUTLET.start_urls)
        # canonical URLs already requested in this run: URL variants of one article are fetched once
        self.requested: set[str] = set()
        # ``-a revisit=1``: also fetch this outlet's articles the revisit schedule says are due
        self.revisit_argument = revisit

    async def start(self) -> AsyncIterator[scrapy.Request]:
        mode = revisit_mode(self.revisit_argument, self.settings.get("TALKWATCH_REVISIT"))
        if mode:
            for request in self.revisit_requests():
                yield request
        if mode == "only":
            return
        for request in self.pending_requests():
            yield request
        for url in self.discovery_urls:
            yield self.discovery_request(url)

    def revisit_requests(self) -> list[scrapy.Request]:
        requests = []
        for visit in claim_due(self.crawler, self.outlet_name):
            ref = self.outlet.canonicalize(visit.url)
            self.requested.add(ref.canonical_url if ref else visit.url)
            requests.append(scrapy.Request(visit.url, callback=self.parse_article,
                                           meta={"talkwatch_role": "article", "revisit": True}))
        log.info("%s: %d articles due for a revisit", self.name, len(requests))
        return requests

    def pending_requests(self) -> list[scrapy.Request]:
        """Articles an earlier run could not store (an error, a block, a write that failed)."""
        due = pending_due(self.crawler, self.outlet_name)
        requests = [r for r in (self.article_request(Discovered(url=url)) for url in due) if r is not None]
        if requests:
            log.info("%s: %d pending articles asked for again", self.name, len(requests))
        return requests

    def discovery_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_discovery, meta={"talkwatch_role": "discovery"})

    def parse_discovery(self, response: Response) -> Iterator[scrapy.Request | RejectedPage]:
        if not isinstance(response, TextResponse):
            yield self.rejected(response, "discovery document is not text")
            return
        found, reason = self._run_parser(self.outlet.discover, response)
        if found is None:
            log.warning("%s: discovery failed at %s: %s", self.name, response.url, reason)
            yield self.rejected(response, reason)
            return
        log.info("%s: %d links in %s", self.name, len(found), response.url)
        for item in found:
            if item.kind == "listing":
                yield self.discovery_request(item.url)
            else:
                request = self.article_request(item)
                if request is not None:
                    yield request

    def article_request(self, found: Discovered) -> scrapy.Request | None:
        ref = self.outlet.canonicalize(found.url)
        if ref is None:
            log.debug("%s: not an article URL: %s", self.name, found.url)
            return None
        if ref.canonical_url in self.requested:
            return None  # another URL variant of an article already requested in this run
        self.requested.add(ref.canonical_url)
        # the canonical form, not the link as found: tracking parameters can push a link past
        # Scrapy's URL-length limit (URLLENGTH_LIMIT) and would split one article into many fetches
        return scrapy.Request(ref.request_url, callback=self.parse_article,
                              meta={"talkwatch_role": "article", "discovered": found})

    def parse_article(self, response: Response) -> Iterator[ArticleItem | RejectedPage]:
        if not isinstance(response, TextResponse):
            yield self.rejected(response, "article page is not text")
            return
        try:
            article = self.outlet.parse_article(response)
        except ParseError as exc:
            log.warning("%s: not stored: %s: %s", self.name, response.url, exc.reason)
            fields = None if exc.field is None else {**field_paths(exc.sources or {}), exc.field: "missing"}
            yield self.rejected(response, exc.reason, fields)
            return
        except Exception as exc:
            # a parser bug rejects the page, never the crawl; health sees a page it could not read at all
            log.exception("%s: parser error at %s", self.name, response.url)
            yield self.rejected(response, f"parser error: {type(exc).__name__}: {exc}"[:300], field_paths({}))
            return
        found: Discovered | None = response.meta.get("discovered")
        if not article.description and found is not None and found.description:
            # teasers (NHK) are matched on headline + the feed's description
            article = replace(article, description=found.description,
                              sources={**article.sources, "description": "feed"})
        yield ArticleItem(article=article, fetch_id=response.meta.get("fetch_id"),
                          snapshot_sha=response.meta.get("snapshot_sha"))

    def _run_parser(self, parser: Callable[[TextResponse], T],
                    response: TextResponse) -> tuple[T | None, str]:
        """The parser's result, or ``None`` and why not; a parser bug rejects the page, never the crawl."""
        try:
            return parser(response), ""
        except ParseError as exc:
            return None, exc.reason
        except Exception as exc:
            log.exception("%s: parser error at %s", self.name, response.url)
            return None, f"parser error: {type(exc).__name__}: {exc}"[:300]

    def rejected(self, response: Response, reason: str,
                 fields: dict[str, str] | None = None) -> RejectedPage:
        return RejectedPage(outlet=self.outlet_name, url=response.url, reason=reason,
                            fetch_id=response.meta.get("fetch_id"), fields=fields)
