"""Where a crawl may go: only the outlet's own hosts, and never round a redirect loop.

A request for a discovery document or an article on a host that is not the outlet's (a sitemap
index ``<loc>`` or a feed link pointing elsewhere, perhaps at an internal address) is refused
before it is sent (:class:`OffHostRequest`, recorded as ``refused`` with the reason). Redirects
are judged the same way, before Scrapy's ``RedirectMiddleware`` (600) in the response path: a
refused redirect is not followed (``dont_redirect``) and the fetch log records it as ``refused``.
What lives on another host is not the outlet's page; following it would store someone else's.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from w3lib.url import safe_url_string

from crawler.outlets import outlet_for_url

log = logging.getLogger(__name__)

_FOLLOWED = {301, 302, 303, 307, 308}
_CHECKED_ROLES = ("article", "discovery")  # robots.txt is the robots middleware's to fetch


class OffHostRequest(IgnoreRequest):
    """A discovery document or article request to a host that is not the outlet's: never sent."""


def allowed_hosts(url: str) -> set[str]:
    """The hosts the outlet serving ``url`` publishes on (the URL's own host for other sites)."""
    outlet = outlet_for_url(url)
    return set(outlet.OUTLET.hosts) if outlet else {(urlsplit(url).hostname or "").lower()}


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
    if role in _CHECKED_ROLES:
        target_host = (parts.hostname or "").lower()
        if target_host not in allowed_hosts(request_url):
            what = "an article" if role == "article" else "a discovery document"
            return f"off-site redirect of {what} to {target_host} not followed"
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


class OffHostRequestMiddleware:
    """Refuses, before robots.txt is even asked, any discovery or article request off the outlet's hosts."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OffHostRequestMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        role = request.meta.get("talkwatch_role")
        spider = self.crawler.spider
        outlet = getattr(spider, "outlet", None)
        if spider is None or outlet is None:
            return  # not an outlet's crawl
        if role not in _CHECKED_ROLES or request.meta.get("redirect_urls"):
            return  # a redirect's target was judged on the redirect itself
        host = (urlsplit(request.url).hostname or "").lower()
        if host not in outlet.OUTLET.hosts:
            self.crawler.stats.inc_value("talkwatch/offsite/refused")
            log.warning("%s: %s on %s, not one of %s's hosts: not requested", spider.name, role, host,
                        outlet.OUTLET.display_name)
            raise OffHostRequest(f"{role} on {host}, not one of the outlet's hosts "
                                 f"({', '.join(outlet.OUTLET.hosts)}): not requested")
