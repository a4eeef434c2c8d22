"""The flag on labelled sets and on the hard cases it exists for, with the terms that fired."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.topics.classifier import classify, infer_date
from crawler.topics.evaluate import evaluate, format_text, load_jsonl
from tests.support import SHARED_DIR

HERE = Path(__file__).parent
SEED_DEV = SHARED_DIR / "topic" / "seed-dev.jsonl"


@pytest.mark.skipif(not SEED_DEV.exists(), reason="shared seed set not present")
def test_seed_dev_report():
    result = evaluate(load_jsonl(SEED_DEV))
    print(format_text(result))  # the accuracy report (pytest -s shows it)
    ministerial = result.metrics["ministerial"]
    assert ministerial["precision"] == 1.0
    # seed-11 is a headline naming only Rubio ("会談はしご"); no Japanese side is named, so it stays related
    assert ministerial["recall"] >= 0.9
    assert {r.id for r in result.misclassified} <= {"seed-11"}


def test_own_labelled_set_precision_and_recall():
    items = load_jsonl(HERE / "labelled.jsonl")
    labels = [it["label"] for it in items]
    assert len(items) >= 120
    assert labels.count("related") + labels.count("other") >= labels.count("ministerial")
    result = evaluate(items)
    print(format_text(result))
    assert result.metrics["ministerial"]["precision"] >= 0.95
    assert result.metrics["ministerial"]["recall"] >= 0.97
    for label in ("related", "other"):
        assert result.metrics[label]["f1"] >= 0.9


def test_explain_names_who_and_what():
    decision = classify("岩屋外相、ルビオ国務長官と会談", "", published="2025-01-22T12:00:00+09:00")
    assert decision.label == "ministerial"
    assert decision.explain() == "flagged: 岩屋外相 + ルビオ国務長官 + 会談"
    categories = {(t.category, t.surface) for t in decision.terms}
    assert {("jp_official", "岩屋外相"), ("us_official", "ルビオ国務長官"), ("meeting", "会談")} <= categories


def test_pair_and_meeting_type_alone_flag():
    decision = classify("日米外相会談", "", published="2025-01-22T12:00:00+09:00")
    assert decision.label == "ministerial"
    assert decision.event.type == "foreign"
    assert decision.event.label == "日米外相会談"


def test_implied_title_resolves_to_the_office_holder_of_the_day():
    decision = classify("岩屋外相 トランプ政権の国務長官と会談", "", published="2025-01-22T12:00:00+09:00")
    assert decision.event.participants == ("iwaya", "rubio")


def test_names_outside_their_period_do_not_count():
    decision = classify("", "茂木外相はルビオ氏と会談した。", published="2024-05-01T12:00:00+09:00")
    assert decision.label != "ministerial"
    assert any(t.category == "inactive" and t.ref == "motegi" for t in decision.terms)


def test_ambiguous_surname_needs_a_title():
    # 加藤 is only the finance minister when the text says so
    assert (
        classify("", "加藤氏の後援会がベッセント財務長官の発言を話題にした。", published="2023-03-01").label
        != "ministerial"
    )
    assert (
        classify("", "加藤財務相はベッセント財務長官と会談した。", published="2025-04-25").label
        == "ministerial"
    )


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("日豪外相会談で、岩屋外相はウォン外相と防衛協力を確認した。", "other"),
        ("ラトニック商務長官はインドの商工相と関税協議を行った。", "other"),
        ("赤沢経済再生相は、韓国が米国と関税協議で合意したことについて「注視する」と述べた。", "related"),
        ("石破首相はヘグセス国防長官と官邸で会談した。中谷防衛相が同席した。", "related"),
        ("岩屋外相はグラス駐日米大使と会談した。", "related"),
        ("日米首脳が電話会談し、関税をめぐり協議を続けることで一致した。", "related"),
        ("船越外務次官はランドー国務副長官と会談した。", "related"),
        ("G7外相会合で、岩屋外相とルビオ国務長官はウクライナ支援を議論した。", "related"),
        (
            "Deputy Secretary of State Christopher Landau met Japanese Vice Foreign Minister Funakoshi.",
            "related",
        ),
        ("Secretary of State Marco Rubio met Australian Foreign Minister Penny Wong in Washington.", "other"),
    ],
)
def test_hard_negatives(text, label):
    decision = classify("", text, published="2025-04-20T12:00:00+09:00")
    assert decision.label == label, decision.explain()


def test_sideline_bilateral_of_a_multilateral_meeting_is_ministerial():
    text = "岩屋外相はG7外相会合出席のためカナダを訪問。ルビオ国務長官とも会談し、関税措置の見直しを求めた。"
    assert classify("", text, published="2025-03-14").label == "ministerial"


def test_event_date_from_day_of_month():
    decision = classify(
        "",
        "岩屋外相は21日午後（日本時間22日午前）、ルビオ国務長官と会談した。",
        published="2025-01-22T12:51:00+09:00",
    )
    assert decision.event.date == "2025-01-21"
    assert decision.event.modality == "meeting"


def test_event_call_modality_and_label():
    decision = classify("", "岩屋外相はルビオ国務長官と電話会談した。", published="2025-02-08")
    assert decision.event.modality == "call"
    assert decision.event.label == "日米外相電話会談"


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("13日、会談した", "2025-03-14", "2025-03-13"),
        ("30日に会談", "2025-02-01", "2025-01-30"),
        ("3月13日の会談", "2025-03-20", "2025-03-13"),
        ("met on Tuesday", "2025-01-23", "2025-01-21"),
        ("Jan. 21 talks", "2025-02-01", "2025-01-21"),
        ("きのう会談した", "2025-01-22", "2025-01-21"),
        ("3日間の日程", "2025-01-22", None),
    ],
)
def test_infer_date(text, published, expected):
    import datetime as dt

    got = infer_date(text, dt.date.fromisoformat(published))
    assert (got.isoformat() if got else None) == expected


def test_preview_is_ministerial_and_marked():
    decision = classify(
        "", "赤沢経済再生相は来週訪米し、ベッセント財務長官と関税協議に臨む予定だ。", published="2025-04-10"
    )
    assert decision.label == "ministerial"
    assert decision.event.preview is True
    assert decision.event.type == "tariff"


@pytest.mark.parametrize(
    ("title", "published", "meeting_type"),
    [
        ("日米防衛相、沖縄の負担軽減で一致", "2025-03-31", "defense"),
        ("日米両外相が電話で協議", "2025-04-21", "foreign"),
        ("Japan, US defense chiefs hold call", "2025-05-01", "defense"),
        ("Japanese and U.S. foreign ministers hold talks in Kuala Lumpur", "2025-07-11", "foreign"),
        ("U.S., Japan top diplomats meet ahead of Trump visit", "2025-10-27", "foreign"),
    ],
)
def test_pair_with_both_sides_ministers_and_a_meeting_word(title, published, meeting_type):
    decision = classify(title, "", published=published)
    assert decision.label == "ministerial", decision.explain()
    assert decision.event.type == meeting_type


def test_pair_with_ministers_but_no_meeting_is_not_talks():
    assert classify("日米防衛相の人柄", "", published="2025-03-31").label != "ministerial"


def test_counterpart_stands_in_for_the_other_side():
    decision = classify("US Defense Secretary Hegseth meets Japanese counterpart in Tokyo", "", "2025-03-30")
    assert decision.label == "ministerial"
    assert decision.event.participants == ("hegseth",)


def test_another_countrys_officials_are_counterparts():
    assert classify("Bessent meets Swiss officials on tariffs", "", "2025-05-10").label == "other"


def test_the_tariff_negotiation_as_backdrop_is_related():
    text = "日米関税交渉の合意を受けて、トヨタ自動車は通期の業績見通しを上方修正した。"
    assert classify("トヨタが業績見通し修正", text, published="2025-08-07").label == "related"
    # a round of it, with its negotiator named, is ministerial
    text = "日米関税交渉の閣僚協議が開かれ、赤沢経済再生相が出席した。"
    assert classify("", text, published="2025-05-31").label == "ministerial"


def test_bare_surnames_of_matching_offices_named_together():
    decision = classify("Hegseth, Nakatani agree to deepen alliance", "", published="2025-03-30")
    assert decision.label == "ministerial"
    assert decision.event.participants == ("nakatani", "hegseth")
    assert decision.explain() == "flagged: Nakatani + Hegseth + agree"


def test_bare_surname_next_to_a_mismatched_office_stays_a_surname():
    # the boxer Nakatani is no counterpart of the Secretary of State
    decision = classify("Rubio, Nakatani attend the same gala", "", published="2025-03-30")
    assert not any(t.ref == "nakatani" for t in decision.terms)


def test_heldout_set_precision_and_recall():
    # written before the rules were read (first run: ministerial P 0.974 / R 0.974); kept as a regression bar
    items = load_jsonl(HERE / "heldout.jsonl")
    labels = [it["label"] for it in items]
    assert labels.count("related") + labels.count("other") >= labels.count("ministerial")
    result = evaluate(items)
    assert result.metrics["ministerial"]["precision"] >= 0.95
    assert result.metrics["ministerial"]["recall"] >= 0.97


@pytest.mark.parametrize("headline", [
    "Japan's top tariff negotiator Akazawa meets U.S. Commerce Secretary Lutnick",
    "Japan, US foreign ministers hold talks in Washington",
])
def test_an_all_caps_wire_headline_reads_like_its_normal_case(headline: str):
    # wires send bulletins in capitals; the surface lookups used to raise KeyError on them
    upper = classify(headline.upper(), headline.upper(), published="2025-05-01")
    normal = classify(headline, headline, published="2025-05-01")
    assert upper.label == normal.label == "ministerial"
