"""Scoring sentences and sentence pairs (see the module doc of :mod:`crawler.topics.classifier`)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from crawler.topics.matcher import Hit

THRESHOLD = 5
STRONG = 6
_SENTENCE_END = re.compile(r"(?:[。！？!?]+|\.(?=\s+[A-Z\"“])|\n)\s*")


@dataclass
class Unit:
    sentences: tuple[int, ...]
    hits: list[Hit]
    score: float = 0.0

    def has(self, category: str, ref: str | None = None) -> bool:
        return any(h.category == category and (ref is None or h.ref == ref) for h in self.hits)

    def negatives(self, *kinds: str) -> bool:
        return any(h.category == "negative" and h.ref in kinds for h in self.hits)


def score_unit(
    unit: Unit,
    window: bool,
    process: frozenset[str] = frozenset(),
    named_anywhere: bool = True,
    carry: frozenset[str] = frozenset(),
) -> float:
    """Side and meeting strengths, minus a point per look-alike cue in the same unit (see module doc).

    ``carry``: the sides whose minister the headline names as the article's subject (「片山財務相記者会見」,
    "Minister Nishimura Visits the United States"); a later sentence that names only the other side's
    official meeting someone ("…財務長官と電話会談を行いました") has that minister as its subject."""
    if not unit.hits:
        return 0.0  # most sentences of an article: nothing to weigh
    jp_off, us_off = _side_named(unit, "jp", carry), _side_named(unit, "us", carry)
    pair = unit.has("pair")
    meets = unit.has("meeting") or any(
        h.category == "pair" and (h.ref or "").startswith("meeting:") for h in unit.hits
    )
    # 日米防衛相 (+ a meeting word) names both sides' ministers; 日米外相会談 names the talks themselves
    role_compound = meets and any(
        h.category == "pair" and (h.ref or "").startswith("role:") for h in unit.hits
    )
    compounds = [
        h
        for h in unit.hits
        if h.category == "pair" and (h.ref or "").startswith("meeting:") and h.ref != "meeting:"
    ]
    # 日米関税交渉 as the backdrop of market news: the negotiation, not a round of it, unless someone is named
    process_only = (
        compounds
        and not named_anywhere
        and all((h.ref or "")[len("meeting:") :] in process for h in compounds)
    )
    if process_only and not role_compound:
        return STRONG - 2
    if compounds or role_compound:
        # 日米関税交渉の事務レベル協議: the compound names the negotiation, the rank says who sat down
        vice_level = unit.negatives("vice") and not (jp_off and us_off)
        return STRONG - 2 if vice_level else STRONG
    hosted = _hosted_in_japan(unit, jp_off, us_off)
    jp = 2 if jp_off or hosted else 1 if pair or unit.has("marker", "jp") or _leader(unit, "jp") else 0
    us = 2 if us_off else 1 if pair or unit.has("marker", "us") or _leader(unit, "us") else 0
    typed = any(h.category == "meeting" and h.ref for h in unit.hits) or any(
        h.category == "pair" and h.ref == "meeting:" for h in unit.hits
    )
    # a US secretary's visit to Japan is a visit to the Japanese counterparts (「イエレン長官が訪日へ」)
    discussed = unit.has("discussion") and not unit.negatives("multilateral")
    meet = 2 if typed else 1 if unit.has("meeting") or discussed or hosted else 0
    if not (jp and us and meet):
        return 0.0
    score = float(jp + us + meet)
    if pair and typed:
        score += 1  # 日米 + a bilateral meeting type in one sentence names the talks even without names
    both_named = jp_off and us_off
    several = both_named and not window and unit.has("separately")
    if unit.negatives("other_pair", "foreign_official") and not several:
        score -= 1
    if unit.has("country") and not both_named:
        score -= 1
    if unit.negatives("attendance"):
        score -= 1
    if unit.negatives("vice", "ambassador") and not both_named:
        score -= 1
    return score


def _side_named(unit: Unit, side: str, carry: frozenset[str]) -> bool:
    """An official of ``side`` in the unit, or the headline's minister as the subject of a later sentence
    that names no other country and none of that side's people."""
    if unit.has(f"{side}_official"):
        return True
    if side not in carry or 0 in unit.sentences:
        return False
    return not (
        unit.has("country")
        or unit.has("leader")
        or unit.negatives("other_pair", "foreign_official", "multilateral", "leader")
        or any(h.category == "negative" and h.side == side for h in unit.hits)
    )


