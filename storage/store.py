"""The one small storage API the crawler, the scheduler and the reports use."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import database_url, make_engine
from storage.diff import version_diff
from storage.models import (
    Alert,
    Article,
    Base,
    Delivery,
    Fetch,
    Snapshot,
    Thread,
    ThreadMember,
    TopicMatch,
    Version,
    utcnow,
)
from storage.normalize import fingerprint


@dataclass(frozen=True)
class ArticleText:
    """What storage needs of a parsed article (``ParsedArticle`` fits)."""

    outlet: str
    stable_key: str
    canonical_url: str
    url: str
    title: str
    published: str | None
    modified: str | None
    description: str | None
    paragraphs: list[str]
    lang: str
    body_complete: bool
    sources: dict[str, str]

    @property
    def key(self) -> str:
        return f"{self.outlet}:{self.stable_key}"

    @classmethod
    def of(cls, parsed: Any) -> ArticleText:
        return cls(**{name: getattr(parsed, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class SaveResult:
    status: str  # "new" (first version), "changed" (a new version), "unchanged"
    article_id: int
    version_id: int | None
    change_kind: str | None = None


@dataclass(frozen=True)
class ThreadRow:
    """A thread as the topic threader sees it (``crawler.topics.threads.ThreadRef`` shape)."""

    id: int
    title: str
    signature: dict[str, Any]
    first_published: str
    last_published: str


@dataclass(frozen=True)
class AlertView:
    """One alert with everything a report prints about it."""

    alert_id: int
    kind: str  # new, follow-up, changed
    created_at: datetime
    article_key: str
    outlet: str
    url: str
    title: str
    published: str | None
    version_seq: int
    change_kind: str
    chars_added: int
    chars_removed: int
    diff: dict[str, Any]
    body_complete: bool
    label: str | None
    explanation: str
    thread_id: int | None
    thread_title: str | None
    role: str | None  # thread role: opener, follow-up, official
    copy_of: str | None  # key of the original when this is a syndicated copy


class Store:
    def __init__(self, url: str | None = None, engine: Engine | None = None) -> None:
        self.url = database_url(url)
        self.engine = engine or make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One short transaction (long ones hold SQLite's write lock)."""
        with self._sessions.begin() as session:
            yield session

    # --- fetch log -----------------------------------------------------------------

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
        sha = hashlib.sha256(body).hexdigest()
        with self.session() as s:
            if s.get(Snapshot, sha) is None:
                s.add(Snapshot(sha256=sha, url=url, content_type=content_type, size=len(body),
                               data=zlib.compress(body, 6)))
        return sha

    def load_snapshot(self, sha: str) -> tuple[str, str | None, bytes]:
        with self.session() as s:
            snap = s.get(Snapshot, sha)
            if snap is None:
                raise KeyError(sha)
            return snap.url, snap.content_type, zlib.decompress(snap.data)

    # --- articles and versions -----------------------------------------------------------

    def latest_fingerprint(self, key: str) -> str | None:
        with self.session() as s:
            return s.scalar(
                select(Version.fingerprint).join(Article).where(Article.key == key)
                .order_by(Version.seq.desc()).limit(1)
            )

    def save_version(self, text: ArticleText, snapshot_sha: str | None = None) -> SaveResult:
        """Store a version if the normalized text changed; safe against two crawls at once."""
        fp = fingerprint(text.title, text.description, text.paragraphs)
        for _attempt in range(3):
            try:
                return self._save_version(text, fp, snapshot_sha)
            except IntegrityError:
                continue  # another writer stored the article or this version first: look again
        raise RuntimeError(f"could not store a version of {text.key} after 3 attempts")

    def _save_version(self, text: ArticleText, fp: str, snapshot_sha: str | None) -> SaveResult:
        with self.session() as s:
            article = s.scalar(select(Article).where(Article.key == text.key))
            if article is None:
                article = Article(key=text.key, outlet=text.outlet, stable_key=text.stable_key,
                                  canonical_url=text.canonical_url, lang=text.lang, published=text.published)
                s.add(article)
                s.flush()
            article.last_seen = utcnow()
            previous = s.scalar(
                select(Version).where(Version.article_id == article.id).order_by(Version.seq.desc()).limit(1)
            )
            if previous is not None and (previous.fingerprint == fp or s.scalar(
                select(Version.id).where(Version.article_id == article.id, Version.fingerprint == fp)
            )):
                # the same text again (or a revert to an older state we already hold)
                return SaveResult("unchanged", article.id, None)
            body = "\n".join(text.paragraphs)
            if previous is None:
                diff, kind, added, removed = {}, "first", len(body), 0
            else:
                diff, kind, added, removed = version_diff(
                    {"title": previous.title, "lead": previous.lead or "", "body": previous.body},
                    {"title": text.title, "lead": text.description or "", "body": body},
                )
            version = Version(
                article_id=article.id, seq=(previous.seq + 1) if previous else 1, fingerprint=fp,
                title=text.title, lead=text.description, body=body, published=text.published,
                modified=text.modified, body_complete=text.body_complete, change_kind=kind,
                chars_added=added, chars_removed=removed, diff=diff, url=text.url,
                snapshot_sha=snapshot_sha, sources=dict(text.sources),
            )
            s.add(version)
            s.flush()
            return SaveResult("new" if previous is None else "changed", article.id, version.id, kind)

    def article(self, key: str) -> Article | None:
        with self.session() as s:
            return s.scalar(select(Article).where(Article.key == key))

    def versions(self, key: str) -> list[Version]:
        with self.session() as s:
            return list(s.scalars(
                select(Version).join(Article).where(Article.key == key).order_by(Version.seq)
            ))

    def counts(self) -> dict[str, int]:
        with self.session() as s:
            return {
                "articles": s.scalar(select(func.count(Article.id))) or 0,
                "versions": s.scalar(select(func.count(Version.id))) or 0,
                "fetches": s.scalar(select(func.count(Fetch.id))) or 0,
                "threads": s.scalar(select(func.count(Thread.id))) or 0,
                "alerts": s.scalar(select(func.count(Alert.id))) or 0,
            }

    # --- topic decisions ----------------------------------------------------------------

    def record_decision(self, article_id: int, version_id: int, label: str, score: float,
                        terms: list[Any], explanation: str) -> None:
        with self.session() as s:
            s.add(TopicMatch(version_id=version_id, article_id=article_id, label=label, score=score,
                             terms=terms, explanation=explanation))
            article = s.get(Article, article_id)
            if article is not None:
                article.label = label

    # --- event threads (the topic threader's ThreadBook protocol) ---------------------------

    @staticmethod
    def _row(thread: Thread) -> ThreadRow:
        return ThreadRow(thread.id, thread.title, dict(thread.signature), thread.first_published,
                         thread.last_published)

    def thread_of(self, article_key: str) -> ThreadRow | None:
        with self.session() as s:
            thread = s.scalar(select(Thread).join(ThreadMember, ThreadMember.thread_id == Thread.id)
                              .where(ThreadMember.article_key == article_key))
            return self._row(thread) if thread else None

    def recent_threads(self, since: str) -> list[ThreadRow]:
        with self.session() as s:
            rows = s.scalars(select(Thread).where(Thread.last_published >= since).order_by(Thread.id))
            return [self._row(t) for t in rows]

    def open_thread(self, title: str, signature: dict[str, Any], published: str) -> ThreadRow:
        with self.session() as s:
            thread = Thread(title=title, signature=signature, first_published=published,
                            last_published=published)
            s.add(thread)
            s.flush()
            return self._row(thread)

    def join_thread(self, thread_id: int, article_key: str, published: str, role: str) -> None:
        with self.session() as s:
            s.add(ThreadMember(thread_id=thread_id, article_key=article_key, role=role, published=published))
            thread = s.get(Thread, thread_id)
            if thread is not None:
                thread.last_published = max(thread.last_published, published)
                thread.first_published = min(thread.first_published, published)

    def leave_thread(self, article_key: str) -> None:
        with self.session() as s:
            member = s.scalar(select(ThreadMember).where(ThreadMember.article_key == article_key))
            if member is not None:
                s.delete(member)

    def thread_members(self, thread_id: int) -> list[ThreadMember]:
        with self.session() as s:
            return list(s.scalars(select(ThreadMember).where(ThreadMember.thread_id == thread_id)
                                  .order_by(ThreadMember.published, ThreadMember.id)))

    # --- alerts and deliveries --------------------------------------------------------------

    def add_alert(self, kind: str, article_id: int, version_id: int, thread_id: int | None = None) -> None:
        try:
            with self.session() as s:
                s.add(Alert(kind=kind, article_id=article_id, version_id=version_id, thread_id=thread_id))
        except IntegrityError:
            pass  # this alert exists already

    def undelivered_alerts(self, channel: str, since: datetime | None = None) -> list[Alert]:
        with self.session() as s:
            delivered = select(Delivery.alert_id).where(Delivery.channel == channel)
            query = select(Alert).where(Alert.id.not_in(delivered)).order_by(Alert.id)
            if since is not None:
                query = query.where(Alert.created_at >= since)
            return list(s.scalars(query))

    def alert_views(self, channel: str, since: datetime | None = None) -> list[AlertView]:
        """Undelivered alerts for ``channel`` with what a report shows of each."""
        alerts = self.undelivered_alerts(channel, since)
        views: list[AlertView] = []
        with self.session() as s:
            for alert in alerts:
                version = s.get(Version, alert.version_id)
                article = s.get(Article, alert.article_id)
                if version is None or article is None:
                    continue
                match = s.scalar(select(TopicMatch).where(TopicMatch.version_id == version.id))
                thread = s.get(Thread, alert.thread_id) if alert.thread_id else None
                member = s.scalar(select(ThreadMember).where(ThreadMember.article_key == article.key))
                views.append(AlertView(
                    alert_id=alert.id, kind=alert.kind, created_at=alert.created_at, article_key=article.key,
                    outlet=article.outlet, url=article.canonical_url, title=version.title,
                    published=version.published, version_seq=version.seq, change_kind=version.change_kind,
                    chars_added=version.chars_added, chars_removed=version.chars_removed,
                    diff=dict(version.diff or {}), body_complete=version.body_complete,
                    label=match.label if match else None, explanation=match.explanation if match else "",
                    thread_id=thread.id if thread else None, thread_title=thread.title if thread else None,
                    role=member.role if member else None, copy_of=None,
                ))
        return views

    def mark_delivered(self, alert_ids: list[int], channel: str) -> None:
        for alert_id in alert_ids:
            try:
                with self.session() as s:
                    s.add(Delivery(alert_id=alert_id, channel=channel))
            except IntegrityError:
                continue
