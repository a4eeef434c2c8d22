"""Ingest benchmark (prints figures; not a test): ``python -m tests.benchmarks.ingest [--pages N]``.

1. Generates N article pages (default 2,000; ~50–150 KB each) in jiji's and NHK's markup, made from the
   project's own fixture pages with invented text, plus a listing / RSS feed linking them, in a temporary
   site folder served by the mirror.
2. Baseline: a do-nothing Scrapy spider fetches the same pages from the same mirror (pages/s), once before
   the ingest and once after it; the figure is the mean of the two.
3. Full ingest: ``talkwatch`` crawls (fetch → parse → dedupe → version → flag → SQLite), pages/s and the
   the crawl process's peak RSS (it flags each version itself).
4. Second poll over the unchanged mirror, revisiting every article too: bytes downloaded as a share of
   the first poll's, and versions written.
5. Corrections: every tenth article gets a one-sentence correction (a figure in one sentence changed, a
   correction note added); a third poll stores them, and the stored diff's size is compared with the
   body's (UTF-8 bytes; the readable form diffs were stored in before migration 0005 too).
6. Near-duplicate lookups with 10k and 100k stored articles (ms per lookup).

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert, select
from sqlalchemy.orm import aliased

from crawler.mirror import SITE_DIR
from crawler.mirror.server import MirrorServer
from crawler.outlets import get_outlet
from crawler.service.crawl import run_crawl
from crawler.syndication import TEXT_RULES, minhash, signature_text
from storage.diff import render, texts
from storage.models import Article, Signature, SignatureBand, Version
from storage.store import Store
from storage.syndication import band_buckets
from tests.support import page_response

REPO = Path(__file__).resolve().parents[2]

# invented sentence parts about US–Japan ministerial talks (no outlet's text)
_WHO = ["岩屋毅外相", "中谷元防衛相", "赤沢亮正経済再生担当相", "茂木敏充外相", "加藤勝信財務相",
        "林芳正官房長官"]
_US = ["ルビオ国務長官", "ヘグセス国防長官", "ベッセント財務長官", "ラトニック商務長官", "グリア通商代表"]
_WHERE = ["ワシントン", "東京都内", "ニューヨーク", "シンガポール", "ブリュッセル", "マニラ", "オタワ",
          "ソウル"]
_TOPIC = ["関税措置", "同盟の抑止力", "経済安全保障", "半導体の供給網", "防衛装備品の共同生産", "為替の動向",
          "エネルギー協力", "造船分野の協力", "重要鉱物の確保", "在日米軍の再編", "北朝鮮の核・ミサイル開発",
          "台湾海峡の平和と安定", "南シナ海の情勢", "自由で開かれたインド太平洋"]
_VERB = ["について意見を交わした", "を巡り協議を続けることで一致した", "で緊密に連携する方針を確認した",
         "に関する作業部会の設置を提案した", "への懸念を伝えた", "の具体化を急ぐ考えを示した",
         "を巡る認識のずれを埋める必要があると強調した", "について年内に結論を得たいと述べた"]
_TAIL = ["会談は約{n}分間行われた。", "両氏は{n}日にも電話で協議する予定だ。",
         "政府関係者によると、協議は{n}回目となる。", "日本側は{n}項目の提案を示したという。",
         "同行筋は「{n}点で前進があった」と語った。"]


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return rng.choice(_TAIL).format(n=rng.randint(2, 90))
    return (f"{rng.choice(_WHO)}は{rng.randint(1, 28)}日、{rng.choice(_WHERE)}で{rng.choice(_US)}と会談し、"
            f"{rng.choice(_TOPIC)}{rng.choice(_VERB)}。")


_KANJI = ("日米外相会談同盟関税協議政府経済安全保障防衛国務長官首脳貿易交渉合意表明記者問題"
          "地域平和安定強化連携確認提案意見交換共同声明発表予算国会審議委員会法案改正制度支援対策"
          "影響市場為替金融政策半導体供給網資源")
_KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"


def vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    """Random 'words' (kanji compounds and katakana names): texts drawn from them overlap about as little
    as unrelated news stories do (template sentences would make every pair ~30 % alike)."""
    words = []
    for _ in range(size):
        alphabet = _KANA if rng.random() < 0.3 else _KANJI
        words.append("".join(rng.choice(alphabet) for _ in range(rng.randint(2, 4))))
    return words


def diverse_text(rng: random.Random, words: list[str], length: int = 300) -> str:
    parts, total = [], 0
    while total < length:
        part = rng.choice(words) + rng.choice(("は", "が", "を", "に", "で", "と", "の", "、", "。"))
        parts.append(part)
        total += len(part)
    return "".join(parts)


def paragraph(rng: random.Random, sentences: int) -> str:
    return "".join(sentence(rng) for _ in range(sentences))


def body_paragraph(rng: random.Random, words: list[str], sentences: int) -> str:
    """One sentence about the talks, then text from the random vocabulary: bodies made only of template
    sentences share so many character shingles that every article was a near-duplicate candidate of
    ~40 % of the others (news stories on different events share few)."""
    return sentence(rng) + diverse_text(rng, words, 45 * (sentences - 1)) + "。"


def filler(rng: random.Random, size: int) -> str:
    """Script noise like the ad and analytics code that makes real pages 50–150 KB (parsers skip it)."""
    lines, total = [], 0
    while total < size:
        slot = rng.randint(1000, 9999)
        line = (f"googletag.defineSlot('/{rng.randint(10**6, 10**7)}/news/pc_article_{slot}', [[300, 250], "
                f"[336, 280]], 'div-gpt-ad-{slot}-{rng.randint(0, 99)}').addService(googletag.pubads());\n")
        lines.append(line)
        total += len(line.encode())
    return "<script>\n" + "".join(lines) + "</script>\n"


@dataclass(frozen=True)
class Template:
    outlet: str
    file: str
    url: str  # the template page's URL
    page_id: str  # the id inside the template, replaced by each page's own
    make_id: Callable[[int], str]
    make_url: Callable[[str], str]
    discovery_url: str
    discovery: Callable[[list[tuple[str, str, str]]], str]  # [(url, title, lead)] -> document


def _jiji_listing(items: list[tuple[str, str, str]]) -> str:
    links = "\n".join(f'<li><a href="{url.replace("https://www.jiji.com", "")}&amp;g=pol"><p>{title}</p>'
                      f"<span>(01/22 15:20)</span></a></li>" for url, title, _ in items)
    return ('<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8">'
            "<title>政治：時事ドットコム</title></head>"
            f'<body><div id="Main"><div class="ArticleListMain"><ul class="LinkList">\n{links}\n</ul></div>'
            f"</div></body></html>\n")


def _nhk_feed(items: list[tuple[str, str, str]]) -> str:
    entries = "\n".join(f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid>"
                        f"<pubDate>Wed, 24 Sep 2025 08:12:30 +0900</pubDate><description>{lead}</description>"
                        f"</item>" for url, title, lead in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            "<title>NHKニュース 政治</title>"
            f"<link>https://news.web.nhk/newsweb</link><description>政治</description>\n{entries}\n"
            "</channel></rss>\n")


TEMPLATES = [
    Template("jiji", "article_2025012200455.html", "https://www.jiji.com/jc/article?k=2025012200455",
             "2025012200455", lambda i: f"20250122{50000 + i:05d}",
             lambda page_id: f"https://www.jiji.com/jc/article?k={page_id}",
             "https://www.jiji.com/jc/list?g=pol", _jiji_listing),
    Template("nhk", "www3_k10014920011000.html", "https://www3.nhk.or.jp/news/html/20250924/k10014920011000.html",
             "k10014920011000", lambda i: f"k10019{i:06d}000",
             lambda page_id: f"https://www3.nhk.or.jp/news/html/20250924/{page_id}.html",
             "https://news.web.nhk/n-data/conf/na/rss/cat4.xml", _nhk_feed),
]


def generate_site(site: Path, pages: int, seed: int = 4) -> dict[str, dict[str, Any]]:
    """Write the pages and routes; returns, per outlet, its discovery URL, article URLs and, per article,
    its file and body paragraphs (``pages``)."""
    rng = random.Random(seed)
    words = vocabulary(random.Random(seed + 1))
    plan: dict[str, dict[str, Any]] = {}
    for index, template in enumerate(TEMPLATES):
        count = pages // len(TEMPLATES) + (1 if index < pages % len(TEMPLATES) else 0)
        folder = site / template.outlet
        folder.mkdir(parents=True, exist_ok=True)
        raw = (SITE_DIR / template.outlet / template.file).read_text("utf-8")
        parsed = get_outlet(template.outlet).parse_article(
            page_response(template.outlet, template.file, template.url))
        routes: list[dict[str, Any]] = [{"url": f"{template.discovery_url.split('/', 3)[0]}//"
                                                f"{template.discovery_url.split('/')[2]}/robots.txt",
                                         "file": "robots.txt"}]
        (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n", "utf-8")
        items, bodies = [], {}
        for i in range(count):
            page_id = template.make_id(i)
            url = template.make_url(page_id)
            title = f"{rng.choice(_WHO)}、{rng.choice(_US)}と会談　{rng.choice(_TOPIC)}で協議 {i}"
            lead = paragraph(rng, 2)
            html = raw.replace(template.page_id, page_id).replace(parsed.title, title)
            if parsed.description:
                html = html.replace(parsed.description, lead)
            paragraphs = []
            for old in parsed.paragraphs:
                if old != parsed.description:
                    new = body_paragraph(rng, words, rng.randint(4, 9))
                    if old in html:  # jiji's template page keeps its own short body: not found verbatim
                        paragraphs.append(new)
                    html = html.replace(old, new, 1)
            html = html.replace("</body>", filler(rng, rng.randint(45_000, 140_000)) + "</body>", 1)
            name = f"{page_id}.html"
            (folder / name).write_text(html, "utf-8")
            routes.append({"url": url, "file": name})
            items.append((url, title, lead))
            bodies[url] = (folder / name, paragraphs)
        discovery_name = "discovery.xml" if template.discovery_url.endswith(".xml") else "discovery.html"
        (folder / discovery_name).write_text(template.discovery(items), "utf-8")
        routes.append({"url": template.discovery_url, "file": discovery_name})
        (folder / "routes.yaml").write_text(yaml.safe_dump(routes, allow_unicode=True), "utf-8")
        plan[template.outlet] = {"discovery": template.discovery_url, "urls": [u for u, _, _ in items],
                                 "pages": bodies}
    return plan


CORRECTION_NOTE = "※当初、会談の日付に誤りがありました。訂正します。"


def correct_pages(plan: dict[str, dict[str, Any]], every: int = 10) -> int:
    """A one-sentence correction on every ``every``-th article page with a generated body (jiji's template
    keeps its own 191-character body): a figure in the first sentence of a body paragraph changed, and a
    correction note after the last paragraph. Returns the pages changed."""
    changed = 0
    for entry in plan.values():
        bodies = [(path, paragraphs) for path, paragraphs in entry["pages"].values() if paragraphs]
        for index, (path, paragraphs) in enumerate(bodies):
            if index % every:
                continue
            html = path.read_text("utf-8")
            first = paragraphs[len(paragraphs) // 2]
            corrected = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), first, count=1)
            if corrected == first:
                corrected = first.replace("。", "とみられる。", 1)
            html = html.replace(first, corrected, 1)
            last = corrected if len(paragraphs) == 1 else paragraphs[-1]
            html = html.replace(last, last + CORRECTION_NOTE, 1)
            path.write_text(html, "utf-8")
            changed += 1
    return changed


def diff_sizes(store: Store) -> dict[str, Any]:
    """Corrections' stored diff size against the body's (UTF-8 bytes), and the size of the readable form
    talkwatch stored before migration 0005 (ASCII-escaped JSON)."""
    before = aliased(Version)
    with store.db.session() as s:
        rows = s.execute(select(Version.diff, Version.body, before)
                         .join(before, (before.article_id == Version.article_id)
                               & (before.seq == Version.seq - 1))
                         .where(Version.change_kind.like("%correction%"))).all()
    if not rows:
        return {"corrections": 0}
    stored = sum(len(json.dumps(diff, ensure_ascii=False).encode()) for diff, _, _ in rows)
    readable = sum(len(json.dumps(render(diff, texts(previous))).encode()) for diff, _, previous in rows)
    body = sum(len(text.encode()) for _, text, _ in rows)
    n = len(rows)
    return {"corrections": n, "body_bytes": round(body / n), "diff_bytes": round(stored / n),
            "readable_diff_bytes": round(readable / n), "diff_ratio": round(stored / body, 3),
            "readable_diff_ratio": round(readable / body, 3)}


def run_baseline(urls: list[str], mirror_url: str, workdir: Path) -> tuple[float, int]:
    """Pages/s of the do-nothing spider (Scrapy's own elapsed time, like the ingest figure)."""
    urls_file, stats_file = workdir / "urls.txt", workdir / "baseline_stats.json"
    urls_file.write_text("\n".join(urls), "utf-8")
    command = [sys.executable, "-m", "tests.benchmarks.baseline", str(urls_file), mirror_url, str(stats_file)]
    subprocess.run(command, check=True, cwd=REPO, capture_output=True)
    stats = json.loads(stats_file.read_text("utf-8"))
    pages = int(stats.get("response_received_count", 0))
    return pages / float(stats["elapsed_time_seconds"]), pages


def poll(plan: dict[str, dict[str, Any]], db_url: str, mirror: MirrorServer, settings: dict[str, str],
         revisit: bool = False) -> tuple[float, int, float, float]:
    """One crawl per outlet; returns (Scrapy seconds, article pages fetched, body bytes the mirror sent,
    peak MB of a crawl process)."""
    seconds, pages, before, peak = 0.0, 0, mirror.bytes_sent, 0.0
    for outlet, entry in plan.items():
        args = {"start_urls": entry["discovery"]} | ({"revisit": "1"} if revisit else {})
        result = run_crawl(outlet, db_url, mirror_url=mirror.base_url, timeout=1800, settings=settings,
                           spider_args=args)
        if not result.ok:
            raise RuntimeError(f"{outlet} crawl failed:\n{result.log_tail}")
        seconds += float(result.stats.get("elapsed_time_seconds", 0))
        peak = max(peak, float(result.stats.get("talkwatch/peak_rss_mb", 0)))
        pages += sum(result.stat(f"versions/{s}") for s in ("new", "changed")) + result.stat("unchanged") \
            + result.stat("trivial") + result.stat("rejected")
    return seconds, pages, mirror.bytes_sent - before, peak


def neardup_timings(sizes: list[int], workdir: Path, lookups: int = 200, seed: int = 7) -> list[float]:
    """Mean ms per ``store.copies.near_duplicates`` lookup with ``size`` articles indexed, for each size."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    store = Store(f"sqlite:///{workdir / 'neardup.sqlite3'}", rules=TEXT_RULES)
    store.db.create_schema()
    stored: list[tuple[str, str]] = []
    timings = []
    try:
        for size in sizes:
            _index_articles(store, rng, words, len(stored), size, stored)
            probes = [(f"probe {i}", diverse_text(rng, words)) for i in range(lookups // 2)]
            # half the lookups are copies of stored articles (they find their match)
            probes += [rng.choice(stored) for _ in range(lookups - len(probes))]
            store.copies.near_duplicates(*probes[0])  # warm the caches
            started = time.perf_counter()
            found = sum(1 for title, body in probes if store.copies.near_duplicates(title, body))
            timings.append((time.perf_counter() - started) * 1000 / len(probes))
            assert found >= lookups - lookups // 2, f"copies not found: {found}"
    finally:
        store.db.dispose()
    return timings


def _index_articles(store: Store, rng: random.Random, words: list[str], start: int, stop: int,
                    stored: list[tuple[str, str]], batch: int = 5000) -> None:
    """Bulk-load articles with their signatures and bands (what save_version writes for each)."""
    for first in range(start, stop, batch):
        articles, signatures, bands = [], [], []
        for i in range(first, min(first + batch, stop)):
            title, body = f"記事 {i}", diverse_text(rng, words)
            stored.append((title, body))
            values = minhash(signature_text(title, body))
            outlet = ("jiji", "nhk", "reuters", "mofa")[i % 4]
            articles.append({"id": i + 1, "key": f"{outlet}:{i}", "outlet": outlet, "stable_key": str(i),
                             "canonical_url": f"https://example.test/{i}", "lang": "ja",
                             "published": "2025-01-21T12:00:00+09:00"})
            signatures.append({"article_id": i + 1, "outlet": outlet, "published": None, "credit": None,
                               "minhash": values.tobytes()})
            bands += [{"article_id": i + 1, "bucket": bucket} for bucket in band_buckets(values)]
        with store.db.session() as s:
            s.execute(insert(Article), articles)
            s.execute(insert(Signature), signatures)
            s.execute(insert(SignatureBand), bands)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.ingest",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="article pages to generate (default 2000)")
    parser.add_argument("--neardup-sizes", default="10000,100000", help="stored articles for the lookups")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.neardup_sizes.split(",")]
    # the generated pages carry 2025 dates: a schedule long enough to revisit them in the second poll
    # (set for the crawl subprocesses, and put back afterwards: pytest runs this in-process)
    previous = os.environ.get("TALKWATCH_REVISIT_SCHEDULE")
    os.environ["TALKWATCH_REVISIT_SCHEDULE"] = "100000d:1d"
    try:
        return _run(args, sizes)
    finally:
        if previous is None:
            os.environ.pop("TALKWATCH_REVISIT_SCHEDULE", None)
        else:
            os.environ["TALKWATCH_REVISIT_SCHEDULE"] = previous


def _run(args: argparse.Namespace, sizes: list[int]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="talkwatch-bench-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        plan = generate_site(workdir / "site", args.pages)
        page_bytes = sum(p.stat().st_size for p in (workdir / "site").glob("*/*.html"))
        print(f"generated {args.pages} pages, {page_bytes / args.pages / 1024:.0f} KB on average, "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
        mirror = MirrorServer(site_dirs=[workdir / "site"])
        mirror.start_in_thread()
        try:
            urls = [u for e in plan.values() for u in e["urls"]]
            # the baseline before and after the ingest, averaged: this machine's speed drifts by 20 % and
            # more within a minute, and one baseline run would lend the ratio that drift
            baseline_before, baseline_pages = run_baseline(urls, mirror.base_url, workdir)
            db_url = f"sqlite:///{workdir / 'talkwatch.sqlite3'}"
            ingest_seconds, ingest_pages, first_bytes, peak_rss_mb = poll(plan, db_url, mirror, {})
            store = Store(db_url, rules=TEXT_RULES)
            versions = store.counts()["versions"]
            print(f"ingest: {ingest_pages} pages in {ingest_seconds:.1f} s, {versions} versions, "
                  f"peak RSS {peak_rss_mb:.0f} MB", flush=True)
            later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
            settings = {"TALKWATCH_NOW": later, "TALKWATCH_REVISIT_LIMIT": str(args.pages)}
            _, _revisited, second_bytes, _ = poll(plan, db_url, mirror, settings, revisit=True)
            not_modified = len([f for f in store.fetches.where(role="article", outcome="not_modified")])
            new_versions = store.counts()["versions"] - versions
            print(f"second poll: {second_bytes} of {first_bytes} bytes, {not_modified} article 304s, "
                  f"{new_versions} new versions", flush=True)
            corrected = correct_pages(plan)
            even_later = (datetime.now(UTC) + timedelta(days=4)).isoformat()
            poll(plan, db_url, mirror, settings | {"TALKWATCH_NOW": even_later}, revisit=True)
            sizes_of_diffs = diff_sizes(store)
            store.db.dispose()
            sd = sizes_of_diffs
            print(f"corrections: {sd['corrections']} of {corrected} corrected pages stored; diff "
                  f"{sd.get('diff_bytes')} bytes for a {sd.get('body_bytes')}-byte body on average, "
                  f"{sd.get('diff_ratio')} x the body (the readable form stored before 0005: "
                  f"{sd.get('readable_diff_bytes')} bytes, {sd.get('readable_diff_ratio')} x)", flush=True)
            baseline_after, _ = run_baseline(urls, mirror.base_url, workdir)
            baseline_rate = (baseline_before + baseline_after) / 2
            print(f"baseline: {baseline_pages} pages at {baseline_rate:.1f} pages/s (before the ingest "
                  f"{baseline_before:.1f}, after {baseline_after:.1f})", flush=True)
        finally:
            mirror.stop()
        timings = neardup_timings(sizes, workdir)
        print("near-dup lookups: " + ", ".join(f"{n} articles {ms:.2f} ms" for n, ms in zip(sizes, timings,
                                                                                             strict=True)))
    ingest_rate = ingest_pages / ingest_seconds if ingest_seconds else 0.0
    figures = {
        "pages": args.pages,
        "ingest_pages_per_s": round(ingest_rate, 1),
        "baseline_pages_per_s": round(baseline_rate, 1),
        "baseline_runs_pages_per_s": [round(baseline_before, 1), round(baseline_after, 1)],
        "ingest_vs_baseline": round(ingest_rate / baseline_rate, 2) if baseline_rate else None,
        "peak_rss_mb": round(peak_rss_mb, 1),
        "first_poll_bytes": first_bytes,
        "second_poll_bytes": second_bytes,
        "second_poll_bytes_ratio": round(second_bytes / first_bytes, 4) if first_bytes else None,
        "second_poll_new_versions": new_versions,
        "second_poll_articles_304": not_modified,
        "corrected_pages": corrected,
        "correction_diffs": sizes_of_diffs,
        "correction_diff_ratio": sizes_of_diffs.get("diff_ratio"),
        "neardup_sizes": sizes,
        "neardup_10k_ms": round(timings[0], 3),
        "neardup_100k_ms": round(timings[-1], 3),
    }
    figures["targets_met"] = {
        # thirty times what a polite crawl of one outlet fetches (about a page a second)
        "ingest_ge_30_pages_per_s": ingest_rate >= 30,
        "second_poll_le_5pct_and_no_versions": (figures["second_poll_bytes_ratio"] or 0) <= 0.05
        and new_versions == 0,
        "peak_rss_le_300mb": peak_rss_mb <= 300,
        "correction_diff_le_0_3x_body": (sizes_of_diffs.get("diff_ratio") or 0) <= 0.3
        and sizes_of_diffs["corrections"] == corrected,
        "neardup_100k_le_2x_10k": timings[-1] <= 2 * timings[0],
    }
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
