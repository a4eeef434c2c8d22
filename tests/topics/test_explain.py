"""Explanations name who met whom, what meeting and the country pair: one canonical spelling in Japanese,
the printed words in English."""

from __future__ import annotations

import pytest

from crawler.topics.classifier import classify

READOUT_TITLE = "日米外相会談"
READOUT_TEXT = (
    "1月21日午後、ワシントンを訪問中の岩屋毅外務大臣は、マルコ・ルビオ米国国務長官と日米外相会談を行ったところ、"
    "概要は以下のとおりです。\n（1）岩屋大臣から、ルビオ長官の就任に祝意を述べました。\n"
    "（2）両外相は、日米同盟の抑止力・対処力を一層強化していくことで一致しました。"
)


def test_readout_names_both_ministers_and_the_meeting():
    decision = classify(READOUT_TITLE, READOUT_TEXT, published="2025-01-22T09:00:00+09:00")
    assert decision.explain() == "flagged: 岩屋外相 + ルビオ国務長官 + 日米外相会談"


def test_explanation_terms_keep_their_category_and_holder():
    decision = classify(READOUT_TITLE, READOUT_TEXT, published="2025-01-22T09:00:00+09:00")
    assert [(t.category, t.ref) for t in decision.evidence] == [
        ("jp_official", "iwaya"),
        ("us_official", "rubio"),
        ("pair", "meeting:foreign"),
    ]
    # the fired terms keep the text as printed
    assert ("jp_official", "岩屋毅外相") in {(t.category, t.surface) for t in decision.terms}


@pytest.mark.parametrize(
    ("title", "text", "published", "expected"),
    [
        (
            "Secretary Rubio's Meeting with Japanese Foreign Minister Iwaya",
            "Secretary of State Marco Rubio met with Japanese Foreign Minister Takeshi Iwaya today.",
            "2025-01-21",
            # an English article is explained in the English words it printed
            "flagged: Japanese Foreign Minister Iwaya + Secretary of State Marco Rubio + Meeting",
        ),
        (
            "加藤財務相、ベセント長官と会談",
            "加藤勝信財務相は24日、ベセント米財務長官と会談し、為替について意見を交わした。",
            "2025-04-25",
            "flagged: 加藤財務相 + ベッセント財務長官 + 会談",
        ),
        (
            "",
            "小泉防衛相とヘグセス米戦争長官は電話会談で、同盟の抑止力強化で一致した。",
            "2025-11-20",
            "flagged: 小泉防衛相 + ヘグセス国防長官 + 電話会談",
        ),
    ],
)
def test_explanations_across_spellings(title, text, published, expected):
    assert classify(title, text, published=published).explain() == expected


def test_agreement_word_is_not_shown_as_the_meeting():
    decision = classify("Japan's Kato, Bessent agreed in talks on Thursday", "", "2025-04-25")
    assert decision.explain().endswith("+ talks")


def test_a_bare_name_is_shown_as_printed_when_not_flagged():
    decision = classify("江の島岩屋　公開再開", "江の島の洞窟「岩屋」が公開を再開した。", "2025-04-20")
    assert decision.label == "other"
    assert "岩屋外相" not in decision.explain()
