"""Syndication and duplicates (part of :class:`storage.store.Store`).

**Copies across outlets.** Each article's latest text gets a MinHash signature over character 4-gram
shingles: datasketch's MinHash in its default "affine32" scheme (CRC-32 of each shingle, MurmurHash3's
finalizer, then 120 affine hashes ``a·h + b mod 2^32``), computed here in a few NumPy lines with the
permutations drawn once. Stored signatures must keep exactly these values (a test checks them against
datasketch 2.x): importing datasketch in the crawl would add SciPy (~55 MB a process) and redraw the
permutations on every call. The signature is cut into LSH bands; each band's hash is one row of
``signature_bands``, indexed on ``bucket``. A lookup is one indexed ``IN`` query over the new text's
band hashes plus a comparison with the few candidates' signatures, so its cost does not grow with
the number of stored articles, and the index lives in the database (persisted, shared by every crawl
process, nothing to rebuild). A match on another outlet with estimated Jaccard >= ``COPY_THRESHOLD`` is
a copy: ``Article.copy_of_id`` points every member of the group at the original — the article of the
outlet a wire credit names (（時事）, 【ワシントン時事】, （共同）, ［東京　ロイター］), else the one
published first.

**jiji 速報 (flash).** A flash is a one-line story that is later replaced by a full story. When both
exist (same outlet, same day, the full story not earlier, and most of the flash headline's character
bigrams found in the full story's headline/lead/body), ``merged_into_id`` links the flash to the full
story, and reports leave the flash out.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from storage.models import Article, Signature, SignatureBand, Version
from storage.normalize import normalize_text
from storage.schedule import parse_published

SHINGLE = 4
NUM_PERM = 120
BANDS, ROWS = 20, 6  # P(candidate) = 1-(1-J^6)^20: 0.6 -> 0.62, 0.7 -> 0.92, 0.8 -> 0.996, 0.2 -> 0.001
COPY_THRESHOLD = 0.7
FLASH_CONTAINMENT = 0.5
_SEED = 20250121

# wire credits, e.g. （時事）, 【ワシントン時事】, （共同）, ［東京　２１日　ロイター］, (Reuters)
_CREDIT = re.compile(
    r"[（(【［\[][^（）()【】［］\[\]]{0,16}?(時事|共同|ロイター|Reuters|REUTERS)\s*[）)】］\]]"
)
CREDIT_OUTLETS = {"時事": "jiji", "共同": "kyodo", "ロイター": "reuters", "Reuters": "reuters",
                  "REUTERS": "reuters"}
_FLASH_PREFIX = re.compile(r"^\s*[【\[［]\s*速報\s*[】\]］]\s*")


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


def credit_of(text: str) -> str | None:
    """The wire or outlet a text credits (``jiji``, ``kyodo``, ``reuters``), if any."""
    match = _CREDIT.search(text)
    return CREDIT_OUTLETS[match.group(1)] if match else None


SIGNATURE_CHARS = 2000


def signature_text(title: str, body: str) -> str:
    # credits differ between the original and its copies: leave them out of the comparison. The first
    # 2,000 characters decide: a copy shares its lead and body start, and MinHash cost grows with length
    return normalize_text(_CREDIT.sub("", f"{title}\n{body}"))[:SIGNATURE_CHARS]


# MurmurHash3's 32-bit finalizer: datasketch mixes each shingle hash with it before the permutations
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


def _permutations(seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``a`` (odd) and ``b`` of each affine hash, drawn as datasketch draws them for ``seed``."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, count, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, count, dtype=np.uint32)
    return a, b


_A, _B = _permutations(_SEED, NUM_PERM)


def minhash(text: str) -> np.ndarray:
    """The MinHash of ``text``'s character shingles (uint32, ``NUM_PERM`` values)."""
    shingles = {text[i:i + SHINGLE].encode("utf-8") for i in range(max(len(text) - SHINGLE + 1, 1))}
    hashes = np.fromiter(map(zlib.crc32, shingles), dtype=np.uint32, count=len(shingles))
    shift1, multiplier1, shift2, multiplier2, shift3 = _FMIX
    hashes ^= hashes >> shift1
    hashes *= multiplier1
    hashes ^= hashes >> shift2
    hashes *= multiplier2
    hashes ^= hashes >> shift3
    # one row per permutation; uint32 arithmetic wraps around: that is the hash's "mod 2^32"
    permuted = np.multiply.outer(_A, hashes)
    permuted += _B[:, np.newaxis]
    return permuted.min(axis=1)


