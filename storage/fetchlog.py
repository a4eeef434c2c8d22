"""The fetch log and raw snapshots: one row per response, and each raw body kept once, compressed.
Plain Core on :mod:`storage.tables` (rows, not objects): the crawl writes a row per response, and
``talkwatch status`` reads the pending articles without the ORM."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, insert, or_, select, update

from storage.database import Database, inserted_id
from storage.db import insert_ignoring_duplicates
from storage.tables import fetches, snapshots

# zlib level for snapshots: on news HTML level 3 is ~2x faster than 6 for a few % more bytes, and every
# fetched article page is compressed on the crawl's thread
SNAPSHOT_ZLIB_LEVEL = 3


# an article page whose last answer may still turn into a stored version: asked for again by the next
# crawl of its outlet, whatever its listing says, after a backoff that doubles per try up to a cap
PENDING_OUTCOMES = ("fetched", "retried", "error", "blocked")
# the outcomes of an article page that was used (stored, or found unchanged)
STORED_OUTCOMES = ("new", "changed", "unchanged", "trivial")
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
        with self.db.connection() as conn:
            return inserted_id(conn.execute(insert(fetches).values(**fields)))

    def update_fetch(self, fetch_id: int, outcome: str, reason: str | None = None,
                     article_key: str | None = None) -> None:
        with self.db.connection() as conn:
            set_outcome(conn, fetch_id, outcome, reason, article_key)

    def record_fields(self, fetch_id: int, fields: dict[str, str]) -> None:
        """How an article page's title, date and body were found (crawl health's coverage)."""
        with self.db.connection() as conn:
            conn.execute(update(fetches).where(fetches.c.id == fetch_id).values(fields=fields))

    def keep_validators(self, validators: dict[int, tuple[str | None, str | None]]) -> None:
        """Give listing fetches their ETag and Last-Modified (``{fetch id: (etag, last_modified)}``), kept
        only once a crawl has read everything those listings named."""
        with self.db.connection() as conn:
            for fetch_id, (etag, last_modified) in validators.items():
                conn.execute(update(fetches).where(fetches.c.id == fetch_id)
                             .values(etag=etag, last_modified=last_modified))

    def pending_articles(self, outlet: str | None = None) -> list[PendingArticle]:
        """Article pages whose last fetch did not end stored, refused or rejected (oldest first)."""
        latest = select(func.max(fetches.c.id)).where(fetches.c.role == "article").group_by(fetches.c.url)
        if outlet:
            latest = latest.where(fetches.c.outlet == outlet)
        with self.db.connection() as conn:
            rows = conn.execute(select(fetches.c.url, fetches.c.outcome, fetches.c.reason, fetches.c.status,
                                       fetches.c.fetched_at)
                                .where(fetches.c.id.in_(latest), fetches.c.outcome.in_(PENDING_OUTCOMES))
                                .order_by(fetches.c.id)).all()
            pending = [r for r in rows if _is_pending(r.outcome, r.status)]
            tries: dict[str, int] = dict(conn.execute(
                select(fetches.c.url, func.count()).where(fetches.c.url.in_([r.url for r in pending]),
                                                          fetches.c.role == "article",
                                                          fetches.c.outcome.in_(PENDING_OUTCOMES))
                .group_by(fetches.c.url)).all()) if pending else {}
        result = []
        for row in pending:
            last = row.fetched_at if row.fetched_at.tzinfo else row.fetched_at.replace(tzinfo=UTC)
            count = int(tries.get(row.url, 1))
            result.append(PendingArticle(row.url, row.outcome, row.reason, count, last,
                                         last + pending_backoff(count)))
        return result

    def validators(self, url: str) -> tuple[str | None, str | None] | None:
        """ETag and Last-Modified of the last successful fetch of ``url`` (for a conditional GET)."""
        # only a fetch whose page was used counts: an article page must have been stored (or found
        # unchanged); a bot wall served as 200, a rejected page or one whose processing broke off is asked
        # for in full again
        query = (select(fetches.c.etag, fetches.c.last_modified)
                 .where(fetches.c.url == url, fetches.c.status == 200,
                        or_(fetches.c.etag.is_not(None), fetches.c.last_modified.is_not(None)),
                        fetches.c.outcome.not_in(("blocked", "rejected", "error")),
                        or_(fetches.c.role != "article", fetches.c.outcome.in_(STORED_OUTCOMES)))
                 .order_by(fetches.c.id.desc()).limit(1))
        with self.db.connection() as conn:
            row = conn.execute(query).first()
        return (row.etag, row.last_modified) if row else None

    def of_run(self, run_id: str) -> list[Any]:
        """``(role, outcome, fields, reason)`` of every fetch of one crawl run (its health)."""
        with self.db.connection() as conn:
            query = select(fetches.c.role, fetches.c.outcome, fetches.c.fields, fetches.c.reason)
            return list(conn.execute(query.where(fetches.c.run_id == run_id)).all())

    def where(self, **filters: Any) -> list[Row[Any]]:
        """The fetch log rows with these column values, in fetch order."""
        with self.db.connection() as conn:
            query = select(fetches).filter_by(**filters).order_by(fetches.c.id)
            return list(conn.execute(query))

    # --- raw snapshots ---------------------------------------------------------------

    def save_snapshot(self, url: str, body: bytes, content_type: str | None) -> str:
        """Keep a raw response body, zlib-compressed, under the SHA-256 of the raw bytes (stored once)."""
        sha = hashlib.sha256(body).hexdigest()
        with self.db.connection() as conn:
            # the key only: loading a stored snapshot would read its whole blob
            stored = conn.execute(select(snapshots.c.sha256).where(snapshots.c.sha256 == sha)).first()
            if stored is None:
                insert_ignoring_duplicates(conn, snapshots, {
                    "sha256": sha, "url": url, "content_type": content_type, "size": len(body),
                    "data": zlib.compress(body, SNAPSHOT_ZLIB_LEVEL)})
        return sha

    def load_snapshot(self, sha: str) -> tuple[str, str | None, bytes]:
        """``(url, content_type, raw body)`` of a snapshot; KeyError when unknown."""
        with self.db.connection() as conn:
            snap = conn.execute(select(snapshots.c.url, snapshots.c.content_type, snapshots.c.data)
                                .where(snapshots.c.sha256 == sha)).first()
        if snap is None:
            raise KeyError(sha)
        return snap.url, snap.content_type, zlib.decompress(snap.data)

    def article_snapshots(self, outlet: str | None = None) -> Iterator[tuple[int, str, str | None]]:
        """``(fetch id, snapshot sha, article key)`` of every article page kept, in fetch order,
        each snapshot once (its first fetch)."""
        query = (select(fetches.c.id, fetches.c.snapshot_sha, fetches.c.article_key)
                 .where(fetches.c.snapshot_sha.is_not(None), fetches.c.role == "article")
                 .order_by(fetches.c.id))
        if outlet:
            query = query.where(fetches.c.outlet == outlet)
        seen: set[str] = set()
        with self.db.connection() as conn:
            rows = conn.execute(query).all()
        for fetch_id, sha, key in rows:
            if sha is not None and sha not in seen:
                seen.add(sha)
                yield fetch_id, sha, key


def set_outcome(connection: Connection, fetch_id: int, outcome: str, reason: str | None = None,
                article_key: str | None = None) -> None:
    """What came of a fetch; ``reason`` and ``article_key`` are kept when not given."""
    values: dict[str, Any] = {"outcome": outcome}
    if reason is not None:
        values["reason"] = reason
    if article_key:
        values["article_key"] = article_key
    connection.execute(update(fetches).where(fetches.c.id == fetch_id).values(**values))
