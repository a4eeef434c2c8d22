"""Which redirects a crawl follows: never an article to another host, never a loop.

Sits before Scrapy's ``RedirectMiddleware`` (600) in the response path. A refused redirect is
not followed (``dont_redirect``) and the fetch log records it as ``refused`` with the reason.
Discovery documents may move to another host (feeds do); article pages may not: what lives on
another host is not the outlet's article, and following it would store someone else's page.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from w3lib.url import safe_url_string

from crawler.outlets import outlet_for_url

log = logging.getLogger(__name__)

_FOLLOWED = {301, 302, 303, 307, 308}


def redirect_refusal(request_url: str, target: str, chain: list[str], role: str, max_hops: int) -> str | None:
    """Why a redirect from ``request_url`` to ``target`` must not be followed (``None``: follow it).

    ``chain`` is the URLs already visited before ``request_url`` in this redirect chain.
    """
    parts = urlsplit(target)
    if parts.scheme not in {"http", "https"}:
        return f"redirect to a {parts.scheme or 'relative'}: URL not followed"
    if target == request_url or target in chain:
        return f"redirect loop: {target} again after {len(chain) + 1} hop(s)"
    if len(chain) >= max_hops:
        return f"more than {max_hops} redirects"
    if role == "article":
        source_host = (urlsplit(request_url).hostname or "").lower()
        outlet = outlet_for_url(request_url)
        allowed = set(outlet.OUTLET.hosts) if outlet else {source_host}
        target_host = (parts.hostname or "").lower()
        if target_host not in allowed | {source_host}:
            return f"off-site redirect of an article to {target_host} not followed"
    return None


class RedirectPolicyMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_hops = crawler.settings.getint("REDIRECT_MAX_TIMES", 5)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectPolicyMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if response.status not in _FOLLOWED or not location or request.meta.get("dont_redirect"):
            return response
        target = urljoin(request.url, safe_url_string(location.decode("latin-1")))
        refusal = redirect_refusal(request.url, target, list(request.meta.get("redirect_urls", [])),
                                   request.meta.get("talkwatch_role", "other"), self.max_hops)
        if refusal:
            request.meta["dont_redirect"] = True
            request.meta["talkwatch_refused"] = refusal
            self.crawler.stats.inc_value("talkwatch/redirect/refused")
            log.warning("%s: %s", request.url, refusal)
        return response
