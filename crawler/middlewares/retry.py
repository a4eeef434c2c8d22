"""Retries that respect the server: wait out ``Retry-After`` before Scrapy's retry, defer a retry
the server asks to postpone for long to the next run, and note every retry in the fetch log.

Sits just before Scrapy's ``RetryMiddleware`` (550) in the response path, so the fetch log
(580) has recorded the failed exchange and the retry (550) happens after the wait.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.misc import load_object

from crawler.runtime import store_for
from crawler.secrets import mask_secrets

log = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date); ``None`` if absent
    or unreadable; never negative."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.enabled = settings.getbool("RETRY_ENABLED", True)
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.retry_http_codes = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")}
        # a longer wait is not spent inside a crawl: the next scheduled run asks again
        self.max_wait = settings.getfloat("TALKWATCH_RETRY_AFTER_MAX", 60.0)
        self.exceptions = tuple(
            load_object(name) if isinstance(name, str) else name
            for name in settings.getlist("RETRY_EXCEPTIONS")
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in self.retry_http_codes or not self._retries_left(request):
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        fetch_id = request.meta.get("fetch_id")
        if wait is not None and wait > self.max_wait:
            request.meta["dont_retry"] = True  # Scrapy's RetryMiddleware reads it next
            self._note(fetch_id, "error", f"HTTP {response.status}; Retry-After {wait:.0f} s is more than "
                                          f"{self.max_wait:.0f} s: retry on the next run")
            self.crawler.stats.inc_value("talkwatch/retry/deferred")
            return response
        note = f"HTTP {response.status}; {self._attempt(request)}"
        if wait:
            note += f" after {wait:g} s (Retry-After)"
        self._note(fetch_id, "retried", note)
        self.crawler.stats.inc_value("talkwatch/retry/http")
        if wait:
            log.info("waiting %g s (Retry-After) before retrying %s", wait, request.url)
            await asyncio.sleep(wait)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, self.exceptions) or not self._retries_left(request):
            return None
        reason = mask_secrets(f"{type(exception).__name__}: {exception}")[:400]
        self._note(request.meta.get("fetch_id"), "retried", f"{reason}; {self._attempt(request)}")
        self.crawler.stats.inc_value("talkwatch/retry/exception")
        return None  # Scrapy's RetryMiddleware makes the new request

    def _retries_left(self, request: Request) -> bool:
        if not self.enabled or request.meta.get("dont_retry"):
            return False
        limit = request.meta.get("max_retry_times", self.max_retry_times)
        return request.meta.get("retry_times", 0) < limit

    def _attempt(self, request: Request) -> str:
        limit = request.meta.get("max_retry_times", self.max_retry_times)
        return f"retry {request.meta.get('retry_times', 0) + 1}/{limit}"

    def _note(self, fetch_id: int | None, outcome: str, reason: str) -> None:
        if fetch_id is not None:
            store_for(self.crawler).fetches.update_fetch(fetch_id, outcome, reason)
