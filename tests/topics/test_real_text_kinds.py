"""The kinds of real text the flag missed or flagged wrongly (issue 16), each in the project's own words:
readouts that print titles first and family names first, a headline's minister as the subject of the
sentences after it, a secretary's visit to Japan, trilaterals, forums one side only attends, ambassadors,
vice-minister headlines, and the reason a near miss was not flagged."""

from __future__ import annotations

import pytest

from crawler.topics.classifier import classify


def test_english_readout_with_title_first_and_family_name_first():
    decision = classify(
        "Readout of Secretary of Defense Lloyd J. Austin III's Call With "
        "Japanese Minister of Defense KISHI Nobuo",
        "Secretary Austin spoke with Minister Kishi about the alliance's posture in the region.",
        published="2021-06-02T00:00:00Z",
        lang="en",
    )
    assert decision.label == "ministerial"
    assert decision.event.participants == ("kishi", "austin")
    assert decision.event.modality == "call"
    # explained with the English words the readout printed, not 岸防衛相
    assert "KISHI Nobuo" in decision.explain()
    assert "防衛相" not in decision.explain()


def test_a_ministers_term_before_the_current_one_counts():
    # 茂木 was foreign minister 2019–2021 as well as from 2025-10
    decision = classify("茂木外相、ポンペオ国務長官と電話会談", "", published="2020-09-01T09:00:00+09:00")
    assert decision.label == "ministerial"
    assert decision.event.participants == ("motegi", "pompeo")


def test_press_conference_headline_minister_is_the_subject_of_the_talk():
    decision = classify(
        "加藤財務大臣記者会見の概要",
        "お疲れさまです。本日朝、ベッセント財務長官と約20分間、電話会談を行いました。為替について率直に意見交換しました。",
        published="2025-03-05T18:00:00+09:00",
    )
    assert decision.label == "ministerial"
    assert decision.event.participants == ("kato", "bessent")
    assert decision.explain().startswith("flagged: 加藤財務相 + ベッセント財務長官")


def test_us_secretary_visiting_japan_for_talks_is_a_preview():
    decision = classify("ベッセント財務長官、来月訪日へ 為替や投資を議論か", "", published="2025-06-02T09:00")
    assert decision.label == "ministerial"
    assert decision.event.preview


def test_condolence_visit_is_no_talk():
    decision = classify("ルビオ国務長官が来日、故人に弔意", "", published="2025-06-02T09:00:00+09:00")
    assert decision.label != "ministerial"


@pytest.mark.parametrize(
    ("title", "published", "label"),
    [
        # a trilateral with the third country's minister named: related, not Japan's talks with Korea
        ("韓国の金哲洙外交部長官と米国のルビオ国務長官、日本の岩屋外相が12日、会談した。", "2025-06-13",
         "related"),
        # a forum Japan attends without the US: other
        ("岩屋外相はASEAN外相会議に出席し、南シナ海情勢について発言した。", "2025-07-11", "other"),
        # an ambassador between the two countries: related
        ("岩屋外相は着任した駐日米国大使の表敬を受けた。", "2025-05-02", "related"),
        # a reshuffle naming a 政務官: domestic politics
        ("内閣改造 外相に岩屋氏、元政務官を抜てき", "2024-10-01", "other"),
        # the two governments' working-level forum: related, whatever its name's 日米 looks like
        ("日米拡大抑止協議が都内で開かれ、両政府の局長級が出席した。", "2025-06-01", "related"),
        # the PM meeting a US secretary, with the minister sitting in
        ("石破首相はルビオ国務長官と官邸で会談した。岩屋外相も同席した。", "2025-03-01", "related"),
        # a multilateral meeting's discussion is no bilateral, in English either
        ("At the G7 foreign ministers' meeting in Rome, Iwaya and Rubio discussed Ukraine with the others.",
         "2025-05-20", "related"),
        # the UK's Foreign Secretary is no Secretary of State
        ("Foreign Minister Iwaya met Foreign Secretary David Lammy on the sidelines of the G7 meeting.",
         "2025-03-12", "other"),
    ],
)
def test_look_alikes(title, published, label):
    assert classify(title, "", published=published).label == label


def test_vice_minister_headline_outweighs_a_recalled_ministerial_meeting():
    decision = classify(
        "外務事務次官と米国務副長官の電話会談",
        "5月2日、外務事務次官は米国務副長官と電話会談を行った。両者は先日の日米外相会談の成果を踏まえ連携を確認した。",
        published="2025-05-02T20:00:00+09:00",
    )
    assert decision.label == "related"


def test_near_miss_says_who_was_not_in_office_on_the_day():
    decision = classify("岩屋外相はルビオ国務長官と電話会談した", "", published="2020-01-01")
    assert decision.label != "ministerial"
    assert "岩屋 was not foreign minister on 2020-01-01" in decision.explain()
    assert "ルビオ was not Secretary of State on 2020-01-01" in decision.explain()


def test_outgoing_minister_named_within_the_margin_is_no_participant():
    # 茂木 left the foreign ministry on 2021-11-04; nine days later 林 is the one in office
    decision = classify("林外相、ブリンケン国務長官と初の電話会談",
                        "林芳正外相は13日、ブリンケン国務長官と電話会談した。茂木前外相の路線を引き継ぐ。",
                        published="2021-11-13T12:00:00+09:00")
    assert decision.event.participants == ("hayashi", "blinken")


def test_a_recalled_two_plus_two_does_not_name_the_meeting():
    decision = classify("", "岩屋外相は12日、ルビオ国務長官と会談した。"
                        "両氏は1月の日米2+2の成果を踏まえ連携を確認した。", published="2025-06-12T20:00")
    assert decision.event.type == "foreign"
    assert decision.explain().startswith("flagged: 岩屋外相 + ルビオ国務長官")
    assert decision.explain().endswith("+ 会談") and "2+2" not in decision.explain()


def test_a_us_secretary_arriving_in_tokyo_for_talks_is_a_talk_with_the_hosts():
    decision = classify("Bessent arrives in Tokyo for talks", "", published="2025-06-02", lang="en")
    assert decision.label == "ministerial"
    assert decision.explain() == "flagged: Bessent + talks"


def test_two_plus_two_spelled_out_is_a_two_plus_two():
    decision = classify("日米両国の外務・防衛の閣僚協議、来月開催へ", "", published="2025-05-01")
    assert decision.label == "ministerial"
    assert decision.event.type == "security_2plus2" and decision.event.preview
