"""The flag step inside the crawl, and its backlog: versions stored but not yet flagged (a crawl stopped
between the two steps) are flagged in storage order when the next crawl opens, exactly as the crawl
would have flagged them one by one. The database is the queue."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from crawler.flagging import FlagTally, flag_backlog, flag_version
from crawler.mirror.server import MirrorServer
from crawler.service.crawl import run_crawl
from crawler.syndication import TEXT_RULES
from storage.models import Alert, Article, Signature, Thread, ThreadMember
from storage.store import Store
from tests.storage.helpers import STORY, text

FOLLOW_UP = [
    "岩屋毅外相は２１日、ルビオ米国務長官とワシントンで会談し、2プラス2の早期開催で一致した。",
    "外務省幹部は「会談で確認した方針に沿って準備を急ぐ」と語った。",
]
UNRELATED = ["東京都内の百貨店で２１日、冬物衣料の販売が始まった。", "売り場は多くの買い物客でにぎわった。"]


def _fill(url: str) -> Store:
    """Four versions, stored in this order and not flagged: talks, a follow-up, an unrelated story, an
    edit of the first."""
    store = Store(url, rules=TEXT_RULES)
    store.db.create_schema()
    store.articles.save_version(text(STORY, outlet="jiji", key="2025012100921"))
    store.articles.save_version(text(FOLLOW_UP, title="日米外相、2+2の早期開催で一致", outlet="jiji",
                                     key="2025012200455", published="2025-01-22T09:00:00+09:00"))
    store.articles.save_version(text(UNRELATED, title="冬物衣料の販売始まる", outlet="jiji",
                                     key="2025012100777"))
    store.articles.save_version(text([*STORY, "両氏は近く電話で再び協議する。"], outlet="jiji",
                                     key="2025012100921"))
    return store


def _outcome(store: Store) -> dict[str, list[tuple[str, ...]]]:
    with store.db.session() as s:
        return {
            "labels": sorted(map(tuple, s.execute(select(Article.key, Article.label)))),
            "alerts": sorted(map(tuple, s.execute(select(Alert.kind, Article.key)
                                                  .join(Article, Article.id == Alert.article_id)))),
            "threads": sorted(map(tuple, s.execute(
                select(ThreadMember.article_key, ThreadMember.role, Thread.title)
                .join(Thread, Thread.id == ThreadMember.thread_id)))),
        }


def test_the_backlog_is_flagged_as_the_crawl_would_flag_it(tmp_path: Path):
    backlog_store = _fill(f"sqlite:///{tmp_path / 'backlog.sqlite3'}")
    tally = FlagTally()
    while flag_backlog(backlog_store, "jiji", tally):
        pass
    assert (tally.decided, tally.flagged, tally.failed) == (4, 3, 0)

    inline_store = _fill(f"sqlite:///{tmp_path / 'inline.sqlite3'}")
    for version in inline_store.threads.unflagged_versions("jiji"):
        flag_version(inline_store, version)

    outcome = _outcome(backlog_store)
    assert outcome == _outcome(inline_store)
    assert outcome["alerts"] == [("changed", "jiji:2025012100921"), ("follow-up", "jiji:2025012200455"),
                                 ("new", "jiji:2025012100921")]
    assert ("jiji:2025012100777", "other") in outcome["labels"]
    assert backlog_store.threads.unflagged_versions("jiji") == []
    backlog_store.db.dispose()
    inline_store.db.dispose()


def test_the_backlog_indexes_what_was_stored_unindexed(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}", rules=TEXT_RULES)
    store.db.create_schema()
    store.articles.save_version(text(STORY, outlet="jiji", key="2025012100921"), index=False)
    assert store.copies.near_duplicates("日米外相会談", "\n".join(STORY)) == []
    while flag_backlog(store, "jiji", FlagTally()):
        pass
    found = store.copies.near_duplicates("日米外相会談", "\n".join(STORY))
    assert [d.key for d in found] == ["jiji:2025012100921"]
    store.db.dispose()


def test_a_crawl_flags_and_indexes_every_version_it_stores(tmp_path: Path):
    db_url = f"sqlite:///{tmp_path / 'talkwatch.sqlite3'}"
    server = MirrorServer()
    server.start_in_thread()
    try:
        result = run_crawl("mofa", db_url, mirror_url=server.base_url, timeout=120)
    finally:
        server.stop()
    assert result.ok
    stored = result.stat("versions/new") + result.stat("versions/changed")
    assert stored > 0 and result.stat("decided") == stored
    store = Store(db_url, rules=TEXT_RULES)
    assert store.threads.unflagged_versions("mofa") == []
    assert store.articles.label_of("mofa:mofaj/na/na1/us/pageit_000001_01515") == "ministerial"
    with store.db.session() as s:  # every stored article is in the near-duplicate index
        indexed = s.scalar(select(func.count(Signature.article_id)))
        assert indexed == s.scalar(select(func.count(Article.id))) > 0
    store.db.dispose()
