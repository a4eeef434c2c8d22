"""Topic decisions and event threads (part of :class:`storage.store.Store`): the topic threader's
ThreadBook protocol."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from storage.models import Article, Thread, ThreadMember, TopicMatch, Version


@dataclass(frozen=True)
class ThreadRow:
    """A thread as the topic threader sees it (``crawler.topics.threads.ThreadRef`` shape)."""

    id: int
    title: str
    signature: dict[str, Any]
    first_published: str
    last_published: str


# statements built once: building and caching a statement per call costs ten times its execution
_INSERT_MATCH = insert(TopicMatch)
_SET_LABEL = update(Article).where(Article.id == bindparam("article_id")).values(label=bindparam("new_label"))
_THREAD_OF = (select(Thread.id, Thread.title, Thread.signature, Thread.first_published, Thread.last_published)
              .join(ThreadMember, ThreadMember.thread_id == Thread.id)
              .where(ThreadMember.article_key == bindparam("key")))
_RECENT = (select(Thread.id, Thread.title, Thread.first_published, Thread.last_published)
           .where(Thread.last_published >= bindparam("since")).order_by(Thread.id))
_INSERT_THREAD = insert(Thread)
_INSERT_MEMBER = insert(ThreadMember)
_SPAN = select(Thread.first_published, Thread.last_published).where(Thread.id == bindparam("thread_id"))
_SET_SPAN = update(Thread).where(Thread.id == bindparam("thread_id")).values(
    first_published=bindparam("first"), last_published=bindparam("last"))


def utc_iso(value: str) -> str:
    """An ISO 8601 time with an offset, as UTC: outlets write ``Z`` or ``+09:00``, and a thread's span is
    compared as text (in SQL too), which is only right when every value has the same offset."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone(UTC).isoformat() if moment.tzinfo else value


@dataclass(frozen=True)
class UnflaggedVersion:
    """A stored version the topic flag has not decided on (its crawl stopped between the two steps)."""

    article_id: int
    version_id: int
    seq: int
    key: str
    outlet: str
    title: str
    lead: str | None
    body: str
    published: str | None
    lang: str


class Threads:
    """Mixin: needs ``self.session()``.

    Core statements rather than ORM objects: the flag step calls these for every new version, and
    :meth:`recent_threads` returns every thread of the last months each time."""

    session: Callable[[], AbstractContextManager[Session]]  # provided by Store

    def record_decision(self, article_id: int, version_id: int, label: str, score: float,
                        terms: list[Any], explanation: str) -> None:
        with self.session() as s:
            conn = s.connection()
            conn.execute(_INSERT_MATCH, {"version_id": version_id, "article_id": article_id, "label": label,
                                         "score": score, "terms": terms, "explanation": explanation})
            conn.execute(_SET_LABEL, {"article_id": article_id, "new_label": label})

    def unflagged_versions(self, outlet: str, limit: int = 500) -> list[UnflaggedVersion]:
        query = (select(Version.article_id, Version.id.label("version_id"), Version.seq, Article.key,
                        Article.outlet, Version.title, Version.lead, Version.body, Version.published,
                        Article.lang)
                 .join(Article, Article.id == Version.article_id)
                 .outerjoin(TopicMatch, TopicMatch.version_id == Version.id)
                 .where(Article.outlet == outlet, TopicMatch.id.is_(None))
                 .order_by(Version.id).limit(limit))
        with self.session() as s:
            return [UnflaggedVersion(**row._mapping) for row in s.execute(query)]

    def thread_of(self, article_key: str) -> ThreadRow | None:
        with self.session() as s:
            row = s.connection().execute(_THREAD_OF, {"key": article_key}).first()
            return ThreadRow(row.id, row.title, dict(row.signature), row.first_published,
                             row.last_published) if row else None

    def recent_threads(self, since: str) -> list[ThreadRow]:
        # called for every ministerial article over every thread of the last months: the rows are kept
        # per Store and rebuilt only when a thread is new or its span moved (title and signature never
        # change once a thread is opened); the signatures handed out are shared — read, never written
        cache: dict[tuple[int, str, str, str], ThreadRow] = self.__dict__.setdefault("_thread_rows", {})
        with self.session() as s:
            # (id, title, first_published, last_published), as plain tuples: the cheapest rows to key on
            keys = list(map(tuple, s.connection().execute(_RECENT, {"since": utc_iso(since)})))
            missing = [key[0] for key in keys if key not in cache]
            signatures: dict[int, dict[str, Any]] = {}
            for chunk in range(0, len(missing), 500):
                signatures.update(s.execute(select(Thread.id, Thread.signature)
                                            .where(Thread.id.in_(missing[chunk:chunk + 500]))).all())
        if len(cache) > 4 * len(keys) + 1000:
            cache.clear()  # spans that moved on leave stale entries behind
        for key in keys:
            if key not in cache:
                cache[key] = ThreadRow(key[0], key[1], signatures[key[0]], key[2], key[3])
        return [cache[key] for key in keys]

    def open_thread(self, title: str, signature: dict[str, Any], published: str) -> ThreadRow:
        published = utc_iso(published)
        with self.session() as s:
            thread_id = s.connection().execute(_INSERT_THREAD, {
                "title": title, "signature": signature, "first_published": published,
                "last_published": published}).inserted_primary_key[0]
            return ThreadRow(thread_id, title, dict(signature), published, published)

    def join_thread(self, thread_id: int, article_key: str, published: str, role: str) -> None:
        published = utc_iso(published)
        with self.session() as s:
            conn = s.connection()
            conn.execute(_INSERT_MEMBER, {"thread_id": thread_id, "article_key": article_key, "role": role,
                                          "published": published})
            span = conn.execute(_SPAN, {"thread_id": thread_id}).first()
            if span is not None:  # in Python (all UTC): a database collation may order text otherwise
                conn.execute(_SET_SPAN, {"thread_id": thread_id,
                                         "first": min(span.first_published, published),
                                         "last": max(span.last_published, published)})

    def leave_thread(self, article_key: str) -> None:
        with self.session() as s:
            member = s.scalar(select(ThreadMember).where(ThreadMember.article_key == article_key))
            if member is not None:
                s.delete(member)

    def thread_members(self, thread_id: int) -> list[ThreadMember]:
        with self.session() as s:
            return list(s.scalars(select(ThreadMember).where(ThreadMember.thread_id == thread_id)
                                  .order_by(ThreadMember.published, ThreadMember.id)))
