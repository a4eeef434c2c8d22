"""Event threads: the seeds' situation recreated with our own text.

2025-01-21 Iwaya–Rubio talks reported by several outlets (MOFA readout marked official) make ONE thread;
the 2025-03-13 G7-sideline talk opens a NEW one; a later 「先の日米外相会談」 article follows it up;
the same-day 日豪外相会談 stays out.
"""

from __future__ import annotations

import pytest

from crawler.topics.classifier import classify
from crawler.topics.threads import InMemoryThreadBook, ThreadAssignment, assign_thread

ARTICLES = [
    # key, outlet, published, title, text
    (
        "nhk:k10000000001",
        "nhk",
        "2025-01-22T07:50:00+09:00",
        "岩屋外相 ルビオ国務長官と初会談へ",
        "アメリカを訪れている岩屋外相は日本時間の22日朝、就任したばかりのルビオ国務長官と会談する予定です。",
    ),
    (
        "jiji:2025012200100",
        "jiji",
        "2025-01-22T12:40:00+09:00",
        "同盟強化へ連携確認 岩屋外相、ルビオ長官と会談",
        "【ワシントン時事】岩屋毅外相は21日午後（日本時間22日午前）、ルビオ米国務長官と国務省で会談した。"
        "両氏はインド太平洋地域の安定に向けて協力を深めることで一致した。",
    ),
    (
        "mofa:na1_000101",
        "mofa",
        "2025-01-22T10:00:00+09:00",
        "日米外相会談",
        "現地時間1月21日、ワシントンを訪問中の岩屋外務大臣は、ルビオ国務長官と約30分間会談を行いました。",
    ),
    (
        "reuters:ABCDEF",
        "reuters",
        "2025-01-22T09:30:00+09:00",
        "Japan, US foreign ministers vow closer ties",
        "Japanese Foreign Minister Takeshi Iwaya and Secretary of State Marco Rubio met in Washington"
        " on Tuesday.",
    ),
    (
        "jiji:2025012200200",
        "jiji",
        "2025-01-22T13:10:00+09:00",
        "日豪外相が会談 防衛協力で一致",
        "岩屋外相は21日、ワシントンでオーストラリアのウォン外相と日豪外相会談を行った。",
    ),
    (
        "nhk:k10000000050",
        "nhk",
        "2025-03-14T06:00:00+09:00",
        "岩屋外相 ルビオ長官と会談 関税除外を要請",
        "G7外相会合に出席するためカナダを訪れている岩屋外相は13日、ルビオ国務長官と会談し、"
        "鉄鋼製品などへの追加関税の対象から日本を外すよう求めました。",
    ),
    (
        "jiji:2025032000300",
        "jiji",
        "2025-03-20T18:00:00+09:00",
        "関税除外、米側の回答見えず",
        "先の日米外相会談で岩屋外相が求めた鉄鋼関税の除外について、米側からの回答はまだない。",
    ),
]


def _run(book, key, outlet, published, title, text) -> ThreadAssignment:
    decision = classify(title, text, published=published)
    return assign_thread(book, key, outlet, decision, published)


@pytest.fixture
def crawl():
    book = InMemoryThreadBook()
    results = {}
    for key, outlet, published, title, text in sorted(ARTICLES, key=lambda a: a[2]):
        results[key] = _run(book, key, outlet, published, title, text)
    return book, results


def test_one_thread_for_the_january_talks(crawl):
    _book, results = crawl
    january = {
        results[k].thread.id
        for k in ("nhk:k10000000001", "jiji:2025012200100", "mofa:na1_000101", "reuters:ABCDEF")
    }
    assert len(january) == 1


def test_thread_title_is_readable(crawl):
    book, _results = crawl
    thread = book.thread_of("jiji:2025012200100")
    # the NHK preview opened it before the talks; the title records the announced talks
    assert thread.title.startswith("日米外相会談")
    assert "岩屋–ルビオ" in thread.title
    assert thread.signature["participants"] == ["iwaya", "rubio"]


def test_preview_opens_and_reports_follow_up(crawl):
    _, results = crawl
    assert results["nhk:k10000000001"].is_new_thread
    assert results["reuters:ABCDEF"].is_follow_up
    assert results["jiji:2025012200100"].is_follow_up


