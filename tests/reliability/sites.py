"""Small MOFA-format sites written on the fly (the project's own invented text), for crawls that
need many articles: crash safety and concurrency."""

from __future__ import annotations

from pathlib import Path

from crawler.mirror.server import MirrorServer
from crawler.service.crawl import CrawlResult, run_crawl

INDEX_URL = "https://www.mofa.go.jp/mofaj/reliability/index.html"
MINISTERS = [("岩屋外務大臣", "ルビオ国務長官"), ("中谷防衛大臣", "ヘグセス国防長官"),
             ("赤沢経済再生担当大臣", "ベッセント財務長官"), ("武藤経済産業大臣", "ラトニック商務長官")]


def article_url(number: int) -> str:
    return f"https://www.mofa.go.jp/mofaj/reliability/pageit_000008_{number:05d}.html"


def article_page(number: int) -> str:
    japanese, american = MINISTERS[number % len(MINISTERS)]
    title = f"日米閣僚協議（第{number}回）"
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="UTF-8"><title>{title}｜外務省</title></head>
<body><div id="header"><p class="logo"><a href="/mofaj/index.html">外務省</a></p></div>
<div id="main"><div id="maincontents">
<h1 class="title2"><span>{title}</span></h1>
<p class="rtxt">令和7年9月{number % 28 + 1}日</p>
<div class="any-area">
<p>{japanese}は、{american}と第{number}回の協議を行いました。</p>
<p>双方は、日米同盟の強化と経済協力の推進に向けて、引き続き緊密に連携することで一致しました。</p>
</div></div></div></body></html>
"""


def write_site(root: Path, count: int, delay: float | None = None) -> Path:
    """A site folder with an index listing ``count`` articles, each answered after ``delay`` s."""
    folder = root / "mofa"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    links = "\n".join(f'<li><a href="{article_url(n)}">協議 {n}</a></li>' for n in range(1, count + 1))
    (folder / "index.html").write_text(
        f'<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8"><title>一覧｜外務省</title></head>'
        f'<body><div id="maincontents"><h1>一覧</h1><ul>{links}</ul></div></body></html>', encoding="utf-8")
    routes = ["- url: https://www.mofa.go.jp/robots.txt\n  file: robots.txt",
              f"- url: {INDEX_URL}\n  file: index.html"]
    for number in range(1, count + 1):
        (folder / f"a{number}.html").write_text(article_page(number), encoding="utf-8")
        route = f"- url: {article_url(number)}\n  file: a{number}.html"
        if delay:
            route += f"\n  fault: slow\n  delay: {delay}"
        routes.append(route)
    (folder / "routes.yaml").write_text("\n".join(routes) + "\n", encoding="utf-8")
    return root


def crawl_site(site: Path, outlet: str, db_url: str, start_urls: str) -> tuple[CrawlResult, dict[str, int]]:
    """One crawl of ``outlet`` from ``start_urls`` against a mirror serving ``site``; the result and the
    URLs the mirror answered (with how many times)."""
    server = MirrorServer([site])
    server.start_in_thread()
    try:
        result = run_crawl(outlet, db_url, mirror_url=server.base_url, timeout=120,
                           spider_args={"start_urls": start_urls})
        return result, dict(server.hits)
    finally:
        server.stop()


_TALK = {"new": "talk", "follow-up": "talk"}


def database_contents(db_url: str) -> dict[str, list[tuple[object, ...]]]:
    """What a crawl leaves that a reader sees, free of ids and times: articles, versions (per article,
    in order, by text fingerprint), alerts (kind, article, version) and threads (title, members), so two
    databases built by different crawls can be compared for "nothing lost, nothing doubled".

    An alert on talks is "new" for the article that opened its thread and "follow-up" for the others:
    which article came first depends on the order the crawls stored them (an article a failed crawl
    left to the next one comes later), so both count as one kind, "talk", here."""
    from sqlalchemy import select

    from storage.models import Alert, Article, Thread, ThreadMember, Version
    from storage.store import Store

    store = Store(db_url)
    try:
        with store.db.session() as s:
            articles = sorted((key,) for key in s.scalars(select(Article.key)))
            versions = sorted(tuple(row) for row in s.execute(
                select(Article.key, Version.seq, Version.fingerprint, Version.change_kind).join(Article)))
            alerts = sorted((_TALK.get(kind, kind), key, seq) for kind, key, seq in s.execute(
                select(Alert.kind, Article.key, Version.seq).join(Article, Alert.article_id == Article.id)
                .join(Version, Alert.version_id == Version.id)))
            members: dict[int, list[str]] = {}
            for thread_id, key in s.execute(select(ThreadMember.thread_id, ThreadMember.article_key)):
                members.setdefault(thread_id, []).append(key)
            threads = sorted((title, tuple(sorted(members.get(thread_id, []))))
                             for thread_id, title in s.execute(select(Thread.id, Thread.title)))
    finally:
        store.db.dispose()
    return {"articles": articles, "versions": versions, "alerts": alerts, "threads": threads}
