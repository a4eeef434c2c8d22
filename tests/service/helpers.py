"""Seed a store with alerts the way the pipelines would (new thread, follow-up, an edit, a copy)."""

from __future__ import annotations

from dataclasses import replace

from storage.store import Store
from storage.versions import ArticleText

SCRIPT_TITLE = '<script>window.__pwned = 1</script>岩屋外相とルビオ国務長官が電話会談'
EVIL_URL = "javascript:window.__pwned=2"


def text(outlet: str, key: str, title: str, paragraphs: list[str], url: str | None = None,
         published: str = "2025-01-21T09:00:00+09:00") -> ArticleText:
    url = url or f"https://example.{outlet}.jp/{key}"
    return ArticleText(outlet=outlet, stable_key=key, canonical_url=url, url=url, title=title,
                       published=published, modified=None, description=None, paragraphs=paragraphs, lang="ja",
                       body_complete=True, sources={"title": "jsonld"})


def seed(store: Store) -> dict[str, int]:
    """One thread opened by jiji, an NHK follow-up, a MOFA readout edited, and a hostile article."""
    ids: dict[str, int] = {}
    opener = text("jiji", "2025012100123", "岩屋外相、ルビオ米国務長官と初会談",
                  ["岩屋毅外相は21日、ルビオ国務長官と会談した。", "日米同盟の強化を確認した。"])
    saved = store.articles.save_version(opener)
    thread = store.threads.open_thread("岩屋・ルビオ会談（2025-01-21）", {"people": ["岩屋毅", "ルビオ"]},
                                       "2025-01-21")
    store.threads.join_thread(thread.id, opener.key, "2025-01-21", "opener")
    store.alerts.add_alert("new", saved.article_id, saved.version_id, thread.id)
    ids["thread"] = thread.id

    follow = text("nhk", "k10014700001000", "日米外相会談 関税措置も協議へ",
                  ["両外相は関税措置についても協議する方針だ。"], published="2025-01-22T07:00:00+09:00")
    saved = store.articles.save_version(follow)
    store.threads.join_thread(thread.id, follow.key, "2025-01-22", "follow-up")
    store.alerts.add_alert("follow-up", saved.article_id, saved.version_id, thread.id)

    readout = text("mofa", "pageit_000001_01515", "日米外相会談",
                   ["岩屋外務大臣は、ルビオ国務長官と約50分間会談を行った。",
                    "両外相は日米同盟の抑止力・対処力の強化で一致した。"],
                   url="https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html")
    first = store.articles.save_version(readout)
    store.threads.join_thread(thread.id, readout.key, "2025-01-21", "official")
    store.alerts.add_alert("new", first.article_id, first.version_id, thread.id)
    edited = replace(readout, paragraphs=["岩屋外務大臣は、ルビオ国務長官と約60分間会談を行った。",
                                          "両外相は日米同盟の抑止力・対処力の強化で一致した。",
                                          "両外相は北朝鮮の核・ミサイル問題についても意見交換を行った。"])
    second = store.articles.save_version(edited)
    store.alerts.add_alert("changed", second.article_id, second.version_id, thread.id)
    ids["changed_version"] = second.version_id or 0

    hostile = text("reuters", "EVIL123", SCRIPT_TITLE, ["本文。"], url=EVIL_URL)
    saved = store.articles.save_version(hostile)
    other = store.threads.open_thread("<b>bold</b> thread", {}, "2025-01-23")
    store.threads.join_thread(other.id, hostile.key, "2025-01-23", "opener")
    store.alerts.add_alert("new", saved.article_id, saved.version_id, other.id)
    return ids
