"""Dashboard benchmark (prints figures; not a test): ``python -m tests.benchmarks.dashboard [--articles N]``.

1. Generates a database of N articles (default 100,000) and 1.25 N versions (a quarter of the articles
   edited once, with the diff the crawl would store), topic decisions, event threads (every fifth
   article a member, ~6 per talk, with MOFA readouts and syndicated copies), fetch-log runs with blocked
   fetches — in bulk through Core, in a fresh SQLite file or in the database ``--db`` names (emptied).
2. Builds the desk's search index (timed).
3. Requests every page through the WSGI app (Flask's test client: server time, templates included),
   each ``--repeat`` times with varying arguments, and prints p50 / p95 / max per page; the goals are
   p95 ≤ 150 ms for a page and ≤ 300 ms for a search.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from crawler.syndication import TEXT_RULES
from storage.diff import version_diff
from storage.models import Article, Base, Fetch, Thread, ThreadMember, TopicMatch, Version
from storage.store import Store

PAGE_GOAL_MS = 150.0
SEARCH_GOAL_MS = 300.0
OUTLETS = ("jiji", "nhk", "reuters", "mofa")
PAIRS = (("iwaya", "rubio", "岩屋", "ルビオ", "foreign", "日米外相会談"),
         ("motegi", "rubio", "茂木", "ルビオ", "foreign", "日米外相会談"),
         ("akazawa", "bessent", "赤沢", "ベッセント", "tariff", "日米関税協議"),
         ("akazawa", "lutnick", "赤沢", "ラトニック", "economic_2plus2", "日米経済版2+2"),
         ("nakatani", "hegseth", "中谷", "ヘグセス", "defense", "日米防衛相会談"),
         ("kato", "bessent", "加藤", "ベッセント", "finance", "日米財務相会談"))
PLACES = ("ワシントン", "東京", "ニューヨーク", "ジュネーブ", "マニラ", "カナダ")
TOPICS = ("関税措置", "対米投資", "抑止力の強化", "北朝鮮の核・ミサイル問題", "経済安全保障",
          "半導体の供給網", "防衛装備品の共同開発", "為替の動向", "農産品の市場開放", "インド太平洋の安定",
          "自動車関税", "エネルギー協力")
ENGLISH = ("The two ministers agreed to deepen the alliance.", "Talks on tariffs will continue next week.",
           "Rubio said the meeting was productive.", "Bessent and Akazawa discussed currency markets.")


@dataclass
class Sizes:
    articles: int
    edited_share: float = 0.25
    member_share: float = 0.2
    per_talk: int = 6


def _sentence(rng: random.Random, jp: str, us: str, n: int) -> str:
    topic = rng.choice(TOPICS)
    return (f"{jp}氏は{rng.choice(PLACES)}で{us}氏と会談し、{topic}について意見交換した。"
            f"第{n}回目の協議では{rng.choice(TOPICS)}でも一致した。")


def _text(rng: random.Random, n: int, pair: tuple[str, ...], english: bool) -> dict[str, str]:
    jp, us = pair[2], pair[3]
    if english:
        body = " ".join(rng.choice(ENGLISH) for _ in range(6)) + f" Round {n} of the talks."
        return {"title": f"US-Japan talks: {pair[0].title()} and {pair[1].title()} meet ({n})",
                "lead": rng.choice(ENGLISH), "body": body}
    body = "\n".join(_sentence(rng, jp, us, n) for _ in range(rng.randint(4, 8)))
    return {"title": f"{pair[5]} {jp}・{us}両氏が{rng.choice(TOPICS)}を協議 第{n}報",
            "lead": _sentence(rng, jp, us, n), "body": body}


def _edited(rng: random.Random, text: dict[str, str]) -> dict[str, str]:
    body = text["body"].split("\n")
    body.insert(rng.randint(0, len(body)), f"政府関係者によると、{rng.choice(TOPICS)}も議題になった。")
    if rng.random() < 0.2:
        body.append("※当初の記事で会談時間に誤りがありました。訂正します。")
    return {**text, "body": "\n".join(body)}


def _batches(rows: Iterator[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(store: Store, sizes: Sizes, seed: int = 17) -> dict[str, int]:
    """Fill an empty database; returns the row counts."""
    rng = random.Random(seed)
    start = datetime(2024, 10, 1, tzinfo=UTC)
    step = round(1 / sizes.member_share)  # every step-th article is a member of a talk
    talks = max(1, sizes.articles // step // sizes.per_talk)
    counts = dict.fromkeys(("articles", "versions", "threads", "members", "fetches"), 0)

    def published_at(a: int) -> datetime:  # an article every 10 minutes: 100k articles span ~2 years
        return start + timedelta(minutes=10 * a)

    def talk_of(a: int) -> int | None:
        return min(talks, (a // step - 1) // sizes.per_talk + 1) if a % step == 0 else None

    with store.db.engine.begin() as conn:
        thread_rows, thread_pairs = [], {}
        for t in range(1, talks + 1):
            pair = PAIRS[t % len(PAIRS)]
            first = published_at(((t - 1) * sizes.per_talk + 1) * step)
            last = published_at(min(t * sizes.per_talk * step, sizes.articles))
            thread_pairs[t] = pair
            thread_rows.append({"id": t, "title": f"{pair[5]} {first:%Y-%m-%d} {pair[2]}–{pair[3]}",
                                "signature": {"pair": "日米", "type": pair[4], "label": pair[5],
                                              "participants": [pair[0], pair[1]], "date": f"{first:%Y-%m-%d}",
                                              "names": [pair[2], pair[3]]},
                                "first_published": first.isoformat(), "last_published": last.isoformat()})
        for batch in _batches(iter(thread_rows)):
            conn.execute(insert(Thread), batch)
        counts["threads"] = talks
        version_id = 0
        openers: set[int] = set()
        articles, versions, matches, members = [], [], [], []
        for a in range(1, sizes.articles + 1):
            member_of = talk_of(a)
            pair = thread_pairs[member_of] if member_of else PAIRS[a % len(PAIRS)]
            published = published_at(a)
            outlet = OUTLETS[a % len(OUTLETS)]
            key = f"{outlet}:{a:09d}"
            copy_of = a - step if member_of and talk_of(a - step) == member_of and a % 29 == 0 else None
            articles.append({"id": a, "key": key, "outlet": outlet, "stable_key": f"{a:09d}",
                             "canonical_url": f"https://example.test/{outlet}/{a}", "lang": "ja",
                             "published": published.isoformat(), "first_seen": published,
                             "last_seen": published,
                             "label": "ministerial" if member_of else rng.choice(("other", "related")),
                             "kind": "article", "copy_of_id": copy_of, "next_visit_at": None})
            text = _text(rng, a, pair, english=outlet == "reuters" and a % 3 == 0)
            version_id += 1
            versions.append(_version(version_id, a, 1, text, None, published, outlet))
            matches.append({"version_id": version_id, "article_id": a, "label": articles[-1]["label"],
                            "score": 0.9, "terms": [{"category": "pair", "surface": pair[5], "ref": None}],
                            "explanation": f"flagged: {pair[2]} + {pair[3]}"})
            if rng.random() < sizes.edited_share:
                version_id += 1
                edited = _edited(rng, text)
                seen = published + timedelta(hours=2)
                versions.append(_version(version_id, a, 2, edited, text, seen, outlet))
            if member_of:
                role = "official" if outlet == "mofa" else "follow-up" if member_of in openers else "opener"
                openers.add(member_of)
                members.append({"thread_id": member_of, "article_key": key, "role": role,
                                "published": published.astimezone(UTC).isoformat(), "joined_at": published})
            if len(articles) >= 5000:
                _flush(conn, articles, versions, matches, members, counts)
        _flush(conn, articles, versions, matches, members, counts)
        counts["fetches"] = _fetches(conn, rng, start)
    return counts


def _version(version_id: int, article_id: int, seq: int, text: dict[str, str], before: dict[str, str] | None,
             seen: datetime, outlet: str) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    if before is None:
        kind, added, removed = "first", 0, 0
    else:
        diff, kind, added, removed = version_diff(before, text)
    return {"id": version_id, "article_id": article_id, "seq": seq, "fingerprint": f"{version_id:064x}",
            "title": text["title"], "lead": text["lead"], "body": text["body"], "published": None,
            "modified": None, "body_complete": True, "change_kind": kind, "chars_added": added,
            "chars_removed": removed, "diff": diff, "url": f"https://example.test/{outlet}/{article_id}",
            "snapshot_sha": None, "sources": {}, "created_at": seen}


def _flush(conn: Any, articles: list[dict[str, Any]], versions: list[dict[str, Any]],
           matches: list[dict[str, Any]], members: list[dict[str, Any]], counts: dict[str, int]) -> None:
    for model, rows, name in ((Article, articles, "articles"), (Version, versions, "versions"),
                              (TopicMatch, matches, None), (ThreadMember, members, "members")):
        if rows:
            conn.execute(insert(model), rows)
            if name:
                counts[name] += len(rows)
            rows.clear()


def _fetches(conn: Any, rng: random.Random, start: datetime) -> int:
    rows = []
    for run in range(200):
        outlet = OUTLETS[run % len(OUTLETS)]
        for i in range(50):
            outcome = rng.choice(("new", "unchanged", "not_modified", "changed", "blocked", "error",
                                  "fetched"))
            rows.append({"run_id": f"run-{run:05d}", "outlet": outlet, "url": f"https://example.test/{outlet}/{i}",
                         "role": "article", "status": 200, "bytes": 1000, "outcome": outcome,
                         "reason": "DataDome" if outcome == "blocked" else None,
                         "fetched_at": start + timedelta(minutes=run * 30 + i)})
    conn.execute(insert(Fetch), rows)
    return len(rows)


# --- timing -----------------------------------------------------------------------------------------

def _paths(rng: random.Random, counts: dict[str, int]) -> dict[str, Callable[[], str]]:
    threads, articles = counts["threads"], counts["articles"]
    return {
        "talks": lambda: "/",
        "talks page 5": lambda: "/?page=5",
        "talks ?outlet": lambda: f"/?outlet={rng.choice(OUTLETS)}",
        "talks ?pair": lambda: "/?pair=" + "%2B".join(rng.choice(PAIRS)[:2]),
        "talks ?type+label": lambda: f"/?type={rng.choice(PAIRS)[4]}&label=ministerial",
        "talks ?edited": lambda: "/?edited=1",
        "talks ?dates": lambda: "/?since=2024-11-01&until=2024-11-30",
        "talks ?sort=edit": lambda: "/?sort=edit",
        "talk": lambda: f"/talk/{rng.randint(1, threads)}",
        "article": lambda: f"/article/{rng.randint(1, articles)}",
        "article side-by-side": lambda: f"/article/{rng.randint(1, articles)}?a=1&b=1&view=side",
        "edits": lambda: "/edits",
        "edits ?outlet page 3": lambda: f"/edits?outlet={rng.choice(OUTLETS)}&page=3",
        "health": lambda: "/health",
        "feed talk": lambda: f"/talk/{rng.randint(1, threads)}/feed.atom",
        "feed ?outlet": lambda: f"/feed.atom?outlet={rng.choice(OUTLETS)}",
        "search JA (common)": lambda: "/search?q=" + rng.choice(TOPICS),
        "search JA (2 chars)": lambda: "/search?q=" + rng.choice(("関税", "投資", "防衛", "為替")),
        "search JA (rare)": lambda: f"/search?q=第{rng.randint(1, articles)}報",
        "search EN": lambda: "/search?q=" + rng.choice(("rubio", "tariffs", "Bessent", "alliance")),
        "search + filters": lambda: f"/search?q={rng.choice(TOPICS)}&outlet={rng.choice(OUTLETS)}&edited=1",
    }


def time_pages(app: Any, counts: dict[str, int], repeat: int, seed: int = 5) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    client = app.test_client()
    figures: dict[str, dict[str, float]] = {}
    for name, make in _paths(rng, counts).items():
        client.get(make())  # warm: statements compiled, pages in the cache as a working desk has them
        samples = []
        for _ in range(repeat):
            path = make()
            began = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")
        samples.sort()
        p95 = samples[min(len(samples) - 1, max(0, round(0.95 * len(samples)) - 1))]
        figures[name] = {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1),
                         "max_ms": round(samples[-1], 1)}
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--db", help="database URL to use (emptied first); default a temporary SQLite file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="talkwatch-dashboard-") as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'desk.sqlite3'}"
        return run(url, args.articles, args.repeat)


def run(url: str, articles: int, repeat: int) -> dict[str, Any]:
    from crawler.web import create_app

    store = Store(url, rules=TEXT_RULES)
    with store.db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS web_search")
    Base.metadata.drop_all(store.db.engine)
    store.db.create_schema()
    began = time.perf_counter()
    counts = generate(store, Sizes(articles))
    if store.db.engine.dialect.name == "postgresql":
        with store.db.engine.begin() as conn:  # what autovacuum does to a database that grew
            conn.exec_driver_sql("ANALYZE")
    generated_s = time.perf_counter() - began
    print(f"generated {counts} in {generated_s:.1f} s ({store.db.engine.dialect.name})", flush=True)
    began = time.perf_counter()
    app = create_app(store)
    index_s = time.perf_counter() - began
    print(f"search index built in {index_s:.1f} s", flush=True)
    pages = time_pages(app, counts, repeat)
    print(f"{'page':<24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  goal")
    for name, f in pages.items():
        goal = SEARCH_GOAL_MS if name.startswith("search") else PAGE_GOAL_MS
        verdict = "ok" if f["p95_ms"] <= goal else "OVER"
        print(f"{name:<24} {f['p50_ms']:>8} {f['p95_ms']:>8} {f['max_ms']:>8}  ≤{goal:.0f} {verdict}")
    store.db.dispose()
    figures = {"database": store.db.engine.dialect.name, **counts, "generate_s": round(generated_s, 1),
                  "search_index_s": round(index_s, 1), "pages": pages}
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
