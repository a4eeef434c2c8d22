"""Topic decisions and event threads (part of :class:`storage.store.Store`): the topic threader's
ThreadBook protocol."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Article, Thread, ThreadMember, TopicMatch


@dataclass(frozen=True)
class ThreadRow:
    """A thread as the topic threader sees it (``crawler.topics.threads.ThreadRef`` shape)."""

    id: int
    title: str
    signature: dict[str, Any]
    first_published: str
    last_published: str


class Threads:
    """Mixin: needs ``self.session()``."""

    def session(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def record_decision(self, article_id: int, version_id: int, label: str, score: float,
                        terms: list[Any], explanation: str) -> None:
        with self.session() as s:
            s.add(TopicMatch(version_id=version_id, article_id=article_id, label=label, score=score,
                             terms=terms, explanation=explanation))
            article = s.get(Article, article_id)
            if article is not None:
                article.label = label

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
