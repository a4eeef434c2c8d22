"""The one small storage API the crawler, the scheduler and the reports use.

``Store`` is the single entry point; its parts live beside it by concern: the fetch log and snapshots
(:mod:`storage.fetchlog`), topic decisions and threads (:mod:`storage.threads`), alerts
(:mod:`storage.alerts`), copies and flashes (:mod:`storage.syndication`), re-extraction
(:mod:`storage.rebuild`). Versions and the revisit schedule are here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.alerts import Alerts, AlertView
from storage.db import database_url, make_engine
from storage.diff import version_diff
from storage.fetchlog import FetchLog, set_outcome
from storage.models import Alert, Article, Fetch, Thread, Version, utcnow
from storage.normalize import fingerprint, normalized_parts
from storage.rebuild import Rebuild
from storage.schedule import RevisitSchedule, as_utc, parse_published
from storage.syndication import IndexPlan, StoredArticle, Syndication
from storage.threads import ThreadRow, Threads, UnflaggedVersion

__all__ = ["AlertView", "ArticleText", "DueVisit", "SaveResult", "Store", "ThreadRow"]


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
    kind: str = "article"  # or "flash" (jiji 速報)

    @property
    def key(self) -> str:
        return f"{self.outlet}:{self.stable_key}"

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)

    @classmethod
    def of(cls, parsed: Any) -> ArticleText:
        fields = cls.__dataclass_fields__
        return cls(**{name: getattr(parsed, name) for name in fields if hasattr(parsed, name)})


@dataclass(frozen=True)
class SaveResult:
    # "new" (first version), "changed" (a new version), "unchanged" (the same text, or a revert to a
    # text already held), "trivial" (differs only in width, spacing or punctuation: no version)
    status: str
    article_id: int
    version_id: int | None
    change_kind: str | None = None


@dataclass(frozen=True)
class DueVisit:
    """An article the revisit schedule says to fetch again."""

    key: str
    url: str
    next_visit_at: datetime


class Store(FetchLog, Threads, Alerts, Syndication, Rebuild):
    def __init__(self, url: str | None = None, engine: Engine | None = None,
                 schedule: RevisitSchedule | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.url = database_url(url)
        self.engine = engine or make_engine(self.url)
        self.schedule = schedule or RevisitSchedule.from_env()
        self.clock = clock  # the revisit schedule's "now" (tests pass a fake clock)
        self._local = threading.local()  # this thread's Session, and whether a transaction is open in it
        self._held: list[Connection] = []  # the connections held for threads (SQLite), closed by dispose()
        self._held_lock = threading.Lock()

    def create_schema(self) -> None:
        """The database at the head revision, through the Alembic migrations."""
        from storage.migrate import ensure_schema  # migrate imports alembic: only when asked

        ensure_schema(self.engine)

    def dispose(self) -> None:
        with self._held_lock:
            held, self._held = self._held, []
        for connection in held:
            connection.close()
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One short transaction (long ones hold SQLite's write lock). Called inside another (or inside
        :meth:`unit`), it joins that one."""
        local = self._local
        if getattr(local, "active", False):
            yield local.session
            return
        session = self._thread_session()
        try:
            with session.begin():
                local.active = True
                try:
                    yield session
                finally:
                    local.active = False
        finally:
            # as a new Session would be: no object of an earlier transaction answers s.get() stale
            session.expunge_all()

    def unit(self) -> AbstractContextManager[Session]:
        """Run several Store calls as one transaction: what one pipeline step writes for one page.

        Each BEGIN/COMMIT costs more than the statements a page needs, so the crawl groups a step's
        calls. All of them commit together or not at all; keep a unit short (no network, no parsing
        inside) since it may hold SQLite's write lock. Units nest (the inner one joins the outer)."""
        return self.session()

    def _thread_session(self) -> Session:
        """This thread's Session, made once: making a Session and checking a connection out of the pool
        for every transaction cost more than the statements of most of them (~100 µs a time). On SQLite
        the thread keeps its connection (a file needs no reconnecting); other databases check one out
        of the pool for each transaction, pinged first, so a server restart costs no failed call."""
        session = getattr(self._local, "session", None)
        if session is None:
            bind: Engine | Connection = self.engine
            if self.engine.dialect.name == "sqlite":
                bind = self.engine.connect()
                with self._held_lock:
                    self._held.append(bind)
            session = self._local.session = Session(bind, expire_on_commit=False)
        return session

    # --- articles and versions -----------------------------------------------------------

    def save_version(self, text: ArticleText, snapshot_sha: str | None = None,
                     fetch_id: int | None = None, text_fingerprint: str | None = None,
                     index: bool = True) -> SaveResult:
        """Store a version if the normalized text changed; safe against two crawls at once. With
        ``fetch_id``, the fetch log row of the page gets the outcome in the same transaction;
        ``text_fingerprint`` is the text's :func:`~storage.normalize.fingerprint` when the caller has it.
        ``index=False`` leaves the near-duplicate index, copies and flashes to :meth:`plan_version_index`
        (the flag worker calls it with the version's topic decision)."""
        fp = text_fingerprint or fingerprint(text.title, text.description, text.paragraphs)
        for _attempt in range(3):
            try:
                return self._save_version(text, fp, snapshot_sha, fetch_id, index)
            except IntegrityError:
                continue  # another writer stored the article or this version first: look again
        raise RuntimeError(f"could not store a version of {text.key} after 3 attempts")

    def _save_version(self, text: ArticleText, fp: str, snapshot_sha: str | None,
                      fetch_id: int | None, index: bool) -> SaveResult:
        with self.session() as s:
            result = self._save_in(s, text, fp, snapshot_sha, index)
            if fetch_id is not None:
                reason = result.change_kind or _NO_VERSION_REASONS.get(result.status)
                set_outcome(s, fetch_id, result.status, reason, article_key=text.key)
            return result

    def _save_in(self, s: Session, text: ArticleText, fp: str, snapshot_sha: str | None,
                 index: bool) -> SaveResult:
        # prepared Core statements and rows: this runs for every article page that is new or changed
        conn = s.connection()
        row = conn.execute(_ARTICLE_ROW, {"key": text.key}).first()
        if row is None:
            now = self.clock()
            article_id = conn.execute(_INSERT_ARTICLE, {
                "key": text.key, "outlet": text.outlet, "stable_key": text.stable_key,
                "canonical_url": text.canonical_url, "lang": text.lang, "published": text.published,
                "kind": text.kind, "first_seen": now, **self._visit(text.published, now, now),
            }).inserted_primary_key[0]
            article = StoredArticle(article_id, text.outlet, text.published, text.kind)
            previous = None
        else:
            conn.execute(_SET_VISIT_KIND, {"article_id": row.id, "new_kind": text.kind,
                                           **self._visit(row.published, row.first_seen)})
            article = StoredArticle(row.id, row.outlet, row.published, text.kind)
            previous = conn.execute(_LATEST_VERSION, {"article_id": row.id}).first()
        status = _compare(previous, text)
        if status is None and previous is not None and conn.execute(
            _VERSION_WITH, {"article_id": article.id, "fingerprint": fp}
        ).first():
            status = "unchanged"  # a revert to an older state we already hold
        if status is not None:
            return SaveResult(status, article.id, None)
        version = new_version(article.id, previous, text, fp, snapshot_sha)
        version_id = conn.execute(_INSERT_VERSION, _columns(version)).inserted_primary_key[0]
        if index:
            self.after_new_text(s, article, text.title, text.description, text.body, first=previous is None)
        return SaveResult("new" if previous is None else "changed", article.id, version_id,
                          version.change_kind)

    def after_new_text(self, s: Session, article: Article | StoredArticle, title: str, lead: str | None,
                       body: str, first: bool = False) -> None:
        """Keep the near-duplicate index, the copy links and the flash merges in step with the text
        (``first``: the article's first version, so nothing of it is indexed yet)."""
        self.write_index(s, self.plan_index(s, article, title, lead, body, first))

    def plan_version_index(self, version: UnflaggedVersion) -> IndexPlan:
        """:meth:`plan_index` for a version stored with ``save_version(index=False)``; write the plan
        with :meth:`write_version_index`. A version already indexed is indexed again, to the same rows."""
        article = StoredArticle(version.article_id, version.outlet, version.article_published, version.kind)
        with self.session() as s:
            return self.plan_index(s, article, version.title, version.lead, version.body)

    def write_version_index(self, plan: IndexPlan) -> None:
        with self.session() as s:
            self.write_index(s, plan)

    def article(self, key: str) -> Article | None:
        with self.session() as s:
            return s.scalar(select(Article).where(Article.key == key))

    def label_of(self, key: str) -> str | None:
        """The topic label of the article's latest decision (None: unknown article or none yet)."""
        with self.session() as s:
            return s.connection().execute(_LABEL, {"key": key}).scalar()

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

    # --- the revisit schedule ------------------------------------------------------------------

    def _visited(self, article: Article, now: datetime | None = None) -> None:
        for name, value in self._visit(article.published, article.first_seen, now).items():
            setattr(article, name, value)

    def _visit(self, published: str | None, first_seen: datetime | None,
               now: datetime | None = None) -> dict[str, Any]:
        """``last_seen`` and ``next_visit_at`` after a visit ``now``."""
        now = now or self.clock()
        start = parse_published(published) or as_utc(first_seen or now)
        return {"last_seen": now, "next_visit_at": self.schedule.next_visit(start, now)}

    def claim_due(self, outlet: str, limit: int = 500, now: datetime | None = None) -> list[DueVisit]:
        """Articles of ``outlet`` due for a revisit, oldest appointment first. Claiming moves each one's
        next visit along the schedule, so a second crawl running at once does not fetch them too."""
        now = now or self.clock()
        # the URL the latest version was fetched from: the fetch log holds its validators (a canonical
        # URL on another host, like NHK's new site for an old-site page, would be a first fetch)
        fetched_url = (select(Version.url).where(Version.article_id == Article.id)
                       .order_by(Version.seq.desc()).limit(1).correlate(Article).scalar_subquery())
        with self.session() as s:
            due = s.execute(
                select(Article, fetched_url)
                .where(Article.outlet == outlet, Article.next_visit_at.is_not(None),
                       Article.next_visit_at <= now, Article.merged_into_id.is_(None))
                .order_by(Article.next_visit_at).limit(limit)
            ).all()
            visits = [DueVisit(a.key, url or a.canonical_url, as_utc(a.next_visit_at)) for a, url in due
                      if a.next_visit_at is not None]
            for article, _url in due:
                self._visited(article, now)
            return visits

    def due_counts(self, now: datetime | None = None) -> dict[str, int]:
        """How many articles of each outlet are due for a revisit (the scheduler's question)."""
        now = now or self.clock()
        with self.session() as s:
            rows = s.execute(select(Article.outlet, func.count(Article.id))
                             .where(Article.next_visit_at.is_not(None), Article.next_visit_at <= now,
                                    Article.merged_into_id.is_(None))
                             .group_by(Article.outlet)).all()
        return {outlet: count for outlet, count in rows}


