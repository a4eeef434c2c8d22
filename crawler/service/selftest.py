"""The fault matrix: real crawls of the fault site, one row per fault, checked against what must happen.

The mirror serves ``crawler/mirror/faults/`` (see its ``routes.yaml`` files); the real outlet
spiders crawl it from a fault listing in each outlet's own format (``-a start_urls=...``).
MOFA's URL space carries most faults, NHK's the consent page, Reuters' the DataDome wall.
MOFA is crawled twice: the second run is "later", where a deferred retry must succeed and no
page already stored may gain a duplicate version.

For every fault the matrix reads the fetch log and the versions: the outcome of the first run,
the versions written, whether a retry happened, whether anything crashed (a spider or pipeline
exception on that URL, or a crawl process that failed).
"""

from __future__ import annotations

import re
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.mirror import FAULTS_DIR
from crawler.mirror.server import MirrorServer
from crawler.outlets import get_outlet
from crawler.service.crawl import CrawlResult, run_crawl
from storage.migrate import ensure_schema
from storage.store import Store

MOFA = "https://www.mofa.go.jp/mofaj/faults/"
START_URLS = {
    "mofa": MOFA + "index.html",
    "nhk": "https://news.web.nhk/n-data/conf/na/rss/faults.xml",
    "reuters": "https://jp.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml&faults=1",
}
# short enough that the matrix runs in seconds; the mirror's timeout fault stays silent for 3 s
CRAWL_SETTINGS = {"DOWNLOAD_TIMEOUT": "3", "RETRY_TIMES": "2", "TALKWATCH_RETRY_AFTER_MAX": "5"}


OFF_HOST_SITEMAP = "http://169.254.169.254/latest/meta-data/sitemap.xml"


def _mofa(number: int, path: str = "") -> str:
    return f"{MOFA}{path}pageit_000009_{number:05d}.html"


@dataclass(frozen=True)
class Fault:
    name: str
    outlet: str
    urls: tuple[str, ...]  # fetch-log URLs of this fault; the first is the article the listing links
    outcome: str  # expected outcome of the first run (the last fetch-log row of these URLs)
    versions: int  # expected versions written (after the later run)
    retried: bool  # expected: a retry happened (in the run, or the later run for a deferred one)
    title: str | None = None  # the text a written version must carry (no mojibake, no error page)
    never_fetched: tuple[str, ...] = ()  # URLs that must never be requested (off-site targets)


FAULTS: tuple[Fault, ...] = (
    Fault("5xx with Retry-After (1 s, once)", "mofa", (_mofa(1),), "new", 1, True, "日米外相電話会談"),
    Fault("timeout (once)", "mofa", (_mofa(2),), "new", 1, True, "日米防衛相会談"),
    Fault("connection reset (twice)", "mofa", (_mofa(3),), "new", 1, True,
          "赤沢経済再生担当大臣とベッセント財務長官との会談"),
    Fault("truncated body (once)", "mofa", (_mofa(4),), "new", 1, True, "日米経済版「２＋２」事務レベル協議"),
    Fault("Shift_JIS, declared", "mofa", (_mofa(5),), "new", 1, False, "日米外相会談（シフトJIS宣言あり）"),
    Fault("Shift_JIS, undeclared", "mofa", (_mofa(6),), "new", 1, False, "日米外相会談（シフトJIS宣言なし）"),
    Fault("EUC-JP, declared", "mofa", (_mofa(7),), "new", 1, False, "日米防衛相電話会談（EUC宣言あり）"),
    Fault("EUC-JP, undeclared", "mofa", (_mofa(8),), "new", 1, False, "日米防衛相電話会談（EUC宣言なし）"),
    Fault("malformed HTML", "mofa", (_mofa(9),), "new", 1, False, "日米次官協議"),
    Fault("10 MB page (size cap)", "mofa", (_mofa(10),), "refused", 0, False),
    Fault("redirect loop", "mofa", (_mofa(11), _mofa(11) + "?loop=1"), "refused", 0, False),
    Fault("redirect to another host", "mofa", (_mofa(12),), "refused", 0, False,
          never_fetched=("https://mofa-go-jp.example.net/mofaj/faults/pageit_000009_00012.html",)),
    Fault("robots.txt disallow", "mofa", (_mofa(13, "private/"),), "disallowed", 0, False),
    Fault("5xx with Retry-After 1 h (next run)", "mofa", (_mofa(14),), "error", 1, True,
          "日米首脳会談に向けた外相協議"),
    Fault("gzip bomb (size cap once unpacked)", "mofa", (_mofa(15),), "refused", 0, False),
    Fault("10 MB page without a length header", "mofa", (_mofa(16),), "refused", 0, False),
    Fault("hostile headline (stored as text)", "mofa", (_mofa(17),), "new", 1, False,
          "<script>alert(1)</script>日米外相会談"),
    Fault("NHK consent page", "nhk", ("https://news.web.nhk/newsweb/na/na-k10099990011000",),
          "rejected", 0, False),
    Fault("off-host sitemap entry", "reuters", (OFF_HOST_SITEMAP,), "refused", 0, False,
          never_fetched=(OFF_HOST_SITEMAP,)),
    Fault("Reuters DataDome 401", "reuters",
          ("https://jp.reuters.com/world/us/ZK4TQ8WMLV3XR7NBHC2DYPFA6E-2025-08-06/",), "blocked", 0, False),
)