def test_mofa_readout_is_marked_official(crawl):
    book, results = crawl
    members = {m.article_key: m.role for m in book.members(results["mofa:na1_000101"].thread.id)}
    assert members["mofa:na1_000101"] == "official"
    assert members["nhk:k10000000001"] == "opener"
    assert members["jiji:2025012200100"] == "follow-up"


def test_same_day_japan_australia_talks_stay_out(crawl):
    book, results = crawl
    assert results["jiji:2025012200200"].thread is None
    assert book.thread_of("jiji:2025012200200") is None


def test_g7_sideline_talk_opens_a_new_thread(crawl):
    _book, results = crawl
    march = results["nhk:k10000000050"]
    assert march.is_new_thread and not march.is_follow_up
    assert march.thread.id != results["jiji:2025012200100"].thread.id
    assert march.thread.title == "日米外相会談 2025-03-13 岩屋–ルビオ"


def test_back_reference_joins_as_follow_up(crawl):
    _, results = crawl
    later = results["jiji:2025032000300"]
    assert later.is_follow_up
    assert later.thread.id == results["nhk:k10000000050"].thread.id


def test_recrawl_is_not_a_new_follow_up(crawl):
    book, results = crawl
    key, outlet, published, title, text = ARTICLES[1]
    again = _run(book, key, outlet, published, title, text)
    assert again.thread.id == results[key].thread.id
    assert not again.is_follow_up and not again.is_new_thread


def test_edit_that_changes_the_label_leaves_the_thread(crawl):
    book, results = crawl
    thread_id = results["reuters:ABCDEF"].thread.id
    edited = _run(
        book,
        "reuters:ABCDEF",
        "reuters",
        "2025-01-22T15:00:00+09:00",
        "Japan, US brace for tariff friction",
        "Japanese exporters worry about tariffs, analysts said.",
    )
    assert edited.thread is None
    assert book.thread_of("reuters:ABCDEF") is None
    assert "reuters:ABCDEF" not in {m.article_key for m in book.members(thread_id)}


def test_tariff_preview_is_filled_by_the_talks():
    book = InMemoryThreadBook()
    preview = _run(
        book,
        "jiji:1",
        "jiji",
        "2025-04-10T10:00:00+09:00",
        "赤沢氏、来週訪米へ",
        "赤沢経済再生相は来週訪米し、ベッセント財務長官と関税協議に臨む予定だ。",
    )
    talks = _run(
        book,
        "nhk:2",
        "nhk",
        "2025-04-17T08:00:00+09:00",
        "赤沢経済再生相 ベッセント長官と関税協議",
        "赤沢経済再生相は16日、ワシントンでベッセント財務長官と関税協議を行いました。",
    )
    assert preview.is_new_thread
    assert talks.is_follow_up and talks.thread.id == preview.thread.id


def test_different_talks_same_people_months_apart_do_not_merge():
    book = InMemoryThreadBook()
    first = _run(
        book, "a", "jiji", "2025-03-31T10:00:00+09:00", "", "中谷防衛相は30日、ヘグセス国防長官と会談した。"
    )
    second = _run(
        book,
        "b",
        "jiji",
        "2025-06-01T10:00:00+09:00",
        "",
        "中谷防衛相は31日、シンガポールでヘグセス国防長官と会談した。",
    )
    assert first.is_new_thread and second.is_new_thread
    assert first.thread.id != second.thread.id


def test_title_uses_the_talk_date_from_the_text():
    book = InMemoryThreadBook()
    _, _, published, title, text = ARTICLES[1]
    result = _run(book, "jiji:x", "jiji", published, title, text)
    assert result.thread.title == "日米外相会談 2025-01-21 岩屋–ルビオ"
    assert result.thread.signature["date"] == "2025-01-21"


