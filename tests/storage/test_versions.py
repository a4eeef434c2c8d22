"""Versions: what is trivial, what each change kind is, and how big the change was."""

from __future__ import annotations

import pytest

from storage.diff import field_opcodes, render, render_field, sentences, text_diff, texts
from storage.normalize import fingerprint, normalize_text
from storage.store import Store
from tests.storage.helpers import STORY, text

KEY = "mofa:pageit_000001_01515"


@pytest.mark.parametrize(("a", "b"), [
    ("日米２＋２を開催", "日米2+2を開催"),                  # full-width / half-width
    ("ｶﾞｲﾑｼｮｳ", "ガイムショウ"),                            # half-width katakana
    ("会談した 。 両氏は", "会談した。両氏は"),             # spacing around punctuation
    ("米国 、日本", "米国、日本"),
    ("日米，豪", "日米、豪"),                                # comma variants
    ("日米･豪", "日米・豪"),                                 # middle dots
    ("“関税”—見直し", '"関税"-見直し'),                    # quotes and dashes
    ("同盟\u200bの強化", "同盟の強化"),                      # zero-width space
])
def test_fingerprint_folds(a: str, b: str):
    assert normalize_text(a) == normalize_text(b)


def test_fingerprint_keeps_real_edits():
    assert fingerprint("日米外相会談", None, ["40分間"]) != fingerprint("日米外相会談", None, ["30分間"])


def test_resplit_paragraphs_are_the_same_text():
    assert fingerprint("t", None, ["一文目。", "二文目。"]) == fingerprint("t", None, ["一文目。二文目。"])


def test_trivial_change_stores_no_version(store: Store):
    store.articles.save_version(text(STORY))
    respaced = [p.replace("２１日", "21日").replace("、", " 、") for p in STORY]
    result = store.articles.save_version(text(respaced))
    assert (result.status, result.version_id) == ("trivial", None)
    assert len(store.articles.versions(KEY)) == 1


def test_save_version_tells_unchanged_from_trivial(store: Store):
    assert store.articles.save_version(text(STORY)).status == "new"
    assert store.articles.save_version(text(STORY)).status == "unchanged"
    assert store.articles.save_version(text([STORY[0] + " ", *STORY[1:]])).status == "trivial"
    assert store.articles.save_version(text(STORY[:-1])).status == "changed"


def test_a_page_without_a_version_says_why_in_the_fetch_log(store: Store):
    store.articles.save_version(text(STORY))
    unchanged = store.fetches.record_fetch(outlet="mofa", url="https://example.test/a", role="article",
                                           status=200, bytes=10, outcome="fetched")
    trivial = store.fetches.record_fetch(outlet="mofa", url="https://example.test/a", role="article",
                                         status=200, bytes=10, outcome="fetched")
    store.articles.save_version(text(STORY), fetch_id=unchanged)
    store.articles.save_version(text([STORY[0] + " ", *STORY[1:]]), fetch_id=trivial)
    rows = {f.id: (f.outcome, f.reason, f.article_key) for f in store.fetches.where(role="article")}
    assert rows[unchanged] == ("unchanged", "text unchanged", KEY)
    assert rows[trivial] == ("trivial", "only width, spacing or punctuation changed", KEY)


def test_revert_to_an_older_text_is_not_a_version(store: Store):
    store.articles.save_version(text(STORY))
    store.articles.save_version(text(STORY[:-1]))
    assert store.articles.save_version(text(STORY)).status == "unchanged"
    assert [v.seq for v in store.articles.versions(KEY)] == [1, 2]


def test_first_version_kind(store: Store):
    assert store.articles.save_version(text(STORY)).change_kind == "first"


def test_title_kind(store: Store):
    store.articles.save_version(text(STORY))
    retitled = store.articles.save_version(text(STORY, title="日米外相が初会談　同盟強化で一致"))
    assert retitled.change_kind == "title"