def band_buckets(values: np.ndarray) -> list[int]:
    """One signed 64-bit hash per band (the band's number is part of the hash)."""
    buckets = []
    for band in range(BANDS):
        chunk = values[band * ROWS:(band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
        buckets.append(int.from_bytes(digest, "big", signed=True))
    return buckets


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def flash_headline(title: str) -> str:
    return normalize_text(_FLASH_PREFIX.sub("", title))


def containment(short: str, long: str) -> float:
    grams = _bigrams(short)
    return len(grams & _bigrams(long)) / len(grams) if grams else 0.0


_HAS_SIGNATURE = select(Signature.article_id).where(Signature.article_id == bindparam("article_id"))
_DELETE_BANDS = delete(SignatureBand).where(SignatureBand.article_id == bindparam("article_id"))
_DELETE_SIGNATURE = delete(Signature).where(Signature.article_id == bindparam("article_id"))
_INSERT_SIGNATURE = insert(Signature)
_INSERT_BAND = insert(SignatureBand)
# one parameter per band, not an expanding list: SQLAlchemy re-renders such a list into the SQL at every
# execution, and every new version asks
_BUCKETS = [bindparam(f"bucket{band}") for band in range(BANDS)]
# the articles sharing a band bucket with a signature, with what a match reports
_CANDIDATES = (
    select(Signature.article_id, Signature.minhash, Article.key, Article.outlet, Article.published)
    .join(Article, Article.id == Signature.article_id)
    .where(Signature.article_id.in_(select(SignatureBand.article_id)
                                    .where(SignatureBand.bucket.in_(_BUCKETS))
                                    .distinct()))
)

_UNMERGED_FLASHES = select(Article.id).where(
    Article.outlet == bindparam("outlet"), Article.id != bindparam("article_id"),
    Article.published >= bindparam("day"), Article.published < bindparam("next_day"),
    Article.kind == "flash", Article.merged_into_id.is_(None), Article.published <= bindparam("published"))


@dataclass(frozen=True)
class IndexPlan:
    """What keeping the near-duplicate index, the copy links and the flash merges in step with an
    article's new text will write, found with reads only (:meth:`Syndication.plan_index`)."""

    article: Article | StoredArticle
    values: np.ndarray  # the text's MinHash
    buckets: list[int]  # its LSH band hashes
    credit: str | None
    replace: bool  # the article has a signature to replace
    copies: list[NearDuplicate]  # its near-duplicates on other outlets
    merge_into: int | None  # a flash: the full story it merges into
    flashes: list[int]  # a full story: the flashes it absorbs


class Syndication:
    """Mixin: needs ``self.session()``. Called by ``Store.save_version`` for every new text (or by the
    flag worker, for versions stored without it).

    Reading and writing are two steps, :meth:`plan_index` and :meth:`write_index`: SQLite takes its write
    lock at a transaction's first write and holds it to the commit, so the flag worker does every read of
    a version before its first write, and the crawl beside it waits less for that lock."""

    def plan_index(self, s: Session, article: Article | StoredArticle, title: str, lead: str | None,
                   body: str, first: bool = False) -> IndexPlan:
        """Reads only. ``first``: the article's first version, so it has no signature yet."""
        values = minhash(signature_text(title, body))
        buckets = band_buckets(values)
        conn = s.connection()
        replace = not first and conn.execute(_HAS_SIGNATURE, {"article_id": article.id}).first() is not None
        copies = [d for d in self._near_duplicates(s, values, buckets, COPY_THRESHOLD, article.id)
                  if d.outlet != article.outlet]
        merge_into, flashes = self._flash_merges(s, article, title, lead or "", body)
        return IndexPlan(article, values, buckets, credit_of(f"{title}\n{body}"), replace, copies, merge_into,
                         flashes)

    def write_index(self, s: Session, plan: IndexPlan) -> None:
        """(Re)write the article's signature and its LSH bands, link its copies, merge its flashes."""
        article = plan.article
        # prepared Core statements, the bands in one executemany: this runs for every new version
        conn = s.connection()
        if plan.replace:
            conn.execute(_DELETE_BANDS, {"article_id": article.id})
            conn.execute(_DELETE_SIGNATURE, {"article_id": article.id})
        conn.execute(_INSERT_SIGNATURE, {"article_id": article.id, "outlet": article.outlet,
                                         "published": article.published, "credit": plan.credit,
                                         "minhash": plan.values.tobytes()})
        conn.execute(_INSERT_BAND, [{"article_id": article.id, "bucket": bucket} for bucket in plan.buckets])
        if plan.copies:
            self._link_copies(s, article, plan.copies)
        # ORM objects (these are rare): the session may hold the same articles
        if plan.merge_into is not None and (stored := s.get(Article, article.id)) is not None:
            stored.merged_into_id = plan.merge_into
        for flash_id in plan.flashes:
            if (flash := s.get(Article, flash_id)) is not None:
                flash.merged_into_id = article.id

    def near_duplicates(self, title: str, body: str, threshold: float = COPY_THRESHOLD,
                        exclude_article_id: int | None = None) -> list[NearDuplicate]:
        """Stored articles whose text is a near-duplicate of ``title`` + ``body``, most similar first."""
        values = minhash(signature_text(title, body))
        with self.session() as s:  # type: ignore[attr-defined]
            return self._near_duplicates(s, values, band_buckets(values), threshold, exclude_article_id)

    @staticmethod
    def _near_duplicates(s: Session, values: np.ndarray, buckets: list[int], threshold: float,
                         exclude_article_id: int | None) -> list[NearDuplicate]:
        params = {f"bucket{band}": bucket for band, bucket in enumerate(buckets)}
        rows = s.connection().execute(_CANDIDATES, params).all()
        found = []
        for row in rows:
            if row.article_id == exclude_article_id:
                continue
            sim = similarity(values, np.frombuffer(row.minhash, dtype=np.uint32))
            if sim >= threshold:
                found.append(NearDuplicate(row.article_id, row.key, row.outlet, row.published, sim))
        return sorted(found, key=lambda d: -d.similarity)

    @staticmethod
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

    # --- jiji 速報 -------------------------------------------------------------------------

    @staticmethod
    def _flash_merges(s: Session, article: Article | StoredArticle, title: str, lead: str,
                      body: str) -> tuple[int | None, list[int]]:
        """A flash and the full story of the same day: (the full story a flash merges into, the flashes
        a full story absorbs)."""
        published = parse_published(article.published)
        if published is None or not article.published:
            return None, []
        day = article.published[:10]
        if article.kind == "flash":
            query = select(Article).where(Article.outlet == article.outlet, Article.id != article.id,
                                          Article.published >= day, Article.published < _next_day(day))
            headline = flash_headline(title)
            fulls = s.scalars(query.where(Article.kind == "article",
                                          Article.published >= article.published)).all()
            best = max(fulls, key=lambda a: containment(headline, _story_text(s, a)), default=None)
            if best is not None and containment(headline, _story_text(s, best)) >= FLASH_CONTAINMENT:
                return best.id, []
            return None, []
        # every new full story asks, and most days hold no flash: a prepared Core statement (ids, no ORM
        # objects), and the story's text only normalized when there is a flash to compare
        flashes = s.connection().execute(_UNMERGED_FLASHES, {
            "outlet": article.outlet, "article_id": article.id, "day": day, "next_day": _next_day(day),
            "published": article.published}).scalars().all()
        story = None
        merged = []
        for flash_id in flashes:
            story = story or normalize_text(f"{title}{lead}{body[:1000]}")
            latest = _latest(s, flash_id)
            if latest is not None and containment(flash_headline(latest.title), story) >= FLASH_CONTAINMENT:
                merged.append(flash_id)
        return None, merged


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


def _story_text(s: Session, article: Article) -> str:
    latest = _latest(s, article.id)
    return normalize_text(f"{latest.title}{latest.lead or ''}{latest.body[:1000]}") if latest else ""
