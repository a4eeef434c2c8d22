"""Topic decisions and event threads: :class:`Threads` is the topic threader's ThreadBook
(``crawler.topics.threads``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, null, select, union_all, update
from sqlalchemy.sql.selectable import CompoundSelect

from storage.database import Database, inserted_id
from storage.models import Article, Thread, ThreadMember, TopicMatch, Version


@dataclass(frozen=True)
class ThreadRow:
    """A thread as the topic threader sees it (``crawler.topics.threads.ThreadRef`` shape)."""

    id: int
    title: str
    signature: dict[str, Any]
    first_published: str
    last_published: str


_THREAD_COLUMNS = (Thread.id, Thread.title, Thread.signature, Thread.first_published, Thread.last_published)
# ids re-read on every call below the last ones seen: PostgreSQL may commit sequence ids out of order
# (a concurrent crawl's member 100 after our read of 101), never by more than the writers at once
ID_WINDOW = 16


def _changed_since(thread_mark: int, member_mark: int) -> CompoundSelect[Any]:
    """The threads members joined after a mark (their spans may have moved) and the threads opened after
    a mark, each row with the member's id (NULL for the second kind)."""
    return union_all(
        select(ThreadMember.id.label("member_id"), Thread.id, Thread.title, Thread.first_published,
               Thread.last_published)
        .join(Thread, Thread.id == ThreadMember.thread_id).where(ThreadMember.id > member_mark),
        select(null().label("member_id"), Thread.id, Thread.title, Thread.first_published,
               Thread.last_published)
        .where(Thread.id > thread_mark),
    )


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
    """A stored version the topic flag has not decided on yet."""

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
    article_published: str | None = None  # the article's (a copy's original is the earliest published)
    kind: str = "article"  # or "flash"


class _ThreadCache:
    """A copy of the thread rows, in id order, and the last thread and member ids it has seen."""

    def __init__(self) -> None:
        self.rows: dict[int, ThreadRow] | None = None  # None: not loaded yet
        self.marks = (0, 0)  # the last thread and member ids seen

    def load(self, rows: Any) -> None:
        self.rows = {row.id: ThreadRow(row.id, row.title, row.signature, row.first_published,
                                       row.last_published) for row in rows}

    def update(self, changed: list[tuple[Any, ...]], signatures: dict[int, dict[str, Any]]) -> None:
        """``changed``: (member id, thread id, title, first published, last published) rows."""
        assert self.rows is not None
        added = False
        for _member_id, thread_id, title, first, last in changed:
            known = self.rows.get(thread_id)
            if known is None:
                added = True
                self.rows[thread_id] = ThreadRow(thread_id, title, signatures[thread_id], first, last)
            elif known.first_published != first or known.last_published != last or known.title != title:
                # a join may have filled a preview's thread with the talks' date and people
                self.rows[thread_id] = replace(known, title=title, first_published=first, last_published=last,
                                               signature=signatures.get(thread_id, known.signature))
        if added:  # a concurrent crawl's thread may have a lower id than ours
            self.rows = dict(sorted(self.rows.items()))


