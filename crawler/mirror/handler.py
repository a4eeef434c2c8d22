"""A Scrapy download handler that fetches from the local mirror (installed by
:class:`crawler.mirror.addon.MirrorAddon` only when one is configured).

It sits below every middleware, so spiders, robots.txt, redirects, retries and the items
all see the real outlet URLs; only the bytes come from the mirror.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.mirror.routing import mirror_url


class MirrorDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.mirror_base: str = crawler.settings.get("TALKWATCH_MIRROR_URL") or ""
        if not self.mirror_base:
            raise NotConfigured("the mirror handler needs TALKWATCH_MIRROR_URL")

    async def download_request(self, request: Request) -> Response:
        routed = request.replace(url=mirror_url(request.url, self.mirror_base))
        response = await super().download_request(routed)
        return response.replace(url=request.url, request=request)
