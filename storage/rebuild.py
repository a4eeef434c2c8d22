"""Re-extraction: rebuild an article's versions from the texts a fixed parser reads out of its raw
snapshots, through the same rules as a crawl's ``save_version`` (:mod:`storage.versions`: a trivial change
or a revert is no version), keeping the version rows (and the alerts and topic decisions that point at
them) wherever they still hold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Article, Version
from storage.normalize import fingerprint
from storage.versions import ArticleText, compare, new_version

# the columns a rebuilt version takes from the text a fixed parser read
_REBUILT_COLUMNS = ("seq", "fingerprint", "title", "lead", "body", "published", "modified", "body_complete",
                    "change_kind", "chars_added", "chars_removed", "diff", "url", "snapshot_sha", "sources")


@dataclass(frozen=True)
class RebuildResult:
    key: str
    status: str  # "unchanged", "rebuilt", "skipped" (a version without a snapshot cannot be rebuilt)
    versions_before: int
    versions_after: int


Chain = list[tuple[ArticleText, str | None, str]]  # (text, snapshot sha, fingerprint) of each version


def rebuild_versions(s: Session, states: Sequence[tuple[ArticleText, str | None]],
                     clock: Callable[[], datetime]) -> tuple[RebuildResult, Article, ArticleText | None]:
    """``states``: the article's parsed texts with their snapshot, in fetch order. The article (made when
    unknown) comes back with the result, and with its latest text when the versions were rebuilt (the
    near-duplicate index is to follow it)."""
    text0 = states[0][0]
    article = s.scalar(select(Article).where(Article.key == text0.key))
    if article is None:
        article = Article(key=text0.key, outlet=text0.outlet, stable_key=text0.stable_key,
                          canonical_url=text0.canonical_url, lang=text0.lang, published=text0.published,
                          kind=text0.kind, first_seen=clock())
        s.add(article)
        s.flush()
    old = list(s.scalars(select(Version).where(Version.article_id == article.id).order_by(Version.seq)))
    shas = {sha for _, sha in states}
    if any(v.snapshot_sha is None or v.snapshot_sha not in shas for v in old):
        return RebuildResult(article.key, "skipped", len(old), len(old)), article, None
    chain = _chain(states)
    if [c[2] for c in chain] == [v.fingerprint for v in old]:
        return RebuildResult(article.key, "unchanged", len(old), len(old)), article, None
    _rewrite(s, article, old, chain)
    return RebuildResult(article.key, "rebuilt", len(old), len(chain)), article, chain[-1][0]


def _chain(states: Sequence[tuple[ArticleText, str | None]]) -> Chain:
    """The texts that are versions: each differs from the one before and from every earlier one."""
    chain: Chain = []
    for text, sha in states:
        fp = fingerprint(text.title, text.description, text.paragraphs)
        last = _as_version(chain[-1][0]) if chain else None
        if chain and (compare(last, text) is not None or fp in {c[2] for c in chain}):
            continue
        chain.append((text, sha, fp))
    return chain


def _rewrite(s: Session, article: Article, old: list[Version], chain: Chain) -> None:
    for v in old:  # free the (article, fingerprint) pairs while the rows are rewritten
        v.fingerprint = f"rebuild-{v.id}"
    s.flush()
    previous: Version | None = None
    for index, (text, sha, fp) in enumerate(chain):
        fresh = new_version(article.id, previous, text, fp, sha, seq=index + 1)
        if index < len(old):
            row = old[index]
            for column in _REBUILT_COLUMNS:
                setattr(row, column, getattr(fresh, column))
            previous = row
        else:
            s.add(fresh)
            previous = fresh
        s.flush()
    for extra in old[len(chain):]:
        s.delete(extra)
    s.flush()


def _as_version(text: ArticleText) -> Version:
    return Version(title=text.title, lead=text.description, body=text.body)
