"""The near-duplicate index, copies across outlets and flash merges: tables and queries only.

**Copies across outlets.** Each article's latest text has a signature (a MinHash of ``SIGNATURE_LENGTH``
uint32 values) that the caller's :class:`TextRules` computes (the crawl's: :mod:`crawler.syndication`).
The signature is cut into LSH bands; each band's hash is one row of ``signature_bands``, indexed on
``bucket``. A lookup is one indexed ``IN`` query over the new text's band hashes plus a comparison with
the few candidates' signatures, so its cost does not grow with the number of stored articles, and the
index lives in the database (persisted, shared by every crawl process, nothing to rebuild). A match on
another outlet with estimated Jaccard >= ``COPY_THRESHOLD`` is a copy: ``Article.copy_of_id`` points
every member of the group at the original — the article of the outlet the text credits (the rules read
the credit), else the one published first.

**Flashes.** A flash (``Article.kind == "flash"``) is a one-line story that is later replaced by a full
story. When both exist (same outlet, same day, the full story not earlier, and the rules say the flash's
headline is the full story's), ``merged_into_id`` links the flash to the full story, and reports leave the
flash out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from storage.database import Database
from storage.models import Article, Signature, SignatureBand, Version
from storage.schedule import parse_published
from storage.threads import UnflaggedVersion

if TYPE_CHECKING:
    import numpy as np  # loaded by the functions that compare signatures: not for `status`

BANDS, ROWS = 20, 6  # P(candidate) = 1-(1-J^6)^20: 0.6 -> 0.62, 0.7 -> 0.92, 0.8 -> 0.996, 0.2 -> 0.001
SIGNATURE_LENGTH = BANDS * ROWS
COPY_THRESHOLD = 0.7


class TextRules(Protocol):
    """What the index needs computed of a text; storage knows no outlet and no wire convention."""

    def signature(self, title: str, body: str) -> np.ndarray:
        """The text's MinHash (``SIGNATURE_LENGTH`` uint32 values); copies get near-equal ones."""
        ...

    def credit(self, title: str, body: str) -> str | None:
        """The outlet the text credits as its source (e.g. a wire), if any."""
        ...

    def flash_score(self, flash_title: str, title: str, lead: str, body: str) -> float:
        """How much of a flash's headline the story (``title``, ``lead``, ``body``) carries, 0 to 1."""
        ...

    @property
    def flash_threshold(self) -> float:
        """The :meth:`flash_score` from which a flash is merged into the story."""
        ...


class NoTextRules(LookupError):
    pass


@dataclass(frozen=True)
class StoredArticle:
    """What the syndication checks read of an article (an ``Article`` fits too): the version step
    passes this rather than loading an ORM object for every new text."""

    id: int
    outlet: str
    published: str | None
    kind: str


@dataclass(frozen=True)
class NearDuplicate:
    article_id: int
    key: str
    outlet: str
    published: str | None
    similarity: float  # estimated Jaccard of the shingle sets