def test_preview_weeks_ahead_joins_the_talks_and_takes_their_date_and_people():
    book = InMemoryThreadBook()
    preview = _run(book, "nhk:p", "nhk", "2025-05-20T19:00:00+09:00", "日米2+2 来月12日開催で調整",
                   "岩屋外相と中谷防衛相は来月12日にワシントンで日米2+2を開く方向で調整している。")
    assert preview.thread.signature["preview"] and preview.thread.signature["date"] == "2025-06-12"
    talks = _run(book, "jiji:t", "jiji", "2025-06-13T08:00:00+09:00", "日米2+2、同盟強化で一致",
                 "岩屋外相と中谷防衛相は12日、ルビオ国務長官、ヘグセス国防長官と日米2+2を開いた。")
    assert talks.is_follow_up and talks.thread.id == preview.thread.id
    [thread] = book.threads()
    assert thread.signature["date"] == "2025-06-12" and not thread.signature["preview"]
    assert thread.signature["participants"] == ["iwaya", "nakatani", "rubio", "hegseth"]
    assert thread.title == "日米2+2 2025-06-12 岩屋–中谷–ルビオ–ヘグセス"


def test_preview_without_a_day_is_filled_so_the_next_talks_open_their_own_thread():
    book = InMemoryThreadBook()
    _run(book, "a", "nhk", "2025-02-03T10:00:00+09:00", "",
         "加藤財務相は近くベッセント財務長官と会談する見通しだ。")
    first = _run(book, "b", "jiji", "2025-02-20T10:00:00+09:00", "",
                 "加藤財務相は19日、ベッセント財務長官と会談した。")
    later = _run(book, "c", "jiji", "2025-03-05T10:00:00+09:00", "",
                 "加藤財務相は4日、ベッセント財務長官と会談した。")
    assert first.is_follow_up
    assert later.is_new_thread


def test_a_call_the_day_before_a_two_plus_two_is_its_own_talk():
    book = InMemoryThreadBook()
    call = _run(book, "a", "mofa", "2025-06-11T21:00:00+09:00", "日米外相電話会談",
                "岩屋外相は11日、ルビオ国務長官と電話会談を行った。明日の日米2+2に向けて連携を確認した。")
    meeting = _run(book, "b", "jiji", "2025-06-12T20:00:00+09:00", "",
                   "岩屋外相と中谷防衛相は12日、ルビオ国務長官、ヘグセス国防長官と日米2+2を開いた。")
    assert call.thread.signature["type"] == "foreign" and call.thread.signature["modality"] == "call"
    assert meeting.is_new_thread and meeting.thread.id != call.thread.id


def test_two_outlets_typing_the_same_talks_differently_share_a_thread():
    book = InMemoryThreadBook()
    first = _run(book, "a", "jiji", "2025-06-12T20:00:00+09:00", "",
                 "岩屋外相は12日、ルビオ国務長官と会談した。両氏は1月の日米2+2の成果を踏まえ連携を確認した。")
    second = _run(book, "b", "nhk", "2025-06-12T21:00:00+09:00", "",
                  "岩屋外相とルビオ国務長官は12日、日米閣僚会合を開き、拡大抑止を協議した。")
    assert first.thread.signature["type"] == "foreign"
    assert second.is_follow_up and second.thread.id == first.thread.id


def test_an_undated_article_joins_only_an_unambiguous_thread():
    book = InMemoryThreadBook()
    _run(book, "a", "jiji", "2025-03-31T10:00:00+09:00", "", "中谷防衛相は30日、ヘグセス国防長官と会談した。")
    _run(book, "b", "jiji", "2025-06-01T10:00:00+09:00", "", "中谷防衛相は31日、ヘグセス国防長官と会談した。")
    undated = _run(book, "c", "blog", None, "", "中谷防衛相はヘグセス国防長官と会談した。")
    assert undated.is_new_thread  # two talks of the same people: it glues neither to the other
    assert len({m.article_key for t in book.threads() for m in book.members(t.id)}) == 3


def test_an_undated_article_naming_the_venue_joins_the_talks_held_there():
    book = InMemoryThreadBook()
    rome = _run(book, "a", "jiji", "2025-05-20T10:00:00+09:00", "",
                "岩屋外相は19日、ローマでルビオ国務長官と会談した。")
    _run(book, "b", "jiji", "2025-07-02T10:00:00+09:00", "",
         "岩屋外相は1日、ワシントンでルビオ国務長官と会談した。")
    undated = _run(book, "c", "blog", None, "", "岩屋外相はイタリアでルビオ国務長官と会談した。")
    assert rome.thread.signature["places"] == ["イタリア"]
    assert undated.is_follow_up and undated.thread.id == rome.thread.id
