"""Rebuilding an article's versions from re-parsed snapshots (``talkwatch reextract``)."""

from __future__ import annotations

from storage.store import Store
from tests.storage.helpers import STORY, text

KEY = "mofa:pageit_000001_01515"
NOISE = "関連記事：大雪、北日本で交通に乱れ"  # what a broken parser let into the body


def test_rebuild_drops_versions_made_by_parser_noise(store: Store):
    # the old parser read a changing "related links" line as body: two spurious versions
    for i, sha in enumerate(("a" * 64, "b" * 64, "c" * 64)):
        store.articles.save_version(text([*STORY, f"{NOISE}{i}"]), snapshot_sha=sha)
    assert len(store.articles.versions(KEY)) == 3
    fixed = [(text(STORY), "a" * 64), (text(STORY), "b" * 64), (text(STORY), "c" * 64)]
    result = store.articles.rebuild_article(fixed)
    assert (result.status, result.versions_before, result.versions_after) == ("rebuilt", 3, 1)
    [version] = store.articles.versions(KEY)
    assert (version.body, version.change_kind, version.snapshot_sha) == ("\n".join(STORY), "first", "a" * 64)


def test_rebuild_keeps_version_rows_and_recomputes_diffs(store: Store):
    first = store.articles.save_version(text([*STORY, NOISE]), snapshot_sha="a" * 64)
    store.articles.save_version(text([*STORY[:5], NOISE]), snapshot_sha="b" * 64)
    store.articles.rebuild_article([(text(STORY), "a" * 64), (text(STORY[:5]), "b" * 64)])
    v1, v2 = store.articles.versions(KEY)
    assert v1.id == first.version_id  # alerts and topic decisions stay attached
    assert NOISE not in v1.body + v2.body
    assert (v2.change_kind, v2.chars_removed) == ("body", len(STORY[5]))


def test_rebuild_twice_changes_nothing(store: Store):
    store.articles.save_version(text([*STORY, NOISE]), snapshot_sha="a" * 64)
    states = [(text(STORY), "a" * 64)]
    assert store.articles.rebuild_article(states).status == "rebuilt"
    assert store.articles.rebuild_article(states).status == "unchanged"
    assert len(store.articles.versions(KEY)) == 1


def test_rebuild_adds_pages_the_old_parser_rejected(store: Store):
    store.articles.save_version(text(STORY), snapshot_sha="a" * 64)
    result = store.articles.rebuild_article([(text(STORY), "a" * 64), (text([*STORY, "追記。"]), "b" * 64)])
    assert result.versions_after == 2
    assert store.articles.versions(KEY)[-1].change_kind == "body"


def test_versions_without_snapshots_are_left_alone(store: Store):
    store.articles.save_version(text([*STORY, NOISE]))
    assert store.articles.rebuild_article([(text(STORY), "a" * 64)]).status == "skipped"
    assert NOISE in store.articles.versions(KEY)[0].body