def _hosted_in_japan(unit: Unit, jp_off: bool, us_off: bool) -> bool:
    """A US secretary's visit to Japan for talks (訪日へ…議論) puts the hosts' minister in the room, unless
    the visit is to a leader, a multilateral meeting or another country too. A Japanese minister's visit
    to the US is not read the other way: he meets lawmakers and think tanks as well."""
    if unit.has("country") or unit.negatives("other_pair", "foreign_official", "multilateral", "leader"):
        return False
    talks = unit.has("meeting") or unit.has("agenda")  # a condolence or sightseeing visit is no talk
    return us_off and not jp_off and unit.has("visit", "jp") and talks and not _leader(unit, "jp")


def _leader(unit: Unit, side: str) -> bool:
    return any(h.category == "leader" and h.side == side for h in unit.hits)


def sentence_spans(text: str) -> list[int]:
    """Start offsets of sentences (the title is the first line, so always its own sentence)."""
    starts = [0]
    for m in _SENTENCE_END.finditer(text):
        if m.end() < len(text):
            starts.append(m.end())
    return starts


def build_units(hits: list[Hit], starts: list[int], process: frozenset[str] = frozenset()) -> list[Unit]:
    named = any(h.category in ("jp_official", "us_official") for h in hits)
    by_sentence: dict[int, list[Hit]] = {}
    for h in hits:
        by_sentence.setdefault(bisect.bisect_right(starts, h.start) - 1, []).append(h)
    units = []
    for i in range(len(starts)):
        one = by_sentence.get(i, [])
        units.append(Unit((i,), one))
        units.append(Unit((i, i + 1), one + by_sentence.get(i + 1, [])))
    title = Unit((0,), by_sentence.get(0, []))
    carry = headline_subject(title)
    vice_title = _vice_headline(title)
    for unit in units:
        unit.score = score_unit(
            unit, window=len(unit.sentences) > 1, process=process, named_anywhere=named, carry=carry
        )
        if vice_title and not (unit.has("jp_official") and unit.has("us_official")):
            # 「事務次官と国務副長官の電話会談」: the article is about vice ministers' talks; a 日米外相会談
            # it recalls is background, and only ministers of both sides named in one unit outweigh it
            unit.score = min(unit.score, THRESHOLD - 1)
    return units


def headline_subject(title: Unit) -> frozenset[str]:
    """The side of the one minister a headline names, with nobody of the other side or another country:
    the subject of the article's sentences that leave theirs out (Japanese elides it)."""
    sides = {h.side for h in title.hits if h.category in ("jp_official", "us_official")}
    if len(sides) != 1 or title.negatives("other_pair", "foreign_official", "vice", "ambassador", "leader"):
        return frozenset()
    return frozenset(s for s in sides if s)


def _vice_headline(title: Unit) -> bool:
    """A headline about vice-minister or working-level talks: a vice rank and a meeting, no minister."""
    return (
        title.negatives("vice")
        and (title.has("meeting") or title.has("pair"))
        and not (title.has("jp_official") or title.has("us_official"))
    )


def co_mention_fallback(units: list[Unit], meeting_units: list[Unit] | None = None) -> list[Hit] | None:
    """Blog-style texts: both officials named together (in ``units``), and one of them meets somewhere
    else (in ``meeting_units``, by default the same units)."""

    def singles(pool: list[Unit]) -> list[Unit]:
        return [
            u for u in pool if len(u.sentences) == 1 and not u.negatives("other_pair", "foreign_official")
        ]

    both = [u for u in singles(units) if u.has("jp_official") and u.has("us_official")]
    meets = [
        u
        for u in singles(units if meeting_units is None else meeting_units)
        if (u.has("jp_official") or u.has("us_official"))
        and u.has("meeting")
        and not u.negatives("vice", "ambassador", "attendance")
    ]
    if both and meets:
        return both[0].hits + meets[0].hits
    return None
