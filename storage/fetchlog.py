"""The fetch log and raw snapshots (part of :class:`storage.store.Store`)."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Fetch, Snapshot


class FetchLog:
    """Mixin: needs ``self.session()``."""

    def session(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def record_fetch(self, **fields: Any) -> int:
        with self.session() as s:
            fetch = Fetch(**fields)
            s.add(fetch)
            s.flush()
            return fetch.id

    def update_fetch(self, fetch_id: int, outcome: str, reason: str | None = None,
                     article_key: str | None = None) -> None:
        with self.session() as s:
            fetch = s.get(Fetch, fetch_id)
            if fetch is None:
                return
            fetch.outcome = outcome
            fetch.reason = reason if reason is not None else fetch.reason
            fetch.article_key = article_key or fetch.article_key

    def validators(self, url: str) -> tuple[str | None, str | None] | None:
        """ETag and Last-Modified of the last successful fetch of ``url`` (for a conditional GET)."""
        with self.session() as s:
            row = s.execute(
                select(Fetch.etag, Fetch.last_modified)
                .where(Fetch.url == url, Fetch.status == 200)
                .where((Fetch.etag.is_not(None)) | (Fetch.last_modified.is_not(None)))
                .order_by(Fetch.id.desc())
                .limit(1)
            ).first()
        return (row.etag, row.last_modified) if row else None

    def fetches(self, **filters: Any) -> list[Fetch]:
        with self.session() as s:
            query = select(Fetch).filter_by(**filters).order_by(Fetch.id)
            return list(s.scalars(query))

    # --- raw snapshots ---------------------------------------------------------------

    def save_snapshot(self, url: str, body: bytes, content_type: str | None) -> str:
        """Keep a raw response body, zlib-compressed, under the SHA-256 of the raw bytes (stored once)."""
        sha = hashlib.sha256(body).hexdigest()
        with self.session() as s:
            if s.get(Snapshot, sha) is None:
                s.add(Snapshot(sha256=sha, url=url, content_type=content_type, size=len(body),
                               data=zlib.compress(body, 6)))
        return sha

    def load_snapshot(self, sha: str) -> tuple[str, str | None, bytes]:
        """``(url, content_type, raw body)`` of a snapshot; KeyError when unknown."""
        with self.session() as s:
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
        with self.session() as s:
            rows = s.execute(query).all()
        for fetch_id, sha, key in rows:
            if sha not in seen:
                seen.add(sha)
                yield fetch_id, sha, key
