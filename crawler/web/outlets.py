"""What the desk calls each outlet, and the office holders and meeting types by their vocabulary names."""

from __future__ import annotations

from functools import lru_cache

from crawler.outlets import OUTLET_NAMES

DISPLAY_NAMES = {
    "mofa": "外務省 MOFA",
    "jiji": "時事通信 Jiji Press",
    "nhk": "NHK",
    "reuters": "ロイター Reuters",
}
OFFICIAL_OUTLETS = frozenset({"mofa"})


def outlet_name(code: str | None) -> str:
    if not code:
        return "–"
    return DISPLAY_NAMES.get(code, code)


def outlet_choices() -> list[tuple[str, str]]:
    return [(code, outlet_name(code)) for code in OUTLET_NAMES]


@lru_cache(maxsize=1)
def _vocabulary_names() -> tuple[dict[str, str], dict[str, str]]:
    from crawler.topics.vocabulary import default_vocabulary

    vocabulary = default_vocabulary()
    holders = {h.id: h.display for h in vocabulary.holders}
    meetings = {m.id: m.label for m in vocabulary.meeting_types}
    return holders, meetings


def person_name(holder_id: str) -> str:
    return _vocabulary_names()[0].get(holder_id, holder_id)


def meeting_name(type_id: str | None) -> str:
    if not type_id:
        return "–"
    return _vocabulary_names()[1].get(type_id, type_id)


def meeting_choices() -> list[tuple[str, str]]:
    return sorted(_vocabulary_names()[1].items(), key=lambda kv: kv[1])
