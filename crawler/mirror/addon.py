"""The mirror as a Scrapy add-on: routing and politeness decided together, from the final settings.

``TALKWATCH_MIRROR_URL`` (the environment, or ``-s``) is read once Scrapy has merged every settings
source. With a mirror, downloads go through :class:`crawler.mirror.handler.MirrorDownloadHandler` and,
the mirror being our own loopback server, without delays; without one, Scrapy's own handlers fetch the
live sites at the polite pace below. So a live crawl never carries the mirror handler, and politeness can
never be relaxed while requests go to the live sites. (``-s DOWNLOAD_DELAY=…`` still wins either way.)
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import Settings

# a polite crawl: about a page a second per outlet, slower when the site answers slowly
POLITE: dict[str, Any] = {
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_DELAY": 1.0,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 1.0,
    "AUTOTHROTTLE_MAX_DELAY": 30.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
}
MIRRORED: dict[str, Any] = {
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
}
HANDLER = "crawler.mirror.handler.MirrorDownloadHandler"


class MirrorAddon:
    def update_settings(self, settings: Settings) -> None:
        mirrored = bool(settings.get("TALKWATCH_MIRROR_URL"))
        for name, value in (MIRRORED if mirrored else POLITE).items():
            settings.set(name, value, priority="addon")
        if mirrored:
            for scheme in ("http", "https"):
                settings["DOWNLOAD_HANDLERS"][scheme] = HANDLER
