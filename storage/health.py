"""Crawl health, judged from the fetch log (:mod:`storage.fetchlog`) and the run log
(:mod:`storage.runs`).

Health of one crawl run is computed from the fetch log rows carrying the run's ``run_id``:
pages (responses), blocked, errors, not_modified, items (article pages seen: new, changed, unchanged,
not modified), rejected, and **field coverage** — the share of parsed article pages whose title, date and
body the outlet's own rules found. Each such page's fetch row says how (``fields``: ``own``,
``fallback`` or ``missing`` per field, written by the crawl); a field a generic fallback rescued does not
count as covered, so a redesign that pushes an outlet onto its fallbacks lowers coverage and raises the
alarm. Pages that were no article at all (consent step, error page, index) carry no ``fields`` and are
left out.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from storage.tables import utcnow

if TYPE_CHECKING:
    from storage.fetchlog import FetchLog
    from storage.runs import Runs

FIELDS = ("title", "date", "body")
# the names the crawl writes in fetches.fields for the fields above
_FIELD_NAMES = {"title": "title", "date": "published", "body": "body"}

# --- health of one run, from the fetch log -----------------------------------------------------------

# how a fetch-log reason names its cause: "HTTP 503", or the exception type that stopped the request
# (Twisted's and Scrapy's names: DNSLookupError, DownloadConnectionRefusedError, TCPTimedOutError, ...)
_ERROR_CAUSES = (
    ("dns", ("DNS", "gaierror")),
    ("timeout", ("Timeout", "TimedOut")),
    ("connection", ("Connection", "ConnectError", "ResponseNeverReceived", "ResponseFailed", "NoRoute",
                    "DataLoss")),
)


def error_cause(reason: str | None) -> str:
    """``http``, ``dns``, ``timeout``, ``connection`` or ``other`` for an ``error`` row's reason."""
    text = reason or ""
    if text.startswith("HTTP "):
        return "http"
    exception_type = text.split(":", 1)[0]
    for cause, words in _ERROR_CAUSES:
        if any(word in exception_type for word in words):
            return cause
    return "other"


@dataclass
class RunHealth:
    pages: int = 0
    fetched: int = 0  # responses with a usable answer (200s, 304s), robots.txt left out
    items: int = 0
    new_versions: int = 0
    changed_versions: int = 0
    not_modified: int = 0
    rejected: int = 0
    blocked: int = 0
    errors: int = 0
    parsed: int = 0  # article pages that reached the parser (the coverage denominator)
    coverage: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(FIELDS))
    error_causes: dict[str, int] = field(default_factory=dict)  # http, dns, timeout, connection, storage
    storage_errors: int = 0  # writes the crawl could not make (counted by the crawl, not in the fetch log)
    unreadable_listings: int = 0  # discovery documents the parser rejected (a broken feed or a redesign)
    refused: int = 0  # responses and requests a policy refused: size cap, off-host, redirect loop

    @property
    def outcome(self) -> str:
        """``failed`` (nothing could be fetched, or storage failed), ``degraded`` (some errors or blocks),
        ``quiet`` (answers, but nothing new or changed) or ``ok``."""
        if self.storage_errors or not self.fetched:
            return "failed"
        if self.errors or self.blocked or self.unreadable_listings or self.refused:
            return "degraded"
        if not (self.new_versions or self.changed_versions):
            return "quiet"
        return "ok"

    def counts_line(self) -> str:
        causes = ", ".join(f"{n} {cause}" for cause, n in sorted(self.error_causes.items()))
        return (f"{self.fetched} fetched, {self.not_modified} not modified, {self.new_versions} new, "
                f"{self.changed_versions} changed, {self.blocked} blocked, {self.refused} refused, "
                f"{self.rejected} rejected, "
                f"{self.errors + self.storage_errors} errors" + (f" ({causes})" if causes else ""))

    @property
    def blocked_ratio(self) -> float:
        return self.blocked / self.pages if self.pages else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "blocked_ratio": round(self.blocked_ratio, 3), "outcome": self.outcome}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RunHealth:
        data = dict(data or {})
        data.pop("blocked_ratio", None)
        data.pop("outcome", None)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


# fetch-log outcomes that are no usable answer (a redirect's target has its own row)
_NOT_AN_ANSWER = ("blocked", "error", "refused", "disallowed", "retried", "redirect")


def run_health(fetches: FetchLog, run_id: str, storage_errors: int = 0) -> RunHealth:
    return health_of(fetches.of_run(run_id), storage_errors)