class Threads:
    """Rows rather than ORM objects: :meth:`recent_threads` hands out every thread of the last months for
    every ministerial article, kept and brought up to date rather than loaded again."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache = _ThreadCache()

    def record_decision(self, article_id: int, version_id: int, label: str, score: float,
                        terms: list[Any], explanation: str) -> None:
        with self.db.session() as s:
            conn = s.connection()
            conn.execute(insert(TopicMatch).values(version_id=version_id, article_id=article_id, label=label,
                                                   score=score, terms=terms, explanation=explanation))
            conn.execute(update(Article).where(Article.id == article_id).values(label=label))

    def unflagged_versions(self, outlet: str, limit: int = 500, after_id: int = 0) -> list[UnflaggedVersion]:
        """The outlet's versions without a topic decision, in the order they were stored (ids above
        ``after_id``)."""
        query = (select(Version.article_id, Version.id.label("version_id"), Version.seq, Article.key,
                        Article.outlet, Version.title, Version.lead, Version.body, Version.published,
                        Article.lang, Article.published.label("article_published"), Article.kind)
                 .join(Article, Article.id == Version.article_id)
                 .outerjoin(TopicMatch, TopicMatch.version_id == Version.id)
                 .where(Article.outlet == outlet, TopicMatch.id.is_(None), Version.id > after_id)
                 .order_by(Version.id).limit(limit))
        with self.db.session() as s:
            return [UnflaggedVersion(**row._mapping) for row in s.execute(query)]

    def thread_of(self, article_key: str) -> ThreadRow | None:
        with self.db.session() as s:
            row = s.connection().execute(
                select(*_THREAD_COLUMNS).join(ThreadMember, ThreadMember.thread_id == Thread.id)
                .where(ThreadMember.article_key == article_key)).first()
            return ThreadRow(row.id, row.title, dict(row.signature), row.first_published,
                             row.last_published) if row else None

    def recent_threads(self, since: str) -> list[ThreadRow]:
        """Threads with ``last_published >= since``, oldest first.

        Called for every ministerial article, over every thread of the last months: the rows are kept
        per repository, loaded once, then brought up to date with the threads opened and joined since the last
        call (a thread's span only moves when a member joins, and its title and signature change only
        with a join: the report that fills a preview's thread, see :meth:`update_thread`).
        The signatures handed out are shared — read, never written."""
        cache = self._cache
        with self.db.session() as s:
            conn = s.connection()
            if cache.rows is None:  # the first call: every thread, and the last ids so far
                last_thread, last_member = conn.execute(select(
                    select(func.max(Thread.id)).scalar_subquery(),
                    select(func.max(ThreadMember.id)).scalar_subquery())).one()
                cache.load(conn.execute(select(*_THREAD_COLUMNS).order_by(Thread.id)))
                cache.marks = (last_thread or 0, last_member or 0)
                changed = []
            else:
                thread_mark, member_mark = cache.marks
                changed = list(map(tuple, conn.execute(
                    _changed_since(thread_mark - ID_WINDOW, member_mark - ID_WINDOW))))
                new = sorted({row[1] for row in changed
                              if row[1] not in cache.rows or row[2] != cache.rows[row[1]].title})
                signatures: dict[int, dict[str, Any]] = dict(conn.execute(
                    select(Thread.id, Thread.signature).where(Thread.id.in_(new))).all()) if new else {}
                cache.update(changed, signatures)
        if changed:
            member_ids, thread_ids = zip(*((row[0] or 0, row[1]) for row in changed), strict=True)
            cache.marks = (max(thread_mark, *thread_ids), max(member_mark, *member_ids))
        cutoff = utc_iso(since)
        return [row for row in (cache.rows or {}).values() if row.last_published >= cutoff]

    def open_thread(self, title: str, signature: dict[str, Any], published: str) -> ThreadRow:
        published = utc_iso(published)
        with self.db.session() as s:
            thread_id = inserted_id(s.connection().execute(insert(Thread).values(
                title=title, signature=signature, first_published=published, last_published=published)))
            return ThreadRow(thread_id, title, dict(signature), published, published)

    def join_thread(self, thread_id: int, article_key: str, published: str, role: str) -> None:
        published = utc_iso(published)
        with self.db.session() as s:
            conn = s.connection()
            conn.execute(insert(ThreadMember).values(thread_id=thread_id, article_key=article_key, role=role,
                                                     published=published))
            span = conn.execute(select(Thread.first_published, Thread.last_published)
                                .where(Thread.id == thread_id)).first()
            if span is not None:  # in Python (all UTC): a database collation may order text otherwise
                conn.execute(update(Thread).where(Thread.id == thread_id).values(
                    first_published=min(span.first_published, published),
                    last_published=max(span.last_published, published)))

    def opener(self, thread_id: int) -> tuple[str, str] | None:
        """The member that opened the thread: the earliest with the role opener or official."""
        with self.db.session() as s:
            row = s.execute(select(ThreadMember.article_key, ThreadMember.role)
                            .where(ThreadMember.thread_id == thread_id,
                                   ThreadMember.role.in_(("opener", "official")))
                            .order_by(ThreadMember.published, ThreadMember.id).limit(1)).first()
            return (row.article_key, row.role) if row else None

    def set_role(self, thread_id: int, article_key: str, role: str) -> None:
        with self.db.session() as s:
            s.execute(update(ThreadMember).where(ThreadMember.thread_id == thread_id,
                                                 ThreadMember.article_key == article_key).values(role=role))

    def flash_threads(self, article_id: int, flashes: list[int] | None = None) -> set[int]:
        """The threads of the flashes merged into a full story (``flashes``: merges not written yet)."""
        merged = select(Article.key).where(Article.merged_into_id == article_id)
        if flashes:
            merged = select(Article.key).where(
                (Article.merged_into_id == article_id) | Article.id.in_(flashes))
        with self.db.session() as s:
            return set(s.scalars(select(ThreadMember.thread_id).where(ThreadMember.article_key.in_(merged))))

    def update_thread(self, thread_id: int, title: str, signature: dict[str, Any]) -> None:
        """A preview's (or flash's) thread takes the talks' title and signature from their first report."""
        with self.db.session() as s:
            s.connection().execute(update(Thread).where(Thread.id == thread_id)
                                   .values(title=title, signature=signature))
        cache = self._cache
        if cache.rows is not None and thread_id in cache.rows:
            cache.rows[thread_id] = replace(cache.rows[thread_id], title=title, signature=dict(signature))

    def leave_thread(self, article_key: str) -> None:
        with self.db.session() as s:
            member = s.scalar(select(ThreadMember).where(ThreadMember.article_key == article_key))
            if member is not None:
                s.delete(member)

    def thread_members(self, thread_id: int) -> list[ThreadMember]:
        with self.db.session() as s:
            return list(s.scalars(select(ThreadMember).where(ThreadMember.thread_id == thread_id)
                                  .order_by(ThreadMember.published, ThreadMember.id)))
