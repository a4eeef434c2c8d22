"""The vocabulary is data: it loads, rejects bad edits by key, and a reshuffle needs no code change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from crawler.topics.classifier import classify
from crawler.topics.normalize import normalize
from crawler.topics.vocabulary import DEFAULT_PATH, VocabularyError, default_vocabulary, load_vocabulary


def _data() -> dict:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "vocabulary.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_default_vocabulary_covers_office_holders_since_2023():
    vocab = default_vocabulary()
    ids = {h.id for h in vocab.holders}
    assert {
        "kamikawa",
        "iwaya",
        "motegi",
        "kihara",
        "nakatani",
        "koizumi",
        "akazawa",
        "kato",
        "katayama",
        "blinken",
        "rubio",
        "austin",
        "hegseth",
        "lutnick",
        "bessent",
        "greer",
        "yellen",
    } <= ids


def test_roles_follow_periods_with_margin():
    vocab = default_vocabulary()
    iwaya, koizumi = vocab.holder("iwaya"), vocab.holder("koizumi")
    assert iwaya.role_on(dt.date(2025, 1, 22), vocab.margin_days) == "foreign"
    assert iwaya.role_on(dt.date(2024, 9, 20), vocab.margin_days) == "foreign"  # nominee margin
    assert iwaya.role_on(dt.date(2026, 3, 1), vocab.margin_days) is None
    assert koizumi.role_on(dt.date(2025, 7, 1), vocab.margin_days) == "agriculture"
    assert koizumi.role_on(dt.date(2025, 12, 1), vocab.margin_days) == "defense"


def test_meeting_types_name_every_form_of_two_plus_two():
    vocab = default_vocabulary()
    surfaces = {s for t in vocab.meeting_types for s in t.surfaces}
    assert {"外相会談", "防衛相会談", "2+2", "経済版2+2", "関税協議", "閣僚協議"} <= surfaces


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("日米２＋２", "日米2+2"),
        ("日米2プラス2", "日米2+2"),
        ("日米 2 + 2", "日米 2+2"),
        ("赤澤経済再生担当大臣", "赤沢経済再生相"),
        ("ベセント財務長官", "ベッセント財務長官"),
        ("ヘグセス戦争長官", "ヘグセス国防長官"),
        ("岩屋外務大臣", "岩屋外相"),
        ("米日同盟", "日米同盟"),
        ("Japan–U.S. talks", "US-Japan talks"),
        ("U.S.-Japan two-plus-two", "US-Japan 2+2"),
        ("Secretary of War Hegseth", "Secretary of Defense Hegseth"),
    ],
)
def test_normalize_folds_spellings(raw, expected):
    assert normalize(raw, default_vocabulary().folder) == expected


def test_missing_key_is_named(tmp_path):
    data = _data()
    del data["meeting_types"]
    with pytest.raises(VocabularyError, match=r"meeting_types: missing"):
        load_vocabulary(_write(tmp_path, data))


def test_bad_date_is_named(tmp_path):
    data = _data()
    data["office_holders"][2]["periods"][0]["from"] = "next spring"
    with pytest.raises(VocabularyError, match=r"office_holders\[2\]\.periods\[0\]\.from: expected a date"):
        load_vocabulary(_write(tmp_path, data))


def test_unknown_role_is_named(tmp_path):
    data = _data()
    data["office_holders"][0]["periods"][0]["role"] = "foriegn"
    with pytest.raises(
        VocabularyError, match=r"office_holders\[0\]\.periods\[0\]\.role: unknown role 'foriegn'"
    ):
        load_vocabulary(_write(tmp_path, data))


def test_wrong_type_is_named(tmp_path):
    data = _data()
    data["pair"]["surfaces"] = "日米"
    with pytest.raises(VocabularyError, match=r"pair\.surfaces: expected a list"):
        load_vocabulary(_write(tmp_path, data))


def test_invalid_yaml_is_reported(tmp_path):
    path = tmp_path / "vocabulary.yaml"
    path.write_text("roles: [unclosed\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match="not valid YAML"):
        load_vocabulary(path)


def test_reshuffle_is_a_yaml_edit(tmp_path):
    """A new foreign minister (fictional 青山一郎, from 2026-10-01) is flagged only with the edited file."""
    data = _data()
    for holder in data["office_holders"]:
        if holder["id"] == "motegi":
            holder["periods"][-1]["to"] = dt.date(2026, 10, 1)
    data["office_holders"].append(
        {
            "id": "aoyama",
            "side": "jp",
            "display": "青山",
            "names": ["青山一郎", "青山"],
            "periods": [{"role": "foreign", "from": dt.date(2026, 10, 1)}],
        }
    )
    edited = load_vocabulary(_write(tmp_path, data))
    text = "青山外相は20日、ルビオ国務長官とワシントンで会談し、同盟の強化で一致した。"
    published = "2026-10-21T09:00:00+09:00"

    before = classify("", text, published=published)
    after = classify("", text, published=published, vocabulary=edited)

    assert before.label != "ministerial"
    assert after.label == "ministerial"
    assert after.event.participants == ("aoyama", "rubio")
    assert "青山外相" in after.explain()
    # the outgoing minister stops counting after his period (+ margin) in the edited vocabulary only
    late = "茂木外相はルビオ国務長官と会談した。"
    assert classify("", late, published="2027-01-10", vocabulary=edited).label != "ministerial"
    assert classify("", late, published="2027-01-10").label == "ministerial"


def test_spans_answer_for_overlapping_and_nested_spans():
    from crawler.topics.normalize import Spans

    spans = Spans([(10, 20), (0, 5), (12, 30), (40, 41)])
    assert [p for p in range(45) if spans.covers(p)] == [*range(0, 5), *range(10, 30), 40]
    assert not Spans([]).covers(0)