def health_of(rows: Iterable[Any], storage_errors: int = 0) -> RunHealth:
    """``rows``: (role, outcome, fields, reason) of one run's fetches."""
    health = RunHealth(storage_errors=storage_errors)
    if storage_errors:
        health.error_causes["storage"] = storage_errors
    covered = dict.fromkeys(FIELDS, 0)
    for role, outcome, fields, reason in rows:
        health.pages += 1
        if outcome == "blocked":
            health.blocked += 1
        elif outcome == "error":
            health.errors += 1
            cause = error_cause(reason)
            health.error_causes[cause] = health.error_causes.get(cause, 0) + 1
        elif outcome == "not_modified":
            health.not_modified += 1
        elif outcome == "refused":
            health.refused += 1
        if role != "robots" and outcome not in _NOT_AN_ANSWER:
            health.fetched += 1
        if role == "discovery" and outcome == "rejected":
            health.unreadable_listings += 1
        if role != "article":
            continue
        if outcome in ("new", "changed", "unchanged", "trivial", "not_modified"):
            health.items += 1
        health.new_versions += outcome == "new"
        health.changed_versions += outcome == "changed"
        health.rejected += outcome == "rejected"
        if fields:
            health.parsed += 1
            for name in FIELDS:
                covered[name] += fields.get(_FIELD_NAMES[name]) == "own"
    if health.parsed:
        health.coverage = {f: round(covered[f] / health.parsed, 3) for f in FIELDS}
    return health


# --- alarms --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Alarm:
    outlet: str
    kind: str  # silent, zero_items, coverage_drop, blocked, failed
    message: str


def outlet_alarms(runs: Runs, outlet: str, interval_minutes: float, *, silent_intervals: float = 3.0,
                  coverage_drop: float = 0.3, recent_runs: int = 5, blocked_ratio: float = 0.5,
                  now: datetime | None = None) -> list[Alarm]:
    """What is wrong with ``outlet``'s crawling, judged from its scheduled runs (crawl jobs)."""
    now = now or utcnow()
    job = f"crawl:{outlet}"
    history = runs.recent(job=job, limit=recent_runs + 1, finished_only=True)
    alarms: list[Alarm] = []
    silent_after = timedelta(minutes=interval_minutes * silent_intervals)
    last_ok = runs.last_success(job)
    first = runs.first_start(job)
    if first is not None and now - first > silent_after and (last_ok is None or now - last_ok > silent_after):
        since = f"since {last_ok:%Y-%m-%d %H:%M} UTC" if last_ok else "ever"
        alarms.append(Alarm(outlet, "silent", f"{outlet}: no successful crawl {since} "
                            f"(more than {silent_intervals:g} intervals of {interval_minutes:g} min)"))
    if not history:
        return alarms
    latest = history[0]
    if latest.outcome in ("failed", "timeout"):
        alarms.append(Alarm(outlet, "failed", f"{outlet}: last crawl {latest.outcome}"
                            + (f" (exit {latest.returncode})" if latest.returncode not in (None, 0) else "")))
    if latest.health is None:
        return alarms
    health = RunHealth.from_dict(latest.health)
    # a quiet run (every listing answered 304) saw no article because nothing changed: no alarm
    if latest.outcome not in ("quiet", "failed", "timeout") and health.items == 0:
        alarms.append(Alarm(outlet, "zero_items", f"{outlet}: the last crawl saw no articles at all "
                            f"({health.pages} responses, {health.blocked} blocked, {health.errors} errors)"))
    if health.pages and health.blocked_ratio > blocked_ratio:
        alarms.append(Alarm(outlet, "blocked", f"{outlet}: {health.blocked} of {health.pages} responses were "
                            f"bot walls ({health.blocked_ratio:.0%} > {blocked_ratio:.0%})"))
    earlier = [RunHealth.from_dict(r.health) for r in history[1:] if r.health]
    for name in FIELDS:
        now_value = health.coverage.get(name)
        before = [value for h in earlier if (value := h.coverage.get(name)) is not None]
        if now_value is None or not before:
            continue
        usual = statistics.median(before)
        if usual - now_value >= coverage_drop:
            alarms.append(Alarm(outlet, "coverage_drop", f"{outlet}: {name} found on {now_value:.0%} of "
                                f"article pages, usually {usual:.0%} — has the site changed its layout?"))
    return alarms
