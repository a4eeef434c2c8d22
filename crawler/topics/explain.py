"""What an analyst reads: who met whom, at what kind of meeting, between which countries.

Officials are shown in their canonical form (display name + the first title of their role on the day:
岩屋毅外務大臣 and 岩屋大臣 both read 岩屋外相, マルコ・ルビオ米国国務長官 reads ルビオ国務長官), so one
explanation stays the same across outlets' spellings. The fired terms themselves keep the matched text.
"""

from __future__ import annotations

from crawler.topics.decision import Term
from crawler.topics.matcher import Hit
from crawler.topics.normalize import lookup_key
from crawler.topics.vocabulary import Vocabulary

_WHO = ("jp_official", "us_official")


def official_label(vocab: Vocabulary, hit: Hit) -> str:
    """岩屋毅外相 → 岩屋外相; an implied title without a known holder (国務長官) stays as printed."""
    holder = vocab.holder(hit.ref) if hit.ref and ":" not in hit.ref else None
    spec = vocab.role(hit.side or "", hit.role or "") if hit.role else None
    if holder is None or spec is None or not spec.titles:
        return hit.surface
    return f"{holder.display}{spec.titles[0]}"


def canonical_term(vocab: Vocabulary, hit: Hit) -> Term:
    if hit.category in _WHO:
        return Term(hit.category, official_label(vocab, hit), hit.ref)
    return hit.term()


def summary(
    vocab: Vocabulary, participants: tuple[str, ...], evidence: list[Hit], local: list[Hit], hits: list[Hit]
) -> list[Term]:
    """Who (each participant once, Japan first) + what meeting + the country pair when it is separate.

    ``evidence`` are the hits of every deciding sentence, ``local`` those of the best one (its plain
    meeting word is the most telling: 会談 rather than a later 一致), ``hits`` the whole text.
    """
    who: dict[str, Term] = {}
    officials = sorted(
        (h for h in evidence if h.category in _WHO), key=lambda h: (h.side != "jp", h.start)
    ) or sorted((h for h in hits if h.category in _WHO), key=lambda h: (h.side != "jp", h.start))
    for pid in participants:
        hit = next((h for h in officials if h.ref == pid), None) or next(
            (h for h in hits if h.ref == pid and h.category in _WHO), None
        )
        if hit is not None:
            who.setdefault(pid, canonical_term(vocab, hit))
    if not who:  # implied titles only: 日本の外相 + 国務長官
        for h in officials:
            who.setdefault(h.surface, canonical_term(vocab, h))
    agreement = {lookup_key(w) for w in vocab.agreement_words}
    return [*who.values(), *_meeting(evidence, local, hits, agreement)]


def _meeting(evidence: list[Hit], local: list[Hit], hits: list[Hit], agreement: set[str]) -> list[Term]:
    def first(pool: list[Hit], test) -> Hit | None:  # type: ignore[no-untyped-def]
        return min((h for h in pool if test(h)), key=lambda h: h.start, default=None)

    def compound(h: Hit) -> bool:
        return h.category == "pair" and h.ref not in (None, "meeting:")

    def typed(h: Hit) -> bool:
        return h.category == "meeting" and h.ref is not None

    def plain(h: Hit) -> bool:
        return h.category == "meeting" and h.ref is None and lookup_key(h.surface) not in agreement

    def agreed(h: Hit) -> bool:
        return h.category == "meeting" and h.ref is None

    def pair(h: Hit) -> bool:
        return h.category == "pair" and h.ref is None

    found = first(evidence, compound) or first(hits, compound)
    if found:
        return [found.term()]
    meeting = (
        first(local, typed)
        or first(evidence, typed)
        or first(local, plain)
        or first(evidence, plain)
        or first(local, agreed)
    )
    country = first(evidence, pair)
    return [t.term() for t in (country, meeting) if t is not None]
