"""``talkwatch reextract``: versions rebuilt from raw snapshots after a parser fix, nothing refetched,
nothing duplicated. Also the jiji 速報 merge on a real crawl."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from crawler.cli import main
from crawler.mirror.server import MirrorServer
from crawler.outlets import jiji
from crawler.reextract import reextract
from crawler.service.crawl import run_crawl
from crawler.syndication import TEXT_RULES
from storage.models import Alert, Article, Fetch, TopicMatch, Version
from storage.store import Store

pytestmark = pytest.mark.slow

EDITED = "jiji:2025012100921"
FLASH, FULL = "jiji:2025031300148", "jiji:2025031300352"
# the page the broken parser below fails on
BUGGY = "jiji:2025012200455"
BUGGY_URL = "https://www.jiji.com/jc/article?k=2025012200455"
TALKWATCH = str(Path(sys.executable).parent / "talkwatch")


@pytest.fixture
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('reextract') / 'talkwatch.sqlite3'}"
    server = MirrorServer()
    server.start_in_thread()
    try:
        for state in (1, 2):
            server.state = state
            result = run_crawl("jiji", db_url, mirror_url=server.base_url, timeout=120)
            assert result.ok, result.log_tail
    finally:
        server.stop()  # reextract must not need the network
    store = Store(db_url, rules=TEXT_RULES)
    yield db_url, store
    store.db.dispose()


def bodies(store: Store) -> dict[str, list[str]]:
    with store.db.session() as s:
        rows = s.query(Article.key, Version.body).join(Version).order_by(Article.key, Version.seq).all()
    out: dict[str, list[str]] = {}
    for key, body in rows:
        out.setdefault(key, []).append(body)
    return out


def test_reextract_with_the_same_parser_changes_nothing(crawled):  # type: ignore[no-untyped-def]
    _, store = crawled
    before = bodies(store)
    report = reextract(store, "jiji")
    assert set(report.articles) == {"unchanged"}
    assert bodies(store) == before
    assert len(before[EDITED]) == 2  # the edit seen in state 2


def test_reextract_repairs_what_a_broken_parser_stored(crawled):  # type: ignore[no-untyped-def]
    db_url, store = crawled
    good = bodies(store)
    with store.db.session() as s:  # what a parser that read the related-links box would have stored
        s.execute(update(Version).values(body=Version.body + "\n関連記事：大雪、北日本で交通に乱れ",
                                         fingerprint=Version.fingerprint + "-bad"))
    report = reextract(store, "jiji")
    assert report.articles["rebuilt"] == len(good)
    assert bodies(store) == good
    assert main(["reextract", "--outlet", "jiji", "--db", db_url]) == 0  # again: nothing to do
    assert bodies(store) == good


def test_flash_is_merged_into_the_full_story(crawled):  # type: ignore[no-untyped-def]
    _, store = crawled
    flash, full = store.articles.article(FLASH), store.articles.article(FULL)
    assert flash.kind == "flash"
    assert flash.merged_into_id == full.id


def test_undeclared_shift_jis_snapshot_is_decoded_as_the_crawl_decoded_it(tmp_path):
    from crawler.reextract import parse_snapshot
    from storage.migrate import ensure_schema
    from storage.store import Store

    store = Store(f"sqlite:///{tmp_path / 'sjis.sqlite3'}", rules=TEXT_RULES)
    ensure_schema(store.db.engine)
    url = "https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01599.html"
    html = ("<html><body><div id='maincontents'><h1>日米外相会談</h1><p class='rtxt'>令和7年2月7日</p>"
            "<p>岩屋外務大臣はルビオ国務長官と会談しました。</p></div></body></html>")
    sha = store.fetches.save_snapshot(url, html.encode("shift_jis"), "text/html")
    article = parse_snapshot(store, "mofa", sha)
    store.db.dispose()
    assert article is not None and article.title == "日米外相会談"


# --- a parser bug on one snapshot ---------------------------------------------------------------------


def corrupt_every_body(store: Store) -> None:
    """What a parser that read the related-links box would have stored, and the flag decided on it."""
    with store.db.session() as s:
        s.execute(update(Version).values(body=Version.body + "\n関連記事：大雪、北日本で交通に乱れ",
                                         fingerprint=Version.fingerprint + "-bad"))
        s.execute(update(TopicMatch).values(label="stale"))


def without(key: str, texts: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in texts.items() if k != key}


def decisions(store: Store) -> dict[str, list[str | None]]:
    """Each article's versions' topic labels, in order (``None``: not flagged)."""
    with store.db.session() as s:
        rows = s.execute(select(Article.key, TopicMatch.label).join(Version, Version.article_id == Article.id)
                         .outerjoin(TopicMatch, TopicMatch.version_id == Version.id)
                         .order_by(Article.key, Version.seq)).all()
    out: dict[str, list[str | None]] = {}
    for key, label in rows:
        out.setdefault(key, []).append(label)
    return out


def alerts(store: Store) -> set[tuple[str, str, int]]:
    with store.db.session() as s:
        return {(kind, key, seq) for kind, key, seq in s.execute(
            select(Alert.kind, Article.key, Version.seq).join(Article, Article.id == Alert.article_id)
            .join(Version, Version.id == Alert.version_id))}


def buggy_snapshot(store: Store) -> str:
    with store.db.session() as s:
        sha = s.scalar(select(Fetch.snapshot_sha)
                       .where(Fetch.url == BUGGY_URL, Fetch.snapshot_sha.is_not(None)))
    assert sha
    return sha


def test_reextract_goes_on_past_a_parser_bug_and_flags_what_it_rebuilds(  # type: ignore[no-untyped-def]
        crawled, monkeypatch, caplog):
    _, store = crawled
    good, flagged, raised = bodies(store), decisions(store), alerts(store)
    assert None not in {label for labels in flagged.values() for label in labels}
    assert "ministerial" in {label for labels in flagged.values() for label in labels}
    corrupt_every_body(store)
    parse = jiji.parse_article

    def buggy(response: Any) -> Any:
        if response.url == BUGGY_URL:
            raise IndexError("list index out of range")  # a bug, not a ParseError
        return parse(response)

    monkeypatch.setattr(jiji, "parse_article", buggy)
    with caplog.at_level(logging.ERROR, logger="crawler.reextract"):
        report = reextract(store, "jiji")

    sha = buggy_snapshot(store)
    assert [(bug.sha, bug.url) for bug in report.parser_errors] == [(sha, BUGGY_URL)]
    assert any(sha[:12] in r.getMessage() and BUGGY_URL in r.getMessage() for r in caplog.records)
    assert "1 parser errors" in report.summary() and BUGGY_URL in report.summary()
    # every other article is repaired; the one the parser failed on is left as it was (no version lost)
    assert report.articles["rebuilt"] == len(good) - 1
    repaired = bodies(store)
    assert without(BUGGY, repaired) == without(BUGGY, good)
    assert len(repaired[BUGGY]) == len(good[BUGGY]) and repaired[BUGGY] != good[BUGGY]
    # the rebuilt versions are flagged again, as the crawl flagged the same texts, with no alert twice
    now = decisions(store)
    assert without(BUGGY, now) == without(BUGGY, flagged)
    assert set(now[BUGGY]) == {"stale"}  # not rebuilt, not flagged again
    assert report.flags.decided == sum(len(good[key]) for key in good if key != BUGGY)
    assert report.flags.failed == 0
    assert alerts(store) == raised


def test_talkwatch_reextract_reports_a_parser_bug_and_goes_on(crawled, tmp_path):  # type: ignore[no-untyped-def]
    db_url, store = crawled
    good = bodies(store)
    corrupt_every_body(store)
    # the user's command, with a jiji parser that fails on one page (a bug shipped in a parser fix)
    (tmp_path / "sitecustomize.py").write_text(
        "from crawler.outlets import jiji\n"
        "_parse = jiji.parse_article\n"
        "def parse_article(response):\n"
        f"    if response.url == {BUGGY_URL!r}:\n"
        "        raise KeyError('headline')\n"
        "    return _parse(response)\n"
        "jiji.parse_article = parse_article\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path),
                                                                      os.environ.get("PYTHONPATH")]))}
    env.pop("TALKWATCH_DATABASE_URL", None)
    done = subprocess.run([TALKWATCH, "reextract", "--outlet", "jiji", "--db", db_url], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 1, done.stderr
    assert "1 parser errors" in done.stdout
    assert f"parser error: {BUGGY_URL} (snapshot {buggy_snapshot(store)[:12]}): KeyError" in done.stdout
    assert "rebuilt" in done.stdout and "flagged" in done.stdout
    assert "Traceback" in done.stderr and BUGGY_URL in done.stderr  # the log keeps the bug's traceback
    repaired = bodies(store)
    assert without(BUGGY, repaired) == without(BUGGY, good)
    assert "stale" not in {label for labels in without(BUGGY, decisions(store)).values() for label in labels}
