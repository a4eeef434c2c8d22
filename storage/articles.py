"""Articles and their versions: storing a version when the normalized text changed, the revisit
schedule, and re-extraction (:mod:`storage.rebuild`). What makes a version is in :mod:`storage.versions`;
every new text is handed to the near-duplicate index (:class:`storage.syndication.Copies`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.database import Database, inserted_id
from storage.fetchlog import set_outcome
from storage.models import Article, Version
from storage.normalize import fingerprint
from storage.rebuild import RebuildResult, rebuild_versions
from storage.schedule import RevisitSchedule, as_utc, parse_published
from storage.syndication import Copies, StoredArticle
from storage.versions import ArticleText, compare, new_version, version_columns


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


class Articles:
    def __init__(self, db: Database, copies: Copies, schedule: RevisitSchedule | None = None) -> None:
        self.db = db
        self.copies = copies
        self.schedule = schedule or RevisitSchedule.from_env()

    # --- versions ------------------------------------------------------------------------------

    def save_version(self, text: ArticleText, snapshot_sha: str | None = None,
                     fetch_id: int | None = None, text_fingerprint: str | None = None,
                     index: bool = True) -> SaveResult:
        """Store a version if the normalized text changed; safe against two crawls at once. With
        ``fetch_id``, the fetch log row of the page gets the outcome in the same transaction;
        ``text_fingerprint`` is the text's :func:`~storage.normalize.fingerprint` when the caller has it.
        ``index=False`` leaves the near-duplicate index, copies and flashes to
        :meth:`Copies.plan_version_index <storage.syndication.Copies.plan_version_index>` (the flag step
        calls it with the version's topic decision)."""
        fp = text_fingerprint or fingerprint(text.title, text.description, text.paragraphs)
        for _attempt in range(3):
            try:
                return self._save_version(text, fp, snapshot_sha, fetch_id, index)
            except IntegrityError:
                continue  # another writer stored the article or this version first: look again
        raise RuntimeError(f"could not store a version of {text.key} after 3 attempts")

    def _save_version(self, text: ArticleText, fp: str, snapshot_sha: str | None,
                      fetch_id: int | None, index: bool) -> SaveResult:
        with self.db.session() as s:
            result = self._save_in(s, text, fp, snapshot_sha, index)
            if fetch_id is not None:
                reason = result.change_kind or _NO_VERSION_REASONS.get(result.status)
                set_outcome(s.connection(), fetch_id, result.status, reason, article_key=text.key)
            return result

    def _save_in(self, s: Session, text: ArticleText, fp: str, snapshot_sha: str | None,
                 index: bool) -> SaveResult:
        conn = s.connection()  # rows, not objects: the article and its latest version's text
        row = conn.execute(select(Article.id, Article.outlet, Article.published, Article.first_seen)
                           .where(Article.key == text.key)).first()
        if row is None:
            now = self.db.clock()
            article_id = inserted_id(conn.execute(insert(Article).values(
                key=text.key, outlet=text.outlet, stable_key=text.stable_key,
                canonical_url=text.canonical_url, lang=text.lang, published=text.published,
                kind=text.kind, first_seen=now, **self._visit(text.published, now, now))))
            article = StoredArticle(article_id, text.outlet, text.published, text.kind)
            previous = None
        else:
            conn.execute(update(Article).where(Article.id == row.id)
                         .values(kind=text.kind, **self._visit(row.published, row.first_seen)))
            article = StoredArticle(row.id, row.outlet, row.published, text.kind)
            previous = conn.execute(select(Version.seq, Version.title, Version.lead, Version.body)
                                    .where(Version.article_id == row.id)
                                    .order_by(Version.seq.desc()).limit(1)).first()
        status = compare(previous, text)
        if status is None and previous is not None and conn.execute(
            select(Version.id).where(Version.article_id == article.id, Version.fingerprint == fp)
        ).first():
            status = "unchanged"  # a revert to an older state we already hold
        if status is not None:
            return SaveResult(status, article.id, None)
        version = new_version(article.id, previous, text, fp, snapshot_sha)
        version_id = inserted_id(conn.execute(insert(Version).values(**version_columns(version))))
        if index:
            self.copies.index_text(s, article, text.title, text.description, text.body,
                                   first=previous is None)
        return SaveResult("new" if previous is None else "changed", article.id, version_id,
                          version.change_kind)

    def rebuild_article(self, states: Sequence[tuple[ArticleText, str | None]]) -> RebuildResult:
        """Rebuild an article's versions from ``states``, its parsed texts with their snapshot in fetch
        order (:func:`storage.rebuild.rebuild_versions`), and index its latest text again."""
        with self.db.session() as s:
            result, article, latest = rebuild_versions(s, states, self.db.clock)
            if latest is not None:
                self.copies.index_text(s, article, latest.title, latest.description, latest.body)
            return result

    def article(self, key: str) -> Article | None:
        with self.db.session() as s:
            return s.scalar(select(Article).where(Article.key == key))

    def label_of(self, key: str) -> str | None:
        """The topic label of the article's latest decision (None: unknown article or none yet)."""
        with self.db.session() as s:
            return s.scalar(select(Article.label).where(Article.key == key))

    def versions(self, key: str) -> list[Version]:
        with self.db.session() as s:
            return list(s.scalars(
                select(Version).join(Article).where(Article.key == key).order_by(Version.seq)
            ))

    # --- the revisit schedule ------------------------------------------------------------------

    def _visited(self, article: Article, now: datetime | None = None) -> None:
        for name, value in self._visit(article.published, article.first_seen, now).items():
            setattr(article, name, value)

    def _visit(self, published: str | None, first_seen: datetime | None,
               now: datetime | None = None) -> dict[str, Any]:
        """``last_seen`` and ``next_visit_at`` after a visit ``now``."""
        now = now or self.db.clock()
        start = parse_published(published) or as_utc(first_seen or now)
        return {"last_seen": now, "next_visit_at": self.schedule.next_visit(start, now)}

    def claim_due(self, outlet: str, limit: int = 500, now: datetime | None = None) -> list[DueVisit]:
        """Articles of ``outlet`` due for a revisit, oldest appointment first. Claiming moves each one's
        next visit along the schedule, so a second crawl running at once does not fetch them too."""
        now = now or self.db.clock()
        # the URL the latest version was fetched from: the fetch log holds its validators (a canonical
        # URL on another host, like NHK's new site for an old-site page, would be a first fetch)
        fetched_url = (select(Version.url).where(Version.article_id == Article.id)
                       .order_by(Version.seq.desc()).limit(1).correlate(Article).scalar_subquery())
        with self.db.session() as s:
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
        now = now or self.db.clock()
        with self.db.session() as s:
            rows = s.execute(select(Article.outlet, func.count(Article.id))
                             .where(Article.next_visit_at.is_not(None), Article.next_visit_at <= now,
                                    Article.merged_into_id.is_(None))
                             .group_by(Article.outlet)).all()
        return {outlet: count for outlet, count in rows}


_NO_VERSION_REASONS = {"unchanged": "text unchanged", "trivial": "only width, spacing or punctuation changed"}
