"""Re-extraction: after a parser fix, rebuild stored versions from the raw snapshots (no refetching).

Every article page kept (fetch log order) is parsed again with its outlet's ``parse_article`` at the URL
it was fetched from, filed under its stable key like the crawl does, and the article's versions are
rebuilt by ``store.articles.rebuild_article`` (same version rules as a crawl: nothing is duplicated; running
it twice changes nothing the second time).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace

from scrapy.http import HtmlResponse, Request

from crawler.middlewares.charset import CharsetMiddleware
from crawler.outlets import get_outlet
from crawler.outlets.base import ParsedArticle, ParseError
from crawler.pipelines.canonicalize import canonical
from crawler.pipelines.validate import missing_fields
from storage import ArticleText, Store
from storage.models import Version

log = logging.getLogger(__name__)


@dataclass
class ReextractReport:
    snapshots: int = 0
    unreadable: int = 0  # pages the parser rejects (consent pages, error pages, ...)
    articles: Counter[str] = field(default_factory=Counter)  # by RebuildResult.status
    versions_before: int = 0
    versions_after: int = 0

    def summary(self) -> str:
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(self.articles.items())) or "none"
        return (f"{self.snapshots} snapshots, {self.unreadable} not articles; articles: {statuses}; "
                f"versions {self.versions_before} -> {self.versions_after}")


def parse_snapshot(store: Store, outlet_name: str, sha: str) -> ParsedArticle | None:
    url, content_type, body = store.fetches.load_snapshot(sha)
    outlet = get_outlet(outlet_name)
    headers = {"Content-Type": content_type} if content_type else {}
    request = Request(url)
    # decoded as the crawl decoded it: an undeclared Shift_JIS / EUC-JP page is sniffed the same way
    response = CharsetMiddleware().process_response(
        request, HtmlResponse(url=url, body=body, headers=headers, request=request))
    try:
        article = outlet.parse_article(response)
    except ParseError as exc:
        log.debug("%s: %s", url, exc.reason)
        return None
    # what CanonicalizePipeline and ValidatePipeline do in a crawl
    article = canonical(article)
    return article if article.stable_key and not missing_fields(article) else None


def reextract(store: Store, outlet: str | None = None) -> ReextractReport:
    report = ReextractReport()
    states: dict[str, list[tuple[ArticleText, str]]] = {}
    outlets = dict(_fetch_outlets(store, outlet))
    for _fetch_id, sha, _key in store.fetches.article_snapshots(outlet):
        report.snapshots += 1
        outlet_name = outlets.get(sha)
        parsed = parse_snapshot(store, outlet_name, sha) if outlet_name else None
        if parsed is None:
            report.unreadable += 1
            continue
        text = ArticleText.of(parsed)
        if not text.description:
            text = _feed_lead(store, text, sha)
        states.setdefault(text.key, []).append((text, sha))
    for key_states in states.values():
        result = store.articles.rebuild_article(key_states)
        report.articles[result.status] += 1
        report.versions_before += result.versions_before
        report.versions_after += result.versions_after
    return report


def _fetch_outlets(store: Store, outlet: str | None) -> list[tuple[str, str]]:
    filters = {"role": "article"} | ({"outlet": outlet} if outlet else {})
    return [(f.snapshot_sha, f.outlet) for f in store.fetches.where(**filters) if f.snapshot_sha and f.outlet]


def _feed_lead(store: Store, text: ArticleText, sha: str) -> ArticleText:
    """NHK teasers take their lead from the feed (the spider adds it): keep the one stored with the page."""
    with store.db.session() as s:
        version = s.query(Version).filter(Version.snapshot_sha == sha).first()
        if version is not None and version.lead and (version.sources or {}).get("description") == "feed":
            return replace(text, description=version.lead, sources={**text.sources, "description": "feed"})
    return text