def band_buckets(values: np.ndarray) -> list[int]:
    """One signed 64-bit hash per band (the band's number is part of the hash)."""
    buckets = []
    for band in range(BANDS):
        chunk = values[band * ROWS:(band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
        buckets.append(int.from_bytes(digest, "big", signed=True))
    return buckets


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    import numpy as np

    return float(np.count_nonzero(a == b)) / len(a)



@dataclass(frozen=True)
class IndexPlan:
    """What keeping the near-duplicate index, the copy links and the flash merges in step with an
    article's new text will write, found with reads only (:meth:`Copies.plan_index`)."""

    article: Article | StoredArticle
    values: np.ndarray  # the text's MinHash
    buckets: list[int]  # its LSH band hashes
    credit: str | None
    replace: bool  # the article has a signature to replace
    copies: list[NearDuplicate]  # its near-duplicates on other outlets
    merge_into: int | None  # a flash: the full story it merges into
    flashes: list[int]  # a full story: the flashes it absorbs


class Copies:
    """The near-duplicate index, copy links and flash merges. :meth:`Articles.save_version
    <storage.articles.Articles.save_version>` calls :meth:`index_text` for every new text (or the flag
    step does, through :meth:`plan_version_index`, for versions stored without it).

    Reading and writing are two steps, :meth:`plan_index` and :meth:`write_index`: SQLite takes its write
    lock at a transaction's first write and holds it to the commit, so the flag step does every read of
    a version before its first write, and a crawl beside it waits less for that lock."""

    def __init__(self, db: Database, rules: TextRules | None = None) -> None:
        self.db = db
        self._rules = rules

    @property
    def rules(self) -> TextRules:
        if self._rules is None:
            raise NoTextRules("this Store was made without text rules, so it cannot index texts: "
                              "pass rules=crawler.syndication.TEXT_RULES")
        return self._rules

    def index_text(self, s: Session, article: Article | StoredArticle, title: str, lead: str | None,
                   body: str, first: bool = False) -> None:
        """Keep the near-duplicate index, the copy links and the flash merges in step with the text
        (``first``: the article's first version, so nothing of it is indexed yet)."""
        self.write_index(s, self.plan_index(s, article, title, lead, body, first))

    def plan_version_index(self, version: UnflaggedVersion) -> IndexPlan:
        """:meth:`plan_index` for a version stored with ``save_version(index=False)``; write the plan with
        :meth:`write_version_index`. A version already indexed is indexed again, to the same rows."""
        article = StoredArticle(version.article_id, version.outlet, version.article_published, version.kind)
        with self.db.session() as s:
            return self.plan_index(s, article, version.title, version.lead, version.body)

    def write_version_index(self, plan: IndexPlan) -> None:
        with self.db.session() as s:
            self.write_index(s, plan)

    def plan_index(self, s: Session, article: Article | StoredArticle, title: str, lead: str | None,
                   body: str, first: bool = False) -> IndexPlan:
        """Reads only. ``first``: the article's first version, so it has no signature yet."""
        rules = self.rules
        values = rules.signature(title, body)
        buckets = band_buckets(values)
        replace = not first and s.scalar(select(Signature.article_id)
                                         .where(Signature.article_id == article.id)) is not None
        copies = [d for d in _near_duplicates(s, values, buckets, COPY_THRESHOLD, article.id)
                  if d.outlet != article.outlet]
        merge_into, flashes = self._flash_merges(s, article, title, lead or "", body)
        return IndexPlan(article, values, buckets, rules.credit(title, body), replace, copies, merge_into,
                         flashes)

    def write_index(self, s: Session, plan: IndexPlan) -> None:
        """(Re)write the article's signature and its LSH bands, link its copies, merge its flashes."""
        article = plan.article
        conn = s.connection()  # rows, not objects; the bands in one executemany
        if plan.replace:
            conn.execute(delete(SignatureBand).where(SignatureBand.article_id == article.id))
            conn.execute(delete(Signature).where(Signature.article_id == article.id))
        conn.execute(insert(Signature).values(article_id=article.id, outlet=article.outlet,
                                              published=article.published, credit=plan.credit,
                                              minhash=plan.values.tobytes()))
        conn.execute(insert(SignatureBand),
                     [{"article_id": article.id, "bucket": bucket} for bucket in plan.buckets])
        if plan.copies:
            _link_copies(s, article, plan.copies)
        # ORM objects (these are rare): the session may hold the same articles
        if plan.merge_into is not None and (stored := s.get(Article, article.id)) is not None:
            stored.merged_into_id = plan.merge_into
        for flash_id in plan.flashes:
            if (flash := s.get(Article, flash_id)) is not None:
                flash.merged_into_id = article.id

    def near_duplicates(self, title: str, body: str, threshold: float = COPY_THRESHOLD,
                        exclude_article_id: int | None = None) -> list[NearDuplicate]:
        """Stored articles whose text is a near-duplicate of ``title`` + ``body``, most similar first."""
        values = self.rules.signature(title, body)
        with self.db.session() as s:
            return _near_duplicates(s, values, band_buckets(values), threshold, exclude_article_id)

    # --- flashes ---------------------------------------------------------------------------

    def _flash_merges(self, s: Session, article: Article | StoredArticle, title: str, lead: str,
                      body: str) -> tuple[int | None, list[int]]:
        """A flash and the full story of the same day: (the full story a flash merges into, the flashes
        a full story absorbs)."""
        if parse_published(article.published) is None or not article.published:
            return None, []
        if article.kind == "flash":
            return self._story_of_flash(s, article, title), []
        return None, self._flashes_of_story(s, article, title, lead, body)

    def _story_of_flash(self, s: Session, flash: Article | StoredArticle, title: str) -> int | None:
        assert flash.published is not None
        rules, day = self.rules, flash.published[:10]
        fulls = s.scalars(select(Article).where(
            Article.outlet == flash.outlet, Article.id != flash.id, Article.published >= day,
            Article.published < _next_day(day), Article.kind == "article",
            Article.published >= flash.published)).all()
        scored = [(_score(rules, s, title, full.id), full.id) for full in fulls]
        # the first of the best (max keeps the first of equals)
        best = max(scored, key=lambda pair: pair[0], default=None)
        return best[1] if best is not None and best[0] >= rules.flash_threshold else None

    def _flashes_of_story(self, s: Session, story: Article | StoredArticle, title: str, lead: str,
                          body: str) -> list[int]:
        # every new full story asks, and most days hold no flash: ids first, the story only compared when
        # there is a flash
        assert story.published is not None
        day = story.published[:10]
        flashes = s.scalars(select(Article.id).where(
            Article.outlet == story.outlet, Article.id != story.id,
            Article.published >= day, Article.published < _next_day(day),
            Article.published <= story.published, Article.kind == "flash",
            Article.merged_into_id.is_(None))).all()
        rules = self.rules
        merged = []
        for flash_id in flashes:
            latest = _latest(s, flash_id)
            if latest is None:
                continue
            if rules.flash_score(latest.title, title, lead, body) >= rules.flash_threshold:
                merged.append(flash_id)
        return merged


def _near_duplicates(s: Session, values: np.ndarray, buckets: list[int], threshold: float,
                     exclude_article_id: int | None) -> list[NearDuplicate]:
    import numpy as np

    # the articles sharing a band bucket with the signature, with what a match reports
    sharing = select(SignatureBand.article_id).where(SignatureBand.bucket.in_(buckets)).distinct()
    rows = s.execute(select(Signature.article_id, Signature.minhash, Article.key, Article.outlet,
                            Article.published)
                     .join(Article, Article.id == Signature.article_id)
                     .where(Signature.article_id.in_(sharing))).all()
    found = []
    for row in rows:
        if row.article_id == exclude_article_id:
            continue
        sim = similarity(values, np.frombuffer(row.minhash, dtype=np.uint32))
        if sim >= threshold:
            found.append(NearDuplicate(row.article_id, row.key, row.outlet, row.published, sim))
    return sorted(found, key=lambda d: -d.similarity)


def _link_copies(s: Session, article: Article | StoredArticle, matches: list[NearDuplicate]) -> None:
    """Link ``article`` and its near-duplicates on other outlets to their original."""
    group: dict[int, Article] = {}
    if (stored := s.get(Article, article.id)) is not None:  # an ORM object only when there are copies
        group[stored.id] = stored
    for match in matches:
        other = s.get(Article, match.article_id)
        if other is None:
            continue
        group[other.id] = other
        if other.copy_of_id and (original := s.get(Article, other.copy_of_id)) is not None:
            group[original.id] = original
    credits = dict(s.execute(select(Signature.article_id, Signature.credit)
                             .where(Signature.article_id.in_(list(group)))).all())
    original = _original(list(group.values()), credits)
    for member in group.values():
        member.copy_of_id = None if member.id == original.id else original.id
    # copies of a former original follow it
    for copy in s.scalars(select(Article).where(Article.copy_of_id.in_(list(group)),
                                                Article.id != original.id)):
        copy.copy_of_id = original.id


def _score(rules: TextRules, s: Session, flash_title: str, story_id: int) -> float:
    latest = _latest(s, story_id)
    return rules.flash_score(flash_title, latest.title, latest.lead or "", latest.body) if latest else 0.0


def _original(members: list[Article], credits: dict[int, Any]) -> Article:
    """The outlet a copy credits, else the earliest published (then the first stored)."""
    credited = {credit for credit in credits.values() if credit}
    named = [m for m in members if m.outlet in credited and credits.get(m.id) in (None, m.outlet)]
    pool = named or members
    return min(pool, key=lambda m: (_when(m.published), m.id))


def _when(published: str | None) -> datetime:
    return parse_published(published) or datetime.max.replace(tzinfo=UTC)


def _next_day(day: str) -> str:
    try:
        return (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    except ValueError:
        return day + "~"


def _latest(s: Session, article_id: int) -> Version | None:
    return s.scalar(select(Version).where(Version.article_id == article_id)
                    .order_by(Version.seq.desc()).limit(1))
