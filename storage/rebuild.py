"""Re-extraction (part of :class:`storage.store.Store`): rebuild an article's versions from the texts a
fixed parser reads out of its raw snapshots, through the same rules as ``save_version`` (a trivial
change or a revert is no version), keeping the version rows (and the alerts and topic decisions that
point at them) wherever they still hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from storage.models import Article, Version
from storage.normalize import fingerprint

if TYPE_CHECKING:
    from storage.store import ArticleText


@dataclass(frozen=True)
class RebuildResult:
    key: str
    status: str  # "unchanged", "rebuilt", "skipped" (a version without a snapshot cannot be rebuilt)
    versions_before: int
    versions_after: int


class Rebuild:
    """Mixin: needs the Store."""

    def rebuild_article(self, states: Sequence[tuple[ArticleText, str | None]]) -> RebuildResult:
        """``states``: the article's parsed texts with their snapshot, in fetch order."""
        from storage.store import _compare, new_version

        text0 = states[0][0]
        with self.session() as s:  # type: ignore[attr-defined]
            article = s.scalar(select(Article).where(Article.key == text0.key))
            if article is None:
                article = Article(key=text0.key, outlet=text0.outlet, stable_key=text0.stable_key,
                                  canonical_url=text0.canonical_url, lang=text0.lang,
                                  published=text0.published, kind=text0.kind,
                                  first_seen=self.clock())  # type: ignore[attr-defined]
                s.add(article)
                s.flush()
            old = list(s.scalars(select(Version).where(Version.article_id == article.id)
                                 .order_by(Version.seq)))
            shas = {sha for _, sha in states}
            if any(v.snapshot_sha is None or v.snapshot_sha not in shas for v in old):
                return RebuildResult(article.key, "skipped", len(old), len(old))
            chain: list[tuple[ArticleText, str | None, str]] = []
            for text, sha in states:
                fp = fingerprint(text.title, text.description, text.paragraphs)
                last = _as_version(chain[-1]) if chain else None
                if chain and (_compare(last, text) is not None or fp in {c[2] for c in chain}):
                    continue
                chain.append((text, sha, fp))
            if [c[2] for c in chain] == [v.fingerprint for v in old]:
                return RebuildResult(article.key, "unchanged", len(old), len(old))
            for v in old:  # free the (article, fingerprint) pairs while the rows are rewritten
                v.fingerprint = f"rebuild-{v.id}"
            s.flush()
            previous: Version | None = None
            for index, (text, sha, fp) in enumerate(chain):
                fresh = new_version(article.id, previous, text, fp, sha, seq=index + 1)
                if index < len(old):
                    row = old[index]
                    for column in ("seq", "fingerprint", "title", "lead", "body", "published", "modified",
                                   "body_complete", "change_kind", "chars_added", "chars_removed", "diff",
                                   "url", "snapshot_sha", "sources"):
                        setattr(row, column, getattr(fresh, column))
                    previous = row
                else:
                    s.add(fresh)
                    previous = fresh
                s.flush()
            for extra in old[len(chain):]:
                s.delete(extra)
            s.flush()
            last_text = chain[-1][0]
            self.after_new_text(s, article, last_text.title, last_text.description,  # type: ignore[attr-defined]
                                last_text.body)
            return RebuildResult(article.key, "rebuilt", len(old), len(chain))


def _as_version(state: tuple[ArticleText, str | None, str]) -> Version:
    text = state[0]
    return Version(title=text.title, lead=text.description, body=text.body)