_NO_VERSION_REASONS = {"unchanged": "text unchanged", "trivial": "only width, spacing or punctuation changed"}
# statements built once: building and caching a statement per call costs ten times its execution
_ARTICLE_ROW = (select(Article.id, Article.outlet, Article.published, Article.first_seen)
                .where(Article.key == bindparam("key")))
_INSERT_ARTICLE = insert(Article)
_SET_VISIT_KIND = update(Article).where(Article.id == bindparam("article_id")).values(
    kind=bindparam("new_kind"), last_seen=bindparam("last_seen"), next_visit_at=bindparam("next_visit_at"))
_LATEST_VERSION = (select(Version.seq, Version.title, Version.lead, Version.body)
                   .where(Version.article_id == bindparam("article_id"))
                   .order_by(Version.seq.desc()).limit(1))
_VERSION_WITH = select(Version.id).where(Version.article_id == bindparam("article_id"),
                                         Version.fingerprint == bindparam("fingerprint"))
_LABEL = select(Article.label).where(Article.key == bindparam("key"))
_INSERT_VERSION = insert(Version)
_VERSION_COLUMNS = [(c.key, c.nullable) for c in Version.__table__.columns if c.key != "id"]


def _columns(version: Version) -> dict[str, Any]:
    """The values an INSERT of ``version`` writes (unset ones take their column defaults)."""
    values = {name: (getattr(version, name), nullable) for name, nullable in _VERSION_COLUMNS}
    return {name: value for name, (value, nullable) in values.items() if value is not None or nullable}


