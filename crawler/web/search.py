"""Search over every version's title, lead and body, in Japanese and English.

The index is the dashboard's own, derived from ``versions`` and rebuilt from it at any time: one row per
version holding its text NFKC-folded and lower-cased, so ``G7`` finds ``Ｇ７`` and ``rubio`` finds ``Rubio``.

- SQLite: an FTS5 table with the ``trigram`` tokenizer — any substring of three characters or more is an
  index lookup, Japanese included (no word segmentation needed); shorter terms (二文字 like 関税) are a
  LIKE over the same table.
- PostgreSQL: a table with a ``pg_trgm`` GIN index on the text, which serves ``LIKE '%…%'``; without the
  extension (no privilege to create it) the same LIKE runs as a scan.

The table and its index are made by migration 0006 (``storage/migrations``), never at run time: the desk
only fills and reads it. The crawl never writes the index: the dashboard brings it up to date (versions
above the highest indexed id) at start, then from a background thread every few seconds — never inside a
request, which would wait for SQLite's write lock while a crawl holds it. A re-extraction that rewrites
versions in place is picked up by ``talkwatch serve --reindex``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, column, func, literal_column, select, table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from crawler.web.filters import Filters
from crawler.web.queries import article_conditions
from storage.models import Article, Version

log = logging.getLogger(__name__)
BATCH = 2000
SYNC_EVERY_SECONDS = 10.0
ANALYZE_AFTER = 1000  # rows indexed in one sync


def fold(value: str) -> str:
    """The form both the index and a query are compared in."""
    return unicodedata.normalize("NFKC", value).lower()


def terms_of(query: str) -> list[str]:
    return [t for t in fold(query).split() if t][:8]


def _doc(title: str | None, lead: str | None, body: str | None) -> str:
    return fold("\n".join(part for part in (title, lead, body) if part))


@dataclass
class Hit:
    article_id: int
    version_id: int
    seq: int
    key: str
    outlet: str
    title: str
    published: str | None
    label: str | None
    snippet: tuple[str, str, str]  # before, the match, after


def snippet(text_value: str, terms: list[str], width: int = 60) -> tuple[str, str, str]:
    folded = fold(text_value)
    for term in terms:
        at = folded.find(term)
        if at >= 0:
            start = max(0, at - width)
            return (("…" if start else "") + folded[start:at], folded[at:at + len(term)],
                    folded[at + len(term):at + len(term) + width] + "…")
    return (folded[: width * 2] + ("…" if len(folded) > width * 2 else ""), "", "")


class SearchIndex:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._synced_at = 0.0
        self._lock = threading.Lock()
        if self.dialect == "sqlite":
            self.table = table("web_search", column("rowid"), column("doc"))
            self.id_column = self.table.c.rowid
        else:
            self.table = table("web_search", column("version_id"), column("doc"))
            self.id_column = self.table.c.version_id

    # --- building ---------------------------------------------------------------------------------------

    def rebuild(self) -> int:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM web_search"))
        return self.sync(force=True)

    def prune(self) -> None:
        """Drop index rows of versions that are gone (a re-extraction deletes extra versions)."""
        with self.engine.begin() as conn:
            conn.execute(self.table.delete().where(self.id_column.not_in(select(Version.id))))

    def sync(self, force: bool = False) -> int:
        """Index the versions stored since the last sync; returns how many."""
        if not force and time.monotonic() - self._synced_at < SYNC_EVERY_SECONDS:
            return 0
        with self._lock:
            added = 0
            while True:
                n = self._sync_batch()
                added += n
                if n < BATCH:
                    break
            if self.dialect == "postgresql" and added >= ANALYZE_AFTER:
                # a freshly filled table has no statistics: the planner would guess a common word rare,
                # gather every match through the trigram index and sort them, instead of reading the
                # newest rows first
                with self.engine.begin() as conn:
                    conn.execute(text("ANALYZE web_search"))
            self._synced_at = time.monotonic()
        return added

    def start_background(self, every: float = SYNC_EVERY_SECONDS) -> threading.Event:
        """Keep the index up to date from a daemon thread; set the returned event to stop it."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every):
                try:
                    self.sync(force=True)
                except DBAPIError as exc:  # locked or gone for a moment: the next round catches up
                    log.warning("search index not brought up to date: %s", exc.orig)

        threading.Thread(target=loop, name="talkwatch-search-index", daemon=True).start()
        return stop

    def _sync_batch(self) -> int:
        with self.engine.begin() as conn:
            mark = conn.execute(select(self.id_column).order_by(self.id_column.desc()).limit(1)).scalar() or 0
            if mark and mark > (conn.execute(select(func.max(Version.id))).scalar() or 0):
                # indexed versions the table no longer reaches: the versions were made anew (a database
                # rebuilt, a test reset) and their ids start again; so does the index
                log.warning("search index ahead of the versions table: rebuilding it")
                conn.execute(text("DELETE FROM web_search"))
                mark = 0
            rows = conn.execute(select(Version.id, Version.title, Version.lead, Version.body)
                                .where(Version.id > mark).order_by(Version.id).limit(BATCH)).all()
            if rows:
                name = "rowid" if self.dialect == "sqlite" else "version_id"
                conn.execute(text(f"INSERT INTO web_search ({name}, doc) VALUES (:id, :doc)"),
                             [{"id": r.id, "doc": _doc(r.title, r.lead, r.body)} for r in rows])
        return len(rows)

    # --- searching --------------------------------------------------------------------------------------

    def _term_condition(self, term: str) -> ColumnElement[bool]:
        if self.dialect == "sqlite" and len(term) >= 3:
            return literal_column("web_search").op("MATCH")('"' + term.replace('"', '""') + '"')
        escaped = re.sub(r"([\\%_])", r"\\\1", term)
        return self.table.c.doc.like(f"%{escaped}%", escape="\\")

    def search(self, conn: Connection, query: str, filters: Filters, limit: int = 50) -> list[Hit]:
        terms = terms_of(query)
        if not terms:
            return []
        rows = conn.execute(
            select(Version.id, Version.article_id, Version.seq, Version.title, Version.lead, Version.body,
                   Article.key, Article.outlet, Article.published, Article.label)
            .select_from(self.table)
            .join(Version, Version.id == self.id_column)
            .join(Article, Article.id == Version.article_id)
            .where(*[self._term_condition(t) for t in terms], *article_conditions(filters))
            .order_by(self.id_column.desc()).limit(limit * 3)).all()
        return _hits(list(rows), terms, limit)


def _hits(rows: list[Any], terms: list[str], limit: int) -> list[Hit]:
    """The newest matching version of each article (rows come newest first)."""
    hits: dict[int, Hit] = {}
    for r in rows:
        if r.article_id in hits:
            continue
        body = "\n".join(part for part in (r.lead, r.body) if part)
        hits[r.article_id] = Hit(r.article_id, r.id, r.seq, r.key, r.outlet, r.title, r.published, r.label,
                                 snippet(body or r.title, terms))
        if len(hits) >= limit:
            break
    return list(hits.values())
