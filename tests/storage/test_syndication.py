"""Copies across outlets (MinHash LSH) and jiji 速報 merged into the full story."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from crawler.syndication import NUM_PERM, SHINGLE, credit_of, minhash, signature_text
from storage.store import Store
from storage.syndication import similarity
from tests.storage.helpers import STORY, text

OTHER = [
    "中谷元防衛相は２２日、ヘグセス米国防長官と電話で会談した。",
    "両氏は南西諸島の防衛体制や在日米軍の再編を巡って意見を交わし、共同訓練の拡充を確認した。",
    "中谷氏は防衛装備品の共同生産について協議を加速させたいとの考えを伝えた。",
]


def save(store: Store, outlet: str, key: str, body: list[str], published: str, **kw) -> int:
    result = store.articles.save_version(text(body, outlet=outlet, key=key, published=published, **kw))
    return result.article_id


def test_credit_detection():
    assert credit_of("……と述べた。（時事）") == "jiji"
    assert credit_of("【ワシントン時事】岩屋毅外相は") == "jiji"
    assert credit_of("［東京　２１日　ロイター］ - 岩屋毅外相は") == "reuters"
    assert credit_of("……した。（共同）") == "kyodo"
    assert credit_of("岩屋毅外相は２１日") is None


def test_signature_ignores_credits_and_spacing():
    a = minhash(signature_text("日米外相会談", "\n".join(STORY)))
    b = minhash(signature_text("日米外相会談 ", "【ワシントン時事】" + "\n".join(STORY) + "（時事）"))
    assert similarity(a, b) == 1.0


def test_minhash_keeps_the_values_stored_signatures_hold():
    # every stored signature was made with these values: a change here orphans the near-duplicate index
    values = minhash("日米外相会談　岩屋毅外相はルビオ国務長官と会談した。")
    assert values.dtype == np.uint32 and len(values) == NUM_PERM
    assert values[:5].tolist() == [238008475, 92168875, 235703884, 62178690, 178584689]


@pytest.mark.parametrize("sample", ["", "日米", "日米外相", "\n".join(STORY), "Rubio met Iwaya. " * 40])
def test_minhash_equals_datasketch(sample: str):
    datasketch = pytest.importorskip("datasketch", minversion="2.0")  # in the test extra
    shingles = {sample[i:i + SHINGLE].encode("utf-8") for i in range(max(len(sample) - SHINGLE + 1, 1))}
    reference = datasketch.MinHash(num_perm=NUM_PERM, seed=20250121, hashfunc=zlib.crc32)
    reference.update_batch(list(shingles))
    assert minhash(sample).tolist() == reference.hashvalues.tolist()


def test_unrelated_texts_are_not_near_duplicates(store: Store):
    save(store, "jiji", "2025012100921", STORY, "2025-01-21T12:00:00+09:00")
    assert store.copies.near_duplicates("防衛相会談", "\n".join(OTHER)) == []


def test_copy_on_another_outlet_links_to_the_first_publisher(store: Store):
    original = save(store, "jiji", "2025012100921", STORY, "2025-01-21T12:00:00+09:00")
    copy = save(store, "nhk", "k10014920011000", [*STORY[:5], "会談は約４０分間行われた。"],
                "2025-01-21T13:30:00+09:00")
    assert store.articles.article("nhk:k10014920011000").copy_of_id == original
    assert store.articles.article("jiji:2025012100921").copy_of_id is None
    [match] = store.copies.near_duplicates("日米外相会談", "\n".join(STORY), exclude_article_id=original)
    assert (match.article_id, match.outlet) == (copy, "nhk")


def test_earlier_copy_found_later_becomes_the_original(store: Store):
    later = save(store, "nhk", "k10014920011000", STORY, "2025-01-21T13:30:00+09:00")
    earlier = save(store, "jiji", "2025012100921", STORY, "2025-01-21T03:00:00Z")  # 12:00 JST
    assert store.articles.article("nhk:k10014920011000").copy_of_id == earlier
    assert store.articles.article("jiji:2025012100921").copy_of_id is None
    assert later != earlier


def test_wire_credit_names_the_original(store: Store):
    # the copy's clock says earlier, but it credits jiji: jiji published it
    jiji = save(store, "jiji", "2025012100921", STORY, "2025-01-21T12:00:00+09:00")
    save(store, "reuters", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", [*STORY, "（時事）"], "2025-01-21T02:00:00Z")
    assert store.articles.article("reuters:ABCDEFGHIJKLMNOPQRSTUVWXYZ").copy_of_id == jiji


def test_same_outlet_is_not_a_copy(store: Store):
    save(store, "jiji", "2025012100921", STORY, "2025-01-21T12:00:00+09:00")
    save(store, "jiji", "2025012100999", STORY, "2025-01-21T13:00:00+09:00")
    assert store.articles.article("jiji:2025012100999").copy_of_id is None


def test_report_shows_a_copy_as_a_copy(store: Store):
    save(store, "jiji", "2025012100921", STORY, "2025-01-21T12:00:00+09:00")
    result = store.articles.save_version(text(STORY, outlet="nhk", key="k10014920011000",
                                              published="2025-01-21T13:30:00+09:00"))
    store.alerts.add_alert("new", result.article_id, result.version_id)
    [view] = store.alerts.alert_views("test")
    assert view.copy_of == "jiji:2025012100921"


FLASH = dict(outlet="jiji", title="【速報】日米外相がカナダで会談", kind="flash")
FULL_TITLE = "日米外相、関税で協議継続　Ｇ７会合に合わせ会談"
FULL_LEAD = ("岩屋毅外相は１２日（日本時間１３日）、先進７カ国（Ｇ７）外相会合が開かれている"
             "カナダ東部シャルルボワでルビオ米国務長官と会談した。")


def test_flash_merges_into_the_full_story(store: Store):
    flash = store.articles.save_version(text(["日米外相がカナダで会談"], key="2025031300148",
                                             published="2025-03-13T08:05:00+09:00", **FLASH))
    full = store.articles.save_version(text(STORY, outlet="jiji", key="2025031300352", title=FULL_TITLE,
                                            lead=FULL_LEAD, published="2025-03-13T11:38:00+09:00"))
    assert store.articles.article("jiji:2025031300148").merged_into_id == full.article_id
    store.alerts.add_alert("new", flash.article_id, flash.version_id)
    store.alerts.add_alert("new", full.article_id, full.version_id)
    assert [v.article_key for v in store.alerts.alert_views("test")] == ["jiji:2025031300352"]


def test_flash_seen_after_its_full_story_merges_too(store: Store):
    full = store.articles.save_version(text(STORY, outlet="jiji", key="2025031300352", title=FULL_TITLE,
                                            lead=FULL_LEAD, published="2025-03-13T11:38:00+09:00"))
    store.articles.save_version(text(["日米外相がカナダで会談"], key="2025031300148",
                                     published="2025-03-13T08:05:00+09:00", **FLASH))
    assert store.articles.article("jiji:2025031300148").merged_into_id == full.article_id


def test_flash_about_something_else_stays(store: Store):
    store.articles.save_version(text(["日米首脳が電話協議へ"], key="2025031300148",
                                     published="2025-03-13T08:05:00+09:00",
                                     **{**FLASH, "title": "【速報】日米首脳が電話協議へ"}))
    store.articles.save_version(text(OTHER, outlet="jiji", key="2025031300352", title="日米防衛相が電話会談",
                                     published="2025-03-13T11:38:00+09:00"))
    assert store.articles.article("jiji:2025031300148").merged_into_id is None


def test_flash_of_another_day_stays(store: Store):
    store.articles.save_version(text(["日米外相がカナダで会談"], key="2025031200148",
                                     published="2025-03-12T23:05:00+09:00", **FLASH))
    store.articles.save_version(text(STORY, outlet="jiji", key="2025031300352", title=FULL_TITLE,
                                     lead=FULL_LEAD, published="2025-03-13T11:38:00+09:00"))
    assert store.articles.article("jiji:2025031200148").merged_into_id is None