def _compare(previous: Version | None, text: ArticleText) -> str | None:
    """"unchanged" (the same raw text), "trivial" (the same once normalized) or None (new or changed)."""
    if previous is None:
        return None
    old = (previous.title, previous.lead or "", previous.body)
    if old == (text.title, text.description or "", text.body):
        return "unchanged"
    # compared on the normalized text, not the stored fingerprint: a fingerprint made by an older
    # normalization must not turn a trivial change into a version
    if normalized_parts(previous.title, previous.lead, [previous.body]) == normalized_parts(
            text.title, text.description, text.paragraphs):
        return "trivial"
    return None


def new_version(article_id: int, previous: Version | None, text: ArticleText, fp: str,
                snapshot_sha: str | None, seq: int | None = None) -> Version:
    """A version with its diff to ``previous``, change kind and size."""
    body = text.body
    if previous is None:
        diff: dict[str, Any] = {}
        kind, added, removed = "first", len(body), 0
    else:
        diff, kind, added, removed = version_diff(
            {"title": previous.title, "lead": previous.lead or "", "body": previous.body},
            {"title": text.title, "lead": text.description or "", "body": body},
        )
    return Version(
        article_id=article_id, seq=seq or ((previous.seq + 1) if previous else 1), fingerprint=fp,
        title=text.title, lead=text.description, body=body, published=text.published,
        modified=text.modified, body_complete=text.body_complete, change_kind=kind,
        chars_added=added, chars_removed=removed, diff=diff, url=text.url,
        snapshot_sha=snapshot_sha, sources=dict(text.sources),
    )
