"""One ingest path: the steps a parsed article goes through before and after it is stored.

The crawl's pipelines (:mod:`crawler.pipelines`) wrap these functions one step each, and re-extraction
(:mod:`crawler.reextract`) calls the same functions on the pages it re-reads from the raw snapshots, so
the two cannot drift apart: what a crawl refuses, re-extraction refuses; what a crawl files under a key,
re-extraction files under the same key; every version either stores is flagged by the same function.

    validate → canonicalize → (dedupe, crawl only) → version → flag

None of them needs Scrapy: the Store, the outlet modules and the topic classifier are all they use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import delete, select

from crawler.flagging import flag_version
from crawler.outlets import get_outlet
from crawler.outlets.base import ParsedArticle
from crawler.topics.classifier import TopicDecision
from storage.articles import SaveResult
from storage.models import Article, TopicMatch
from storage.rebuild import RebuildResult
from storage.store import Store
from storage.threads import UnflaggedVersion
from storage.versions import ArticleText

NO_STABLE_KEY = "no stable key"


# --- validate -------------------------------------------------------------------------


def missing_fields(article: ParsedArticle) -> list[str]:
    """What an article lacks to be stored as a version."""
    return [name for name, value in (("title", article.title), ("published", article.published),
                                     ("body", "".join(article.paragraphs).strip())) if not value]


def validate(article: ParsedArticle) -> str | None:
    """Why the article cannot be stored as a version (``"empty title, body"``); ``None`` when it can."""
    missing = missing_fields(article)
    return f"empty {', '.join(missing)}" if missing else None


# --- canonicalize -----------------------------------------------------------------------


def canonicalize(article: ParsedArticle) -> ParsedArticle:
    """The article filed under its outlet's stable key and canonical URL. The parser's key stands
    where the URL carries none (English Reuters: the Arc id is in the page)."""
    outlet = get_outlet(article.outlet)
    ref = outlet.canonicalize(article.canonical_url or article.url) or outlet.canonicalize(article.url)
    if ref is None:
        return article
    return replace(article, stable_key=ref.stable_key or article.stable_key, canonical_url=ref.canonical_url)


def admit(article: ParsedArticle) -> tuple[ParsedArticle | None, str]:
    """Validate, then canonicalize, as the crawl does: the article ready to be versioned and ``""``, or
    ``None`` and why it is refused."""
    reason = validate(article)
    if reason:
        return None, reason
    article = canonicalize(article)
    if not article.stable_key:
        return None, NO_STABLE_KEY
    return article, ""


# --- version ------------------------------------------------------------------------------


def version(store: Store, article: ParsedArticle, *, snapshot_sha: str | None = None,
            fetch_id: int | None = None, fingerprint: str | None = None) -> SaveResult:
    """Store a new version when the normalized text changed (``store.articles.save_version``: the diff,
    the change kind, the revisit schedule, the near-duplicate index, copies and 速報 merges come with it)."""
    return store.articles.save_version(ArticleText.of(article), snapshot_sha=snapshot_sha,
                                       fetch_id=fetch_id, text_fingerprint=fingerprint)


def rebuild(store: Store, states: Sequence[tuple[ArticleText, str | None]]) -> RebuildResult:
    """Rebuild one article's versions from its re-read texts (with their snapshots, in fetch order),
    through the same version rules as :func:`version`. The topic decisions of a rebuilt article were
    about its old texts: they go in the same transaction, which leaves its versions to :func:`flag`
    (``crawler.flagging.flag_backlog`` picks them up, here or in the next crawl)."""
    with store.db.unit() as s:
        result = store.articles.rebuild_article(states)
        if result.status == "rebuilt":
            article_id = select(Article.id).where(Article.key == result.key).scalar_subquery()
            s.execute(delete(TopicMatch).where(TopicMatch.article_id == article_id))
    return result


# --- flag ---------------------------------------------------------------------------------


def flag(store: Store, article: ParsedArticle, article_id: int, version_id: int, *,
         first: bool) -> TopicDecision:
    """Decide the topic of a version just stored, file it into its thread and raise its alerts
    (:func:`crawler.flagging.flag_version`; of its seq the flag only asks whether it is the first)."""
    return flag_version(store, UnflaggedVersion(
        article_id, version_id, 1 if first else 2, article.key, article.outlet, article.title,
        article.description, article.body, article.published, article.lang, kind=article.kind))
