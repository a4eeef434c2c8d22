"""The storage API, on SQLite and (when configured) on PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import insert, update

from crawler.syndication import TEXT_RULES
from storage.diff import render, texts
from storage.models import Article, Thread, ThreadMember
from storage.store import Store
from storage.versions import ArticleText


def text(body: list[str], title: str = "日米外相会談", key: str = "pageit_000001_01515") -> ArticleText:
    return ArticleText(outlet="mofa", stable_key=key, canonical_url=f"https://www.mofa.go.jp/{key}.html",
                       url=f"https://www.mofa.go.jp/{key}.html", title=title,
                       published="2025-01-21T00:00:00+09:00",
                       modified=None, description=None, paragraphs=body, lang="ja", body_complete=True,
                       sources={"title": "dom"})


BODY = ["岩屋外務大臣はルビオ国務長官と会談した。", "両外相は同盟の強化で一致した。"]


def test_first_version(store: Store):
    result = store.articles.save_version(text(BODY))
    assert (result.status, result.change_kind) == ("new", "first")


def test_same_text_is_not_a_new_version(store: Store):
    store.articles.save_version(text(BODY))
    assert store.articles.save_version(text(BODY)).status == "unchanged"
    assert len(store.articles.versions("mofa:pageit_000001_01515")) == 1


def test_width_and_spacing_changes_are_not_a_new_version(store: Store):
    store.articles.save_version(text(BODY))
    folded = ["岩屋外務大臣は　ルビオ国務長官と会談した。", "両外相は同盟の強化で一致した。 "]
    assert store.articles.save_version(text(folded, title="日米外相会談 ")).status == "trivial"
    assert len(store.articles.versions("mofa:pageit_000001_01515")) == 1


def test_edit_stores_a_version_with_diff(store: Store):
    store.articles.save_version(text(BODY))
    result = store.articles.save_version(text([*BODY, "次回の「2+2」開催に向け調整する。"]))
    assert (result.status, result.change_kind) == ("changed", "body")
    latest = store.articles.versions("mofa:pageit_000001_01515")[-1]
    assert latest.seq == 2
    # stored: only the new text; read against the version before, as it was
    assert latest.diff["body"][-1] == ["insert", 2, 2, "次回の「2+2」開催に向け調整する。"]
    shown = render(latest.diff, texts(store.articles.versions("mofa:pageit_000001_01515")[0]))
    assert shown["body"][-1] == {"op": "insert", "text": "次回の「2+2」開催に向け調整する。"}


def test_title_only_edit(store: Store):
    store.articles.save_version(text(BODY))
    assert store.articles.save_version(text(BODY, title="日米外相会談（結果）")).change_kind == "title"


def test_appended_correction_is_a_correction(store: Store):
    store.articles.save_version(text(BODY))
    corrected = [*BODY, "※当初、会談時間を30分と掲載していましたが、40分の誤りでした。"]
    assert store.articles.save_version(text(corrected)).change_kind == "correction+body"


def test_two_writers_store_one_version(store: Store, db_url: str):
    other = Store(db_url, rules=TEXT_RULES)
    results: list[str] = []

    def save(target: Store) -> None:
        results.append(target.articles.save_version(text(BODY)).status)

    threads = [threading.Thread(target=save, args=(s,)) for s in (store, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.db.dispose()
    assert sorted(results) == ["new", "unchanged"]
    assert len(store.articles.versions("mofa:pageit_000001_01515")) == 1


def test_fetch_validators_come_from_the_last_good_fetch(store: Store):
    url = "https://www.mofa.go.jp/a.html"
    store.fetches.record_fetch(url=url, status=200, bytes=10, etag='"a"', last_modified=None, outcome="new")
    store.fetches.record_fetch(url=url, status=500, bytes=0, outcome="error", reason="HTTP 500")
    assert store.fetches.validators(url) == ('"a"', None)


def test_snapshot_round_trip_is_content_addressed(store: Store):
    body = "<html>日米</html>".encode()
    sha = store.fetches.save_snapshot("https://x/", body, "text/html")
    assert store.fetches.save_snapshot("https://x/", body, "text/html") == sha
    assert store.fetches.load_snapshot(sha)[2] == body


def test_threads(store: Store):
    thread = store.threads.open_thread("日米外相会談 2025-01-21 岩屋–ルビオ", {"type": "foreign"},
                                       "2025-01-21T00:00:00+09:00")
    store.threads.join_thread(thread.id, "mofa:a", "2025-01-21T00:00:00+09:00", "official")
    store.threads.join_thread(thread.id, "jiji:b", "2025-01-22T12:51:00+09:00", "follow-up")
    assert store.threads.thread_of("jiji:b").id == thread.id
    recent = store.threads.recent_threads("2025-01-22T00:00:00+09:00")[0]
    assert recent.last_published == "2025-01-22T03:51:00+00:00"
    store.threads.leave_thread("jiji:b")
    assert store.threads.thread_of("jiji:b") is None


def test_alert_is_reported_once_per_channel(store: Store):
    saved = store.articles.save_version(text(BODY))
    store.alerts.add_alert("new", saved.article_id, saved.version_id)
    store.alerts.add_alert("new", saved.article_id, saved.version_id)  # the same alert again: ignored
    alerts = store.alerts.alert_views("file")
    assert [a.kind for a in alerts] == ["new"]
    store.alerts.mark_delivered([a.alert_id for a in alerts], "file")
    assert store.alerts.alert_views("file") == []
    assert len(store.alerts.alert_views("email")) == 1


def test_no_validators_from_an_article_page_that_was_not_stored(store: Store):
    url = "https://www.mofa.go.jp/b.html"
    store.fetches.record_fetch(url=url, role="article", status=200, bytes=10, etag='"wall"',
                               outcome="rejected")
    store.fetches.record_fetch(url=url, role="article", status=200, bytes=10, etag='"cut"', outcome="fetched")
    assert store.fetches.validators(url) is None
    store.fetches.record_fetch(url=url, role="article", status=200, bytes=10, etag='"ok"', outcome="new")
    assert store.fetches.validators(url) == ('"ok"', None)


def test_discovery_documents_keep_their_validators(store: Store):
    url = "https://www.mofa.go.jp/mofaj/press/release/index.html"
    store.fetches.record_fetch(url=url, role="discovery", status=200, bytes=10, etag='"idx"',
                               outcome="fetched")
    assert store.fetches.validators(url) == ('"idx"', None)


def test_thread_span_compares_times_not_offsets(store: Store):
    # 00:00 UTC
    thread = store.threads.open_thread("日米関税協議", {"type": "tariff"}, "2025-04-17T09:00:00+09:00")
    # earlier than the opener, though it sorts later as text
    store.threads.join_thread(thread.id, "reuters:A", "2025-04-16T23:30:00Z", "follow-up")
    [row] = store.threads.recent_threads("2025-04-16T00:00:00+00:00")
    assert row.first_published == "2025-04-16T23:30:00+00:00"
    assert row.last_published == "2025-04-17T00:00:00+00:00"


def test_recent_threads_see_a_span_that_moved_and_a_new_thread(store: Store):
    first = store.threads.open_thread("日米外相会談", {"type": "foreign"}, "2025-01-21T12:00:00+09:00")
    assert [t.id for t in store.threads.recent_threads("2025-01-01T00:00:00+00:00")] == [first.id]  # now kept
    store.threads.join_thread(first.id, "jiji:x", "2025-01-25T12:00:00+09:00", "follow-up")
    second = store.threads.open_thread("日米防衛相会談", {"type": "defense"}, "2025-02-01T12:00:00+09:00")
    rows = {t.id: t for t in store.threads.recent_threads("2025-01-01T00:00:00+00:00")}
    assert set(rows) == {first.id, second.id}
    assert rows[first.id].last_published == "2025-01-25T03:00:00+00:00"
    assert rows[second.id].signature == {"type": "defense"}

def test_recent_threads_see_what_another_crawl_wrote(store: Store, db_url: str):
    first = store.threads.open_thread("日米外相会談", {"type": "foreign"}, "2025-01-21T12:00:00+09:00")
    store.threads.join_thread(first.id, "jiji:a", "2025-01-21T12:00:00+09:00", "opener")
    assert [t.id for t in store.threads.recent_threads("2025-01-01")] == [first.id]
    other = Store(db_url, rules=TEXT_RULES)  # another crawl process
    other.threads.join_thread(first.id, "nhk:b", "2025-01-23T12:00:00+09:00", "follow-up")
    second = other.threads.open_thread("日米防衛相会談", {"type": "defense"}, "2025-02-01T12:00:00+09:00")
    other.threads.join_thread(second.id, "nhk:c", "2025-02-01T12:00:00+09:00", "opener")
    other.db.dispose()
    rows = {t.id: t for t in store.threads.recent_threads("2025-01-01")}
    assert rows[first.id].last_published == "2025-01-23T03:00:00+00:00"
    assert rows[second.id].signature == {"type": "defense"}
    assert [t.id for t in store.threads.recent_threads("2025-01-25")] == [second.id]


def test_recent_threads_see_a_member_committed_out_of_id_order(store: Store):
    # PostgreSQL hands out sequence ids at INSERT: a concurrent crawl may commit member 3 after member 4
    thread = store.threads.open_thread("日米外相会談", {"type": "foreign"}, "2025-01-21T12:00:00+09:00")
    other = store.threads.open_thread("日米防衛相会談", {"type": "defense"}, "2025-01-21T12:00:00+09:00")
    with store.db.session() as s:
        s.execute(insert(ThreadMember).values(id=4, thread_id=thread.id, article_key="jiji:d", role="opener",
                                              published="2025-01-21T03:00:00+00:00"))
    store.threads.recent_threads("2025-01-01")  # sees member 4
    with store.db.session() as s:  # the late commit: member 3 moved the other thread's span
        s.execute(insert(ThreadMember).values(id=3, thread_id=other.id, article_key="nhk:c", role="follow-up",
                                              published="2025-01-30T03:00:00+00:00"))
        s.execute(update(Thread).where(Thread.id == other.id)
                  .values(last_published="2025-01-30T03:00:00+00:00"))
    rows = {t.id: t for t in store.threads.recent_threads("2025-01-01")}
    assert rows[other.id].last_published == "2025-01-30T03:00:00+00:00"



def test_a_store_reads_what_another_process_wrote_since_its_last_transaction(store: Store, db_url: str):
    # the Store keeps one Session per thread: an object read in one transaction must not answer later
    first = store.articles.save_version(text(BODY))
    # held: a Session would keep answering with it
    before = store.articles.article("mofa:pageit_000001_01515")
    assert before is not None and before.label is None
    other = Store(db_url, rules=TEXT_RULES)
    try:
        with other.db.session() as s:
            s.execute(update(Article).where(Article.id == first.article_id).values(label="ministerial"))
    finally:
        other.db.dispose()
    assert store.articles.article("mofa:pageit_000001_01515").label == "ministerial"


def test_a_transaction_inside_another_joins_it(store: Store):
    try:
        with store.db.session():
            store.articles.save_version(text(BODY))  # opens its own session() inside this one
            raise RuntimeError("the outer transaction fails")
    except RuntimeError:
        pass
    assert store.articles.article("mofa:pageit_000001_01515") is None  # rolled back with the outer one
    assert store.articles.save_version(text(BODY)).status == "new"  # and the Store goes on