def test_lead_kind(store: Store):
    store.articles.save_version(text(STORY, lead="岩屋外相がルビオ長官と会談。"))
    with_lead = store.articles.save_version(text(STORY, lead="岩屋外相がルビオ長官と初会談。"))
    assert with_lead.change_kind == "lead"


def test_body_kind_and_size(store: Store):
    store.articles.save_version(text(STORY))
    edited = [*STORY[:5], "会談は約５０分間行われ、経済安全保障や関税措置を巡っても意見を交わした。"]
    result = store.articles.save_version(text(edited))
    version = store.articles.versions(KEY)[-1]
    assert result.change_kind == "body"
    assert (version.chars_added, version.chars_removed) == (1, 1)  # ４ -> ５


@pytest.mark.parametrize("note", [
    "※当初、会談時間を約３０分と掲載していましたが、約４０分の誤りでした。",  # NHK
    "【訂正】２１日配信の記事で、会談の場所に誤りがありました。",              # 訂正
    "Correction: An earlier version misstated the length of the meeting.",
])
def test_correction_kind(store: Store, note: str):
    store.articles.save_version(text(STORY))
    result = store.articles.save_version(text([*STORY, note]))
    version = store.articles.versions(KEY)[-1]
    assert result.change_kind == "correction+body"
    assert (version.chars_added, version.chars_removed) == (len(note), 0)


def test_an_edit_of_title_and_body_is_both(store: Store):
    store.articles.save_version(text(STORY))
    body = [*STORY[:-1], STORY[-1] + "両氏は次回の会合の日程も調整する。"]
    edited = text(body, title="日米外相が会談　次回日程を調整")
    assert store.articles.save_version(edited).change_kind == "title+body"


def test_a_correction_marker_already_there_is_not_a_new_correction(store: Store):
    note = "※当初、会談時間を約３０分と掲載していましたが、約４０分の誤りでした。"
    store.articles.save_version(text([*STORY, note]))
    later = text([*STORY, note, "両氏は今後も緊密に意思疎通を図る。"])
    assert store.articles.save_version(later).change_kind == "body"


def test_diff_is_stored_once_with_the_version(store: Store):
    store.articles.save_version(text(STORY))
    edited = [STORY[0], STORY[1].replace("一致し", "改めて一致し"), *STORY[2:]]
    store.articles.save_version(text(edited))
    first, second = store.articles.versions(KEY)
    assert first.diff == {}
    replaced = [op for op in render(second.diff, texts(first))["body"] if op["op"] == "replace"]
    assert len(replaced) == 1
    assert ["insert", "改めて"] in replaced[0]["chars"]


def test_sentences_split_on_japanese_stops_and_line_breaks():
    assert sentences("会談した。「一致した」と述べた！本当か？\n次へ") == [
        "会談した。", "「一致した」と述べた！", "本当か？", "次へ"]


def test_sentence_diff_keeps_unchanged_sentences_whole():
    ops = text_diff("一文目。二文目。三文目。", "一文目。二文目だ。三文目。")
    assert [op["op"] for op in ops] == ["equal", "replace", "equal"]


def test_stored_opcodes_read_back_against_the_version_before():
    old, new = "一文目。二文目。三文目。", "一文目。二文目だ。三文目。追記。"
    ops = field_opcodes(old, new)
    chars = [["equal", 0, 3], ["insert", 3, 3, "だ"], ["equal", 3, 4]]
    assert ops == [["equal", 0, 1], ["replace", 1, 2, chars], ["equal", 2, 3], ["insert", 3, 3, "追記。"]]
    assert render_field(ops, old) == text_diff(old, new)
    # opcodes that do not fit the text they are read against show the new text alone, never fail
    assert render({"body": ops}, {"body": "別の文。"}) == {"body": [{"op": "insert", "text": "だ"},
                                                                    {"op": "insert", "text": "追記。"}]}