@dataclass
class FaultResult:
    fault: str
    outcome: str
    reason: str
    versions_written: int
    retried: bool
    crashed: bool
    handled: bool
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"fault": self.fault, "outcome": self.outcome, "versions_written": self.versions_written,
                "retried": self.retried, "crashed": self.crashed}


def run_fault_matrix(database_url: str | None = None, timeout: float = 120) -> list[FaultResult]:
    """Crawl the fault site (into ``database_url``, default a fresh temporary SQLite file)."""
    with tempfile.TemporaryDirectory(prefix="talkwatch-selftest-") as tmp:
        db_url = database_url or f"sqlite:///{Path(tmp) / 'selftest.sqlite3'}"
        store = Store(db_url)
        ensure_schema(store.db.engine)
        keys = {fault.name: _article_key(fault) for fault in FAULTS}
        before = {name: len(store.articles.versions(key)) for name, key in keys.items()}
        tag = uuid.uuid4().hex[:8]
        mirror = MirrorServer([FAULTS_DIR])
        mirror.start_in_thread()
        try:
            def crawl(outlet: str, run: int) -> tuple[CrawlResult, str]:
                log_file = Path(tmp) / f"{outlet}-{run}.log"
                result = run_crawl(outlet, db_url, mirror_url=mirror.base_url, timeout=timeout,
                                   settings={**CRAWL_SETTINGS, "LOG_FILE": str(log_file)},
                                   spider_args={"start_urls": START_URLS[outlet]},
                                   run_id=f"selftest-{tag}-{run}")
                return result, log_file.read_text("utf-8", errors="replace") if log_file.exists() else ""

            with ThreadPoolExecutor(max_workers=3) as pool:
                first = dict(zip(START_URLS, pool.map(crawl, START_URLS, [1] * len(START_URLS)), strict=True))
            later = crawl("mofa", 2)  # "later": deferred retries, and no duplicate versions
            hits = dict(mirror.hits)
        finally:
            mirror.stop()
        results = [_judge(fault, store, tag, first[fault.outlet], later if fault.outlet == "mofa" else None,
                          len(store.articles.versions(keys[fault.name])) - before[fault.name],
                          keys[fault.name], hits)
                   for fault in FAULTS]
        store.db.dispose()
    return results


def _article_key(fault: Fault) -> str:
    outlet = get_outlet(fault.outlet)
    ref = outlet.canonicalize(fault.urls[0])
    # a discovery fault (an off-host sitemap entry) has no article: a key no version is filed under
    return f"{fault.outlet}:{ref.stable_key if ref else '(no article)'}"


def _judge(fault: Fault, store: Store, tag: str, first: tuple[CrawlResult, str],
           later: tuple[CrawlResult, str] | None, versions: int, key: str,
           hits: dict[str, int]) -> FaultResult:
    rows = [row for url in fault.urls for row in store.fetches.where(url=url)]
    rows.sort(key=lambda row: row.id)
    run1 = [row for row in rows if row.run_id == f"selftest-{tag}-1"]
    run2 = [row for row in rows if row.run_id == f"selftest-{tag}-2"]
    last = run1[-1] if run1 else None
    outcome = last.outcome if last else "not fetched"
    reason = (last.reason or "") if last else ""
    deferred = bool(last and last.outcome == "error" and "next run" in reason and run2)
    retried = any(row.outcome == "retried" for row in run1) or deferred

    logs = [first[1], later[1] if later else ""]
    crashes = [url for url in fault.urls if any(_crashed_on(url, text) for text in logs)]
    crashed = bool(crashes) or first[0].returncode != 0 or (later is not None and later[0].returncode != 0)

    problems: list[str] = []
    if outcome != fault.outcome:
        problems.append(f"outcome {outcome!r}, expected {fault.outcome!r}")
    if versions != fault.versions:
        problems.append(f"{versions} versions written, expected {fault.versions}")
    if retried != fault.retried:
        problems.append("retried" if retried else "not retried")
    if crashed:
        problems.append("crashed" + (f" on {', '.join(crashes)}" if crashes else " (crawl process failed)"))
    if fault.title and versions:
        titles = [version.title for version in store.articles.versions(key)]
        if any(title != fault.title for title in titles):
            problems.append(f"version text {titles!r}, expected {fault.title!r}")
    problems += [f"fetched {url}" for url in fault.never_fetched if hits.get(url)]
    return FaultResult(fault.name, outcome, reason, versions, retried, crashed, not problems, problems)


def _crashed_on(url: str, log_text: str) -> bool:
    """A spider callback or a pipeline raised on this URL (download errors are not crashes)."""
    pattern = re.compile(r"(Spider error processing <GET |Error processing .*)" + re.escape(url))
    return bool(pattern.search(log_text))


def format_table(results: list[FaultResult]) -> str:
    header = ("fault", "outcome", "versions", "retried", "crashed", "handled", "reason")
    rows = [header] + [
        (r.fault, r.outcome, str(r.versions_written), _yes(r.retried), _yes(r.crashed),
         "ok" if r.handled else "FAIL: " + "; ".join(r.problems), _short(r.reason))
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True))
             + "  " + row[-1] for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _short(text: str, limit: int = 90) -> str:
    text = re.sub(r"http://127\.0\.0\.1:\d+/https?/", "", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
