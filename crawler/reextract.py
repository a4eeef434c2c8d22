"""Re-extraction: after a parser fix, rebuild stored versions from the raw snapshots (no refetching).

Every article page kept (fetch log order) is parsed again with its outlet's ``parse_article`` at the URL
it was fetched from and goes through the crawl's own ingest steps (:mod:`crawler.ingest`): validated and
filed under its stable key, its article's versions rebuilt (same version rules as a crawl: nothing is
duplicated; running it twice changes nothing the second time), and the versions of every article it
rebuilt flagged again (topic decision, thread, alerts), as the crawl flags what it stores.

A parser that fails on one snapshot with an unexpected exception (a bug, not a :class:`ParseError`) does
not stop the run: the snapshot is logged and counted, its article is left as it was (a version whose
snapshot was not read is never rebuilt away), and the summary names it.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace

from scrapy.http import HtmlResponse, Request, TextResponse

from crawler.flagging import FlagTally, flag_backlog
from crawler.ingest import admit, rebuild
from crawler.middlewares.charset import CharsetMiddleware
from crawler.outlets import get_outlet
from crawler.outlets.base import ParsedArticle, ParseError
from storage.models import Version
from storage.store import Store
from storage.versions import ArticleText

log = logging.getLogger(__name__)


class ParserBug(Exception):
    """An outlet parser raised something other than :class:`ParseError` on a snapshot."""

    def __init__(self, sha: str, url: str, error: BaseException) -> None:
        super().__init__(f"{url} (snapshot {sha[:12]}): {type(error).__name__}: {error}")
        self.sha, self.url, self.error = sha, url, error


@dataclass
class ReextractReport:
    snapshots: int = 0
    unreadable: int = 0  # pages the parser rejects (consent pages, error pages, ...)
    parser_errors: list[ParserBug] = field(default_factory=list)  # snapshots a parser failed on
    articles: Counter[str] = field(default_factory=Counter)  # by RebuildResult.status
    versions_before: int = 0
    versions_after: int = 0
    flags: FlagTally = field(default_factory=FlagTally)  # the rebuilt articles' versions, flagged again

    def summary(self) -> str:
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(self.articles.items())) or "none"
        flags = self.flags
        lines = [f"{self.snapshots} snapshots, {self.unreadable} not articles, "
                 f"{len(self.parser_errors)} parser errors; articles: {statuses}; "
                 f"versions {self.versions_before} -> {self.versions_after}; "
                 f"flagged {flags.decided} versions ({flags.flagged} ministerial, {flags.failed} failed)"]
        lines += [f"parser error: {bug}" for bug in self.parser_errors]
        return "\n".join(lines)


def parse_snapshot(store: Store, outlet_name: str, sha: str) -> ParsedArticle | None:
    """The article a snapshot holds, validated and canonicalized as a crawl does; ``None`` when the
    parser or the ingest steps refuse it. A parser bug raises :class:`ParserBug`."""
    url, content_type, body = store.fetches.load_snapshot(sha)
    outlet = get_outlet(outlet_name)
    headers = {"Content-Type": content_type} if content_type else {}
    request = Request(url)
    # decoded as the crawl decoded it: an undeclared Shift_JIS / EUC-JP page is sniffed the same way
    response = CharsetMiddleware().process_response(
        request, HtmlResponse(url=url, body=body, headers=headers, request=request))
    assert isinstance(response, TextResponse)  # the middleware re-decodes, it never makes a page binary
    try:
        article = outlet.parse_article(response)
    except ParseError as exc:
        log.debug("%s: %s", url, exc.reason)
        return None
    except Exception as exc:  # a bug in one parser must not stop the others' snapshots
        raise ParserBug(sha, url, exc) from exc
    admitted, reason = admit(article)
    if admitted is None:
        log.debug("%s: %s", url, reason)
    return admitted


def reextract(store: Store, outlet: str | None = None) -> ReextractReport:
    report = ReextractReport()
    states: dict[str, list[tuple[ArticleText, str | None]]] = {}
    outlets = dict(_fetch_outlets(store, outlet))
    for _fetch_id, sha, _key in store.fetches.article_snapshots(outlet):
        report.snapshots += 1
        text = _read(store, outlets.get(sha), sha, report)
        if text is not None:
            states.setdefault(text.key, []).append((text, sha))
    rebuilt: set[str] = set()  # outlets
    for key_states in states.values():
        result = rebuild(store, key_states)
        report.articles[result.status] += 1
        report.versions_before += result.versions_before
        report.versions_after += result.versions_after
        if result.status == "rebuilt":
            rebuilt.add(key_states[0][0].outlet)
    _flag_again(store, rebuilt, report.flags)
    return report


def _read(store: Store, outlet_name: str | None, sha: str, report: ReextractReport) -> ArticleText | None:
    try:
        parsed = parse_snapshot(store, outlet_name, sha) if outlet_name else None
    except ParserBug as bug:
        log.error("parser error, snapshot skipped: %s", bug, exc_info=bug.error)
        report.parser_errors.append(bug)
        return None
    if parsed is None:
        report.unreadable += 1
        return None
    text = ArticleText.of(parsed)
    return text if text.description else _feed_lead(store, text, sha)


def _flag_again(store: Store, outlets: set[str], tally: FlagTally) -> None:
    """Flag the rebuilt articles' versions (their decisions went with the rebuild) in the order they were
    stored, as a crawl flags its backlog (:func:`crawler.flagging.flag_backlog`, which also catches up
    any version a stopped crawl left unflagged)."""
    for outlet in sorted(outlets):
        tally.last_version_id = 0
        while flag_backlog(store, outlet, tally):
            pass


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
