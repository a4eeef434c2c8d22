"""Measure the topic flag on a labelled JSONL file (format of ``shared/topic/seed-dev.jsonl``).

Items run in date order through the same :func:`classify` and :func:`assign_thread` the crawler uses, so the
report shows threads and follow-ups as the crawler would make them. Each line is a JSON object with ``id``,
``text`` and ``label``; optional ``title``, ``published`` (ISO), ``outlet``, ``lang``, ``source``. Without
``published``, a 「公開日:2025/01/22」 line in the text is used, else the date of the nearest dated item
(by line) from the same ``source`` file; items still undated run last, ordered by id, are never stamped with
today's date, and thread by meeting type and participants alone.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.topics.classifier import TopicDecision, classify
from crawler.topics.threads import OFFICIAL_OUTLETS, InMemoryThreadBook, ThreadBook, assign_thread

LABELS = ("ministerial", "related", "other")
_PUBLISHED = re.compile(r"公開日\s*[:：]\s*(\d{4})[/.\-年](\d{1,2})[/.\-月](\d{1,2})")


class EvalInputError(ValueError):
    """A labelled file that cannot be read; the message names the line."""


@dataclass
class ItemResult:
    id: str
    gold: str
    predicted: str
    score: float
    explanation: str
    terms: list[dict[str, Any]]
    published: str | None
    thread: int | None = None
    thread_title: str | None = None
    follow_up: bool = False


@dataclass
class EvalResult:
    items: list[ItemResult]
    metrics: dict[str, dict[str, float]]  # label -> precision, recall, f1, support
    confusion: dict[str, dict[str, int]]  # gold -> predicted -> count
    accuracy: float
    misclassified: list[ItemResult] = field(default_factory=list)


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read labelled items; a bad line raises :class:`EvalInputError` naming the file and line."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(item, dict):
            raise EvalInputError(f"{path}:{number}: expected a JSON object")
        for key in ("id", "text", "label"):
            if not isinstance(item.get(key), str | int) or item.get(key) in ("", None):
                raise EvalInputError(f"{path}:{number}: missing or empty {key!r}")
        if item["label"] not in LABELS:
            raise EvalInputError(
                f"{path}:{number}: label {item['label']!r} is not one of {', '.join(LABELS)}"
            )
        items.append(item)
    return items


def published_of(item: dict[str, Any]) -> str | None:
    if item.get("published"):
        return str(item["published"])
    m = _PUBLISHED.search(item.get("text", ""))
    return f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}T12:00:00+09:00" if m else None


def _inherited_dates(items: list[dict[str, Any]]) -> list[str | None]:
    """Each item's date; an undated one takes the nearest dated item's (same ``source``, earlier on a tie)."""
    own = [published_of(it) for it in items]
    result = []
    for i, item in enumerate(items):
        source = item.get("source")
        if own[i] or not source:
            result.append(own[i])
            continue
        near = [
            (abs(j - i), j > i, own[j])
            for j, other in enumerate(items)
            if own[j] and other.get("source") == source
        ]
        result.append(min(near)[2] if near else None)
    return result


def _instant_key(published: str | None) -> str:
    """Comparable text for an ISO time (offsets differ between outlets: +09:00, Z)."""
    if not published:
        return ""
    try:
        moment = dt.datetime.fromisoformat(published.replace("Z", "+00:00"))
    except ValueError:
        return published
    return moment.astimezone(dt.UTC).isoformat() if moment.tzinfo else published


def _id_key(value: Any) -> tuple:
    # natural order: seed-2 before seed-10
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", str(value)) if p)


def evaluate(
    items: list[dict[str, Any]],
    book_factory: Callable[[], ThreadBook] = InMemoryThreadBook,
    classify_fn: Callable[..., TopicDecision] = classify,
) -> EvalResult:
    """Classify and thread every item in date order; per-label P/R/F1, confusion matrix, misses."""
    book = book_factory()
    dated = list(zip(_inherited_dates(items), items, strict=True))
    # equal times in a stable order: the official readout first (it opens the thread), then by id
    dated.sort(key=lambda pair: (pair[0] is None, _instant_key(pair[0]),
                                 (pair[1].get("outlet") or _outlet_of(pair[1])) not in OFFICIAL_OUTLETS,
                                 _id_key(pair[1]["id"])))
    results = []
    for published, item in dated:
        decision = classify_fn(
            item.get("title", ""), item["text"], published=published, lang=item.get("lang")
        )
        outlet = item.get("outlet") or _outlet_of(item)
        key = str(item.get("key") or f"eval:{item['id']}")
        assignment = assign_thread(book, key, outlet, decision, published)
        results.append(
            ItemResult(
                id=str(item["id"]),
                gold=item["label"],
                predicted=decision.label,
                score=round(decision.score, 3),
                explanation=decision.explain(),
                terms=[{"category": t.category, "surface": t.surface, "ref": t.ref} for t in decision.terms],
                published=published,
                thread=assignment.thread.id if assignment.thread else None,
                thread_title=assignment.thread.title if assignment.thread else None,
                follow_up=assignment.is_follow_up,
            )
        )
    return _summarize(results)


def _outlet_of(item: dict[str, Any]) -> str:
    source = str(item.get("source") or "").lower()
    return "mofa" if "mofa" in source else source.split(":", 1)[0] or "eval"


def _summarize(results: list[ItemResult]) -> EvalResult:
    confusion = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for r in results:
        confusion[r.gold][r.predicted] += 1
    metrics = {}
    for label in LABELS:
        tp = confusion[label][label]
        predicted = sum(confusion[g][label] for g in LABELS)
        actual = sum(confusion[label].values())
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        metrics[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": actual,
        }
    correct = sum(r.gold == r.predicted for r in results)
    return EvalResult(
        results,
        metrics,
        confusion,
        round(correct / len(results), 4) if results else 0.0,
        [r for r in results if r.gold != r.predicted],
    )


def format_text(result: EvalResult) -> str:
    lines = [
        f"{len(result.items)} items, accuracy {result.accuracy:.3f}",
        "",
        f"{'label':<12} {'precision':>9} {'recall':>7} {'f1':>7} {'n':>4}",
    ]
    for label, m in result.metrics.items():
        lines.append(
            f"{label:<12} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>7.3f} {m['support']:>4}"
        )
    lines += [
        "",
        "confusion (rows: gold, columns: predicted)",
        " " * 12 + "".join(f"{p:>12}" for p in LABELS),
    ]
    for gold in LABELS:
        lines.append(f"{gold:<12}" + "".join(f"{result.confusion[gold][p]:>12}" for p in LABELS))
    threads: dict[int, list[ItemResult]] = {}
    for r in result.items:
        if r.thread is not None:
            threads.setdefault(r.thread, []).append(r)
    if threads:
        lines += ["", "threads"]
        for members in threads.values():
            lines.append(f"  #{members[0].thread} {members[0].thread_title}")
            lines += [f"    {'follow-up' if r.follow_up else 'opener   '} {r.id}" for r in members]
    lines += ["", f"misclassified: {len(result.misclassified)}"]
    for r in result.misclassified:
        lines.append(f"  {r.id}: gold {r.gold}, predicted {r.predicted} (score {r.score}) — {r.explanation}")
    return "\n".join(lines)


def to_json(result: EvalResult) -> dict[str, Any]:
    return {
        "accuracy": result.accuracy,
        "labels": result.metrics,
        "confusion": result.confusion,
        "items": [
            {
                "id": r.id,
                "label": r.predicted,
                "gold": r.gold,
                "score": r.score,
                "thread": r.thread,
                "thread_title": r.thread_title,
                "follow_up": r.follow_up,
                "explanation": r.explanation,
            }
            for r in result.items
        ],
        "misclassified": [
            {"id": r.id, "gold": r.gold, "label": r.predicted, "explanation": r.explanation, "terms": r.terms}
            for r in result.misclassified
        ],
    }
