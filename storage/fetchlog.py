"""The fetch log and raw snapshots: one row per response, and each raw body kept once, compressed."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.database import Database, inserted_id
from storage.db import insert_ignoring_duplicates
from storage.models import Fetch, Snapshot

# zlib level for snapshots: on news HTML level 3 is ~2x faster than 6 for a few % more bytes, and every
# fetched article page is compressed on the crawl's thread
SNAPSHOT_ZLIB_LEVEL = 3


# an article page whose last answer may still turn into a stored version: asked for again by the next
# crawl of its outlet, whatever its listing says, after a backoff that doubles per try up to a cap
PENDING_OUTCOMES = ("fetched", "retried", "error", "blocked")
PENDING_BACKOFF = timedelta(minutes=5)
PENDING_BACKOFF_CAP = timedelta(hours=6)


@dataclass(frozen=True)
class PendingArticle:
    url: str
    outcome: str  # of the last try: fetched (processing broke off), error, blocked, retried
    reason: str | None
    tries: int
    last_try: datetime
    next_try: datetime


def pending_backoff(tries: int) -> timedelta:
    doublings = min(max(tries - 1, 0), 16)  # 5 min * 2**16 is far past the cap already
    return min(PENDING_BACKOFF * 2**doublings, PENDING_BACKOFF_CAP)


def _is_pending(outcome: str, status: int | None) -> bool:
    # a 404 or 410 will stay so: that article is resolved as an error, with its reason
    return outcome in PENDING_OUTCOMES and not (outcome == "error" and status is not None
                                                and 400 <= status < 500 and status not in (408, 429))


class FetchLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record_fetch(self, **fields: Any) -> int:
        # a prepared Core statement, not an ORM object: one row per response is the crawl's hottest write
        with self.db.session() as s:
            return inserted_id(s.connection().execute(_INSERT_FETCH, fields))

    def update_fetch(self, fetch_id: int, outcome: str, reason: str | None = None,
                     article_key: str | None = None) -> None:
        with self.db.session() as s:
            set_outcome(s, fetch_id, outcome, reason, article_key)

    def record_fields(self, fetch_id: int, fields: dict[str, str]) -> None:
        """How an article page's title, date and body were found (crawl health's coverage)."""
        with self.db.session() as s:
            s.execute(update(Fetch).where(Fetch.id == fetch_id).values(fields=fields))

    def pending_articles(self, outlet: str | None = None) -> list[PendingArticle]:
        """Article pages whose last fetch did not end stored, refused or rejected (oldest first)."""
        latest = select(func.max(Fetch.id)).where(Fetch.role == "article").group_by(Fetch.url)
        if outlet:
            latest = latest.where(Fetch.outlet == outlet)
        with self.db.session() as s:
            rows = s.execute(select(Fetch.url, Fetch.outcome, Fetch.reason, Fetch.status, Fetch.fetched_at)
                             .where(Fetch.id.in_(latest), Fetch.outcome.in_(PENDING_OUTCOMES))
                             .order_by(Fetch.id)).all()
            pending = [r for r in rows if _is_pending(r.outcome, r.status)]
            tries = dict(s.execute(
                select(Fetch.url, func.count()).where(Fetch.url.in_([r.url for r in pending]),
                                                      Fetch.role == "article",
                                                      Fetch.outcome.in_(PENDING_OUTCOMES))
                .group_by(Fetch.url)).all()) if pending else {}
        result = []
        for row in pending:
            last = row.fetched_at if row.fetched_at.tzinfo else row.fetched_at.replace(tzinfo=UTC)
            count = int(tries.get(row.url, 1))
            result.append(PendingArticle(row.url, row.outcome, row.reason, count, last,
                                         last + pending_backoff(count)))
        return result

    def validators(self, url: str) -> tuple[str | None, str | None] | None:
        """ETag and Last-Modified of the last successful fetch of ``url`` (for a conditional GET)."""
        with self.db.session() as s:
            row = s.connection().execute(_VALIDATORS, {"url": url}).first()
        return (row.etag, row.last_modified) if row else None

    def of_run(self, run_id: str) -> list[Any]:
        """``(role, outcome, fields, reason)`` of every fetch of one crawl run (its health)."""
        with self.db.session() as s:
            return list(s.execute(select(Fetch.role, Fetch.outcome, Fetch.fields, Fetch.reason)
                                  .where(Fetch.run_id == run_id)).all())

    def where(self, **filters: Any) -> list[Fetch]:
        """The fetch log rows with these column values, in fetch order."""
        with self.db.session() as s:
            query = select(Fetch).filter_by(**filters).order_by(Fetch.id)
            return list(s.scalars(query))

    # --- raw snapshots ---------------------------------------------------------------

    def save_snapshot(self, url: str, body: bytes, content_type: str | None) -> str:
        """Keep a raw response body, zlib-compressed, under the SHA-256 of the raw bytes (stored once)."""
        sha = hashlib.sha256(body).hexdigest()
        with self.db.session() as s:
            # the key only: loading a stored snapshot would read its whole blob
            if s.connection().execute(_SNAPSHOT_KEY, {"sha": sha}).first() is None:
                insert_ignoring_duplicates(s, Snapshot, {
                    "sha256": sha, "url": url, "content_type": content_type, "size": len(body),
                    "data": zlib.compress(body, SNAPSHOT_ZLIB_LEVEL)})
        return sha

    def load_snapshot(self, sha: str) -> tuple[str, str | None, bytes]:
        """``(url, content_type, raw body)`` of a snapshot; KeyError when unknown."""
        with self.db.session() as s:
            snap = s.get(Snapshot, sha)
            if snap is None:
                raise KeyError(sha)
            return snap.url, snap.content_type, zlib.decompress(snap.data)

    def article_snapshots(self, outlet: str | None = None) -> Iterator[tuple[int, str, str | None]]:
        """``(fetch id, snapshot sha, article key)`` of every article page kept, in fetch order,
        each snapshot once (its first fetch)."""
        query = (select(Fetch.id, Fetch.snapshot_sha, Fetch.article_key)
                 .where(Fetch.snapshot_sha.is_not(None), Fetch.role == "article").order_by(Fetch.id))
        if outlet:
            query = query.where(Fetch.outlet == outlet)
        seen: set[str] = set()
        with self.db.session() as s:
            rows = s.execute(query).all()
        for fetch_id, sha, key in rows:
            if sha is not None and sha not in seen:
                seen.add(sha)
                yield fetch_id, sha, key


def set_outcome(s: Session, fetch_id: int, outcome: str, reason: str | None = None,
                article_key: str | None = None) -> None:
    """What came of a fetch; ``reason`` and ``article_key`` are kept when not given."""
    params: dict[str, Any] = {"fetch_id": fetch_id, "new_outcome": outcome}
    if reason is not None:
        params["new_reason"] = reason
    if article_key:
        params["new_key"] = article_key
    s.connection().execute(_SET_OUTCOME[(reason is not None, bool(article_key))], params)


# statements built once: building and caching a statement per call costs ten times its execution
_INSERT_FETCH = insert(Fetch)
# only a fetch whose page was used counts: an article page must have been stored (or found unchanged);
# a bot wall served as 200, a rejected page or one whose processing broke off is asked for in full again
STORED_OUTCOMES = ("new", "changed", "unchanged", "trivial")
# (= and != rather than IN: an IN list is re-rendered into the SQL at every execution, and every request
# asks this, 70 µs more each time)
_VALIDATORS = (select(Fetch.etag, Fetch.last_modified)
               .where(Fetch.url == bindparam("url"), Fetch.status == 200)
               .where((Fetch.etag.is_not(None)) | (Fetch.last_modified.is_not(None)))
               .where(and_(*(Fetch.outcome != outcome for outcome in ("blocked", "rejected", "error"))))
               .where(or_(Fetch.role != "article", *(Fetch.outcome == stored for stored in STORED_OUTCOMES)))
               .order_by(Fetch.id.desc()).limit(1))
_SNAPSHOT_KEY = select(Snapshot.sha256).where(Snapshot.sha256 == bindparam("sha"))
_SET_OUTCOME = {
    (with_reason, with_key): update(Fetch).where(Fetch.id == bindparam("fetch_id")).values(
        outcome=bindparam("new_outcome"),
        **({"reason": bindparam("new_reason")} if with_reason else {}),
        **({"article_key": bindparam("new_key")} if with_key else {}))
    for with_reason in (False, True) for with_key in (False, True)
}
