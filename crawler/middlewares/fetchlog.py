"""Record every HTTP exchange in the fetch log; keep raw article pages; stop at bot walls.

A discovery document's validators (ETag, Last-Modified) are written to the fetch log only when
the crawl finishes cleanly with no article left waiting for a retry. Until then the next run
asks for the whole listing (no 304), so articles a killed crawl never reached, or that failed
with a timeout or a 5xx, are requested again.

Besides HTTP outcomes it records what a policy refused: a redirect not followed (``refused``,
set by :mod:`crawler.middlewares.redirects`), a body over the size cap (``refused``) and a URL
robots.txt disallows (``disallowed``). Reasons never carry a URL's password.
"""

from __future__ import annotations

import logging
import re
import time

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from crawler.errors import ENVIRONMENT_ERRORS
from crawler.middlewares.redirects import OffHostRequest
from crawler.outlets.blocks import detect_block
from crawler.runtime import outlet_name, run_id_for, store_for
from crawler.secrets import mask_secrets

log = logging.getLogger(__name__)
STORAGE_ERRORS = "talkwatch/storage_errors"  # read by crawler.extensions.RunLog


class BlockedByBotWall(IgnoreRequest):
    """A bot wall answered (e.g. DataDome): recorded as a block, never parsed."""


class FetchLogMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run_id = run_id_for(crawler)
        self.max_blocks = crawler.settings.getint("TALKWATCH_MAX_CONSECUTIVE_BLOCKS", 3)
        self.consecutive_blocks = 0
        # discovery rows whose validators wait for a clean finish: fetch id -> (etag, last-modified)
        self.listing_validators: dict[int, tuple[str | None, str | None]] = {}
        # article URL -> its last answer in this run failed in a way a later retry can fix
        self.retry_pending: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchLogMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_closed(self, reason: str) -> None:
        pending = sorted(url for url, waiting in self.retry_pending.items() if waiting)
        # a write that failed may have left an article without any fetch-log row: only a full read of
        # its listing finds it again
        storage_failed = bool(self.crawler.stats.get_value(STORAGE_ERRORS, 0))
        if reason != "finished" or pending or storage_failed:
            log.info("listing validators not kept (crawl %s, %d article(s) to retry): the next run "
                     "reads every listing in full", reason, len(pending))
            return
        store_for(self.crawler).fetches.keep_validators(self.listing_validators)

    def process_request(self, request: Request) -> None:
        request.meta["talkwatch_started"] = time.monotonic()

    def process_response(self, request: Request, response: Response) -> Response:
        try:
            return self._record_response(request, response)
        except ENVIRONMENT_ERRORS:
            # the fetch log could not be written (full disk, lost database): the run has failed
            self.crawler.stats.inc_value(STORAGE_ERRORS)
            raise

    def _record_response(self, request: Request, response: Response) -> Response:
        store = store_for(self.crawler)
        default_role = "robots" if request.url.endswith("/robots.txt") else "other"
        role = request.meta.get("talkwatch_role", default_role)
        block = detect_block(response.status, response.headers, response.body)
        outcome, reason = _outcome(response.status, block)
        if request.meta.get("talkwatch_refused"):
            outcome, reason = "refused", mask_secrets(request.meta["talkwatch_refused"])
        etag, last_modified = _header(response, b"ETag"), _header(response, b"Last-Modified")
        deferred = role == "discovery" and outcome == "fetched" and (etag or last_modified)
        snapshot_sha = None
        with store.db.unit():  # the snapshot and its fetch log row: one transaction
            if outcome == "fetched" and role == "article":
                content_type = _header(response, b"Content-Type")
                snapshot_sha = store.fetches.save_snapshot(request.url, response.body, content_type)
            fetch_id = store.fetches.record_fetch(
                run_id=self.run_id, outlet=outlet_name(self.crawler), url=request.url, role=role,
                status=response.status, bytes=len(response.body),
                etag=None if deferred else etag, last_modified=None if deferred else last_modified,
                duration_ms=_elapsed_ms(request), outcome=outcome, reason=reason, snapshot_sha=snapshot_sha,
            )
        if deferred:
            self.listing_validators[fetch_id] = (etag, last_modified)
        if role == "article":
            # a blocked article waits for a later run too: keep its listing unconditional until then
            self.retry_pending[request.url] = outcome == "blocked" or (
                outcome == "error" and _retryable_status(response.status))
        request.meta["fetch_id"] = fetch_id
        request.meta["snapshot_sha"] = snapshot_sha
        self.crawler.stats.inc_value(f"talkwatch/fetch/{outcome}")
        if block:
            self._on_block(request, block)
        self.consecutive_blocks = 0
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        outcome, reason = _exception_outcome(exception)
        if outcome is None:
            return
        role = request.meta.get("talkwatch_role", "other")
        try:
            request.meta["fetch_id"] = store_for(self.crawler).fetches.record_fetch(
                run_id=self.run_id, outlet=outlet_name(self.crawler), url=request.url,
                role=role, status=None, bytes=0,
                duration_ms=_elapsed_ms(request), outcome=outcome, reason=mask_secrets(reason)[:500],
            )
        except ENVIRONMENT_ERRORS:
            self.crawler.stats.inc_value(STORAGE_ERRORS)
            raise
        if role == "article":
            self.retry_pending[request.url] = outcome == "error"  # timeouts, resets, data loss
        self.crawler.stats.inc_value(f"talkwatch/fetch/{outcome}")

    def _on_block(self, request: Request, reason: str) -> None:
        self.consecutive_blocks += 1
        log.warning("blocked by %s at %s (%d in a row)", reason, request.url, self.consecutive_blocks)
        if self.consecutive_blocks >= self.max_blocks and self.crawler.engine is not None:
            # back off: the rest of this crawl would only be blocked too; the next run tries again
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="blocked"))
        raise BlockedByBotWall(f"{reason}: {request.url}")


