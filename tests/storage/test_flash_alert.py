"""A jiji 速報 (flash) that opens a thread keeps its "new" alert when the full story merges into it; the
report then shows the full story, in a thread that carries the talks' real participants and date."""

from __future__ import annotations

import pytest

from crawler.flagging import FlagTally, flag_backlog
from storage.store import Store
from tests.storage.helpers import text

FLASH_TITLE = "【速報】日米防衛相が電話会談"
FULL_TITLE = "日米防衛相、南西防衛で連携　電話で会談"
FULL_BODY = [
    "中谷元防衛相は２２日、ヘグセス米国防長官と電話で会談した。",
    "両氏は南西諸島の防衛体制を巡って意見を交わし、共同訓練の拡充を確認した。",
]


@pytest.mark.parametrize("index_at_save", [True, False], ids=["indexed-when-stored", "indexed-by-worker"])
def test_flash_keeps_its_new_alert_and_shows_the_full_story(store: Store, index_at_save: bool):
    store.articles.save_version(text(["日米防衛相が電話会談"], outlet="jiji", key="2025022200101",
                                     title=FLASH_TITLE, published="2025-02-22T20:05:00+09:00", kind="flash"),
                                index=index_at_save)
    flag_backlog(store, "jiji", tally := FlagTally())
    store.articles.save_version(text(FULL_BODY, outlet="jiji", key="2025022200355", title=FULL_TITLE,
                                     published="2025-02-22T21:30:00+09:00"), index=index_at_save)
    flag_backlog(store, "jiji", tally)

    assert tally.flagged == 2
    full = store.articles.article("jiji:2025022200355")
    assert store.articles.article("jiji:2025022200101").merged_into_id == full.id
    [view] = store.alerts.alert_views("desk")
    assert view.kind == "new"  # the flash's alert, not a follow-up of the full story
    assert view.article_key == "jiji:2025022200355"
    assert view.title == FULL_TITLE
    assert "中谷防衛相" in view.explanation and "ヘグセス国防長官" in view.explanation
    # the thread the flash opened now names the talks' participants and date
    assert view.thread_title == "日米防衛相電話会談 2025-02-22 中谷–ヘグセス"


def test_same_published_time_official_readout_opens_the_thread(store: Store):
    """Deterministic: at the same published time the official readout opens the thread, whatever order
    the two were stored in."""
    same = "2025-02-22T21:30:00+09:00"
    store.articles.save_version(text(FULL_BODY, outlet="jiji", key="2025022200355", title=FULL_TITLE,
                                     published=same))
    store.articles.save_version(text(FULL_BODY, outlet="mofa", key="page_000222", title="日米防衛相電話会談",
                                     published=same))
    flag_backlog(store, "jiji", FlagTally())
    flag_backlog(store, "mofa", FlagTally())
    roles = {m.article_key: m.role for t in [store.threads.thread_of("jiji:2025022200355")] if t
             for m in store.threads.thread_members(t.id)}
    assert roles == {"mofa:page_000222": "official", "jiji:2025022200355": "follow-up"}
