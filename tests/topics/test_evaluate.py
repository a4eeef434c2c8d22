"""The evaluation report: metrics, confusion matrix, misclassified items with terms, JSON, input errors."""

from __future__ import annotations

import json

import pytest

from crawler.topics.evaluate import EvalInputError, evaluate, format_text, load_jsonl, published_of, to_json
from crawler.topics.threads import InMemoryThreadBook

ITEMS = [
    {
        "id": "b",
        "text": "岩屋外相は21日、ルビオ国務長官と会談した。",
        "label": "ministerial",
        "published": "2025-01-22T09:00:00+09:00",
    },
    {
        "id": "a",
        "text": "日米外相会談\n岩屋外務大臣はルビオ国務長官と会談しました。",
        "label": "ministerial",
        "published": "2025-01-22T08:00:00+09:00",
        "source": "mofa",
    },
    {"id": "c", "text": "日中外相会談、首脳往来で一致", "label": "other", "published": "2025-01-23"},
    {
        "id": "d",
        "text": "石破首相とトランプ大統領が電話会談した。",
        "label": "ministerial",
        "published": "2025-02-01",
    },
]


def _write(tmp_path, lines):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_metrics_and_confusion():
    result = evaluate(ITEMS)
    assert result.confusion["ministerial"]["ministerial"] == 2
    assert result.confusion["ministerial"]["related"] == 1
    assert result.metrics["ministerial"]["precision"] == 1.0
    assert result.metrics["ministerial"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert result.metrics["other"]["f1"] == 1.0


def test_misclassified_items_carry_their_terms():
    result = evaluate(ITEMS)
    [miss] = result.misclassified
    assert miss.id == "d"
    assert {"ishiba", "trump"} <= {t["ref"] for t in miss.terms if t["category"] == "leader"}
    text = format_text(result)
    assert "d: gold ministerial, predicted related" in text
    assert "confusion" in text and "precision" in text


def test_items_run_in_date_order_through_the_threader():
    result = evaluate(ITEMS, book_factory=InMemoryThreadBook)
    by_id = {r.id: r for r in result.items}
    assert [r.id for r in result.items][:2] == ["a", "b"]
    assert by_id["a"].thread == by_id["b"].thread is not None
    assert by_id["b"].follow_up and not by_id["a"].follow_up
    assert by_id["c"].thread is None


def test_json_shape():
    data = to_json(evaluate(ITEMS))
    json.dumps(data)  # serializable
    assert {"id", "label", "thread"} <= set(data["items"][0])
    assert set(data["labels"]["ministerial"]) >= {"precision", "recall", "f1"}


def test_published_from_seed_style_line():
    assert published_of({"text": "…\n公開日:2025/01/22"}) == "2025-01-22T12:00:00+09:00"
    assert published_of({"text": "no date"}) is None


def test_undated_items_are_ordered_by_id(tmp_path):
    items = [
        {"id": "x-10", "text": "日米外相会談", "label": "ministerial"},
        {"id": "x-2", "text": "日米外相会談", "label": "ministerial"},
    ]
    assert [r.id for r in evaluate(items).items] == ["x-2", "x-10"]


def test_bad_json_line_is_named(tmp_path):
    path = _write(tmp_path, ['{"id": "1", "text": "t", "label": "other"}', '{"id": "2", "text": '])
    with pytest.raises(EvalInputError, match=r"set\.jsonl:2: not valid JSON"):
        load_jsonl(path)


def test_unknown_label_is_named(tmp_path):
    path = _write(tmp_path, ['{"id": "1", "text": "t", "label": "maybe"}'])
    with pytest.raises(EvalInputError, match=r":1: label 'maybe'"):
        load_jsonl(path)


def test_missing_text_is_named(tmp_path):
    path = _write(tmp_path, ['{"id": "1", "label": "other"}'])
    with pytest.raises(EvalInputError, match=r":1: missing or empty 'text'"):
        load_jsonl(path)


def test_undated_item_inherits_the_nearest_date_of_its_source_file():
    items = [
        {
            "id": "s1",
            "source": "a.txt",
            "text": "ブリンケン国務長官と上川外相が会談\n公開日:2024/01/14",
            "label": "ministerial",
        },
        {"id": "s2", "source": "b.txt", "text": "公開日:2025/03/13", "label": "other"},
        {
            "id": "s3",
            "source": "a.txt",
            "text": "上川外相はブリンケン国務長官と会談した。",
            "label": "ministerial",
        },
    ]
    by_id = {r.id: r for r in evaluate(items).items}
    assert by_id["s3"].published == "2024-01-14T12:00:00+09:00"
    assert by_id["s3"].thread == by_id["s1"].thread
    assert "2024-01-14" in by_id["s3"].thread_title


def test_item_without_any_date_gets_no_date_in_its_thread_title():
    import datetime as dt

    items = [
        {"id": "u1", "text": "岩屋外相はルビオ国務長官と会談した。", "label": "ministerial"},
        {"id": "u2", "text": "岩屋外相、ルビオ国務長官と会談　同盟強化で一致", "label": "ministerial"},
    ]
    by_id = {r.id: r for r in evaluate(items).items}
    assert by_id["u1"].published is None
    assert by_id["u1"].thread_title == "日米外相会談 岩屋–ルビオ"
    assert str(dt.date.today().year) not in by_id["u1"].thread_title
    # threaded by meeting type and participants alone
    assert by_id["u2"].thread == by_id["u1"].thread and by_id["u2"].follow_up


def test_undated_item_that_fits_two_threads_opens_its_own():
    items = [
        {
            "id": "d1",
            "published": "2025-01-22",
            "text": "岩屋外相はルビオ国務長官と会談した。",
            "label": "ministerial",
        },
        {
            "id": "d2",
            "published": "2025-03-14",
            "text": "岩屋外相はルビオ国務長官と再び会談した。",
            "label": "ministerial",
        },
        {"id": "d3", "text": "岩屋外相はルビオ国務長官と会談した。", "label": "ministerial"},
    ]
    by_id = {r.id: r for r in evaluate(items).items}
    assert by_id["d1"].thread != by_id["d2"].thread
    assert by_id["d3"].thread not in {by_id["d1"].thread, by_id["d2"].thread}