def refusal_reason(exception: IgnoreRequest) -> str:
    """Why Scrapy dropped a response (the fetch log's reason)."""
    outcome, reason = _exception_outcome(exception)
    return reason if outcome == "refused" else f"dropped: {mask_secrets(str(exception))[:300]}"


def record_refusal(crawler: Crawler, request: Request, response: Response, reason: str) -> None:
    """A response a middleware refused after it arrived (a gzip bomb): one ``refused`` row."""
    try:
        store_for(crawler).fetches.record_fetch(
            run_id=run_id_for(crawler), outlet=outlet_name(crawler), url=request.url,
            role=request.meta.get("talkwatch_role", "other"), status=response.status,
            bytes=len(response.body), duration_ms=_elapsed_ms(request), outcome="refused", reason=reason)
    except ENVIRONMENT_ERRORS:
        crawler.stats.inc_value(STORAGE_ERRORS)
        raise
    crawler.stats.inc_value("talkwatch/fetch/refused")


def _outcome(status: int, block: str | None) -> tuple[str, str | None]:
    if block:
        return "blocked", block
    if status == 304:
        return "not_modified", None
    if 300 <= status < 400:
        return "redirect", None
    if status >= 400:
        return "error", f"HTTP {status}"
    return "fetched", None


def _retryable_status(status: int) -> bool:
    """A failure the server may not repeat later: 5xx, 408 and 429 (a 404 will stay a 404)."""
    return status >= 500 or status in {408, 429}


def _exception_outcome(exception: Exception) -> tuple[str | None, str]:
    """Outcome and reason for a request that got no response (``None``: not recorded)."""
    message = str(exception)
    if isinstance(exception, OffHostRequest):
        return "refused", message
    if isinstance(exception, IgnoreRequest):
        if "robots.txt" in message:
            return "disallowed", "robots.txt disallows this URL"
        if "DOWNLOAD_MAXSIZE" in message:  # Scrapy's decompression guard: a gzip bomb
            sizes = re.search(r"\((\d+) B compressed, (\d+) B decompressed", message)
            detail = f": {sizes.group(1)} bytes unpacked to over {sizes.group(2)}" if sizes else ""
            return "refused", f"compressed body over the size cap once unpacked (DOWNLOAD_MAXSIZE){detail}"
        return None, ""  # bot walls are recorded on their response; other drops are not fetches
    if isinstance(exception, DownloadCancelledError):
        # Scrapy cancels a download that passes DOWNLOAD_MAXSIZE: with a length header it says so; without
        # one (a body that just keeps coming) the cancellation carries no message
        sizes = re.search(r"(\d+) bytes .*max size \((\d+)\)", message)
        detail = (f": {sizes.group(1)} bytes > {sizes.group(2)}" if sizes
                  else ", sent without a length header" if not message else "")
        return "refused", f"response over the size cap (DOWNLOAD_MAXSIZE){detail}"
    return "error", f"{type(exception).__name__}: {message}"


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _elapsed_ms(request: Request) -> float | None:
    started = request.meta.get("talkwatch_started")
    return round((time.monotonic() - started) * 1000, 1) if started else None
