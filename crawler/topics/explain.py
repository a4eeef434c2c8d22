"""What an analyst reads: who met whom, at what kind of meeting, between which countries.

Officials are shown in their canonical form (display name + the first title of their role on the day:
岩屋毅外務大臣 and 岩屋大臣 both read 岩屋外相, マルコ・ルビオ米国国務長官 reads ルビオ国務長官), so one
explanation stays the same across outlets' spellings. The fired terms themselves keep the matched text.
"""

from __future__ import annotations

from collections.abc import Callable

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


def canonical_term(vocab: Vocabulary, hit: Hit, english: bool = False) -> Term:
    """Japanese articles read in the canonical Japanese form; an English one keeps the words it printed."""
    if hit.category in _WHO and not english:
        return Term(hit.category, official_label(vocab, hit), hit.ref)
    return hit.term()


def _as_printed(hit: Hit, same: list[Hit]) -> Term:
    """English: the title and the name as printed together ("Secretary of State Marco Rubio"), else the
    first mention as printed ("Nakatani", "Japanese Minister of Defense")."""
    by_start = {h.start: h for h in same}
    for title in sorted(same, key=lambda h: h.start):
        name = next((by_start[p] for p in range(title.end, title.end + 3) if p in by_start), None)
        if name is not None and name is not title:
            return Term(hit.category, f"{title.surface} {name.surface}", hit.ref)
    return hit.term()


def role_name(vocab: Vocabulary, side: str, role: str) -> str:
    """A role in words, from its first English title: "foreign minister", "Secretary of State"."""
    spec = vocab.role(side, role)
    title = next((t for t in spec.titles if t.isascii()), role) if spec else role
    return title.lower() if side == "jp" else title


def near_misses(vocab: Vocabulary, hits: list[Hit], day: object) -> list[str]:
    """Why a name that looks like a counterpart did not count ("岩屋 was not foreign minister on
    2020-01-01"): the office its title names (else "in office") on the article's day."""
    out = []
    for hit in hits:
        holder = vocab.holder(hit.ref) if hit.category == "inactive" and hit.ref else None
        if holder is None:
            continue
        names = [n for n in holder.names + holder.short_names if hit.surface.startswith(n)]
        title = hit.surface[len(max(names, key=len, default="")) :]
        # the office of the longest title printed (国務長官 over 長官)
        fits = [(len(t), r.id) for r in vocab.roles if r.side == holder.side for t in r.titles if t in title]
        roles = {max(fits)[1]} if title and fits else set()
        if not roles:  # English puts the title first: a holder of one office is named by it
            roles = {p.role for p in holder.periods if p.role != "leader"}
        office = role_name(vocab, holder.side, roles.pop()) if len(roles) == 1 else "in office"
        who = hit.surface.split(" ")[-1] if hit.surface.isascii() else holder.display
        out.append(f"{who} was not {office}" + (f" on {day}" if day else ""))
    return list(dict.fromkeys(out))


def summary(
    vocab: Vocabulary,
    participants: tuple[str, ...],
    evidence: list[Hit],
    local: list[Hit],
    hits: list[Hit],
    english: bool = False,
    event_type: str | None = None,
) -> list[Term]:
    """Who (each participant once, Japan first) + what meeting + the country pair when it is separate.

    ``evidence`` are the hits of every deciding sentence, ``local`` those of the sentence that tells the
    talks (its meeting word is the most telling: 会談 rather than a later 一致 or a recalled 2+2), ``hits``
    the whole text.
    """
    who: dict[str, Term] = {}
    officials = sorted(
        (h for h in evidence if h.category in _WHO), key=lambda h: (h.side != "jp", h.start)
    ) or sorted((h for h in hits if h.category in _WHO), key=lambda h: (h.side != "jp", h.start))
    for pid in participants:
        hit = next((h for h in officials if h.ref == pid), None) or next(
            (h for h in hits if h.ref == pid and h.category in _WHO), None
        )
        if hit is not None and english:
            who.setdefault(pid, _as_printed(hit, [h for h in hits if h.ref == pid and h.category in _WHO]))
        elif hit is not None:
            who.setdefault(pid, canonical_term(vocab, hit))
    sides = {h.side for h in officials if h.ref in who}
    for h in officials:  # implied titles (日本の外相, 米閣僚) for a side no named holder stands for
        if h.side not in sides and h.ref not in who:
            who.setdefault(h.surface, canonical_term(vocab, h, english))
    agreement = {lookup_key(w) for w in vocab.agreement_words}
    return [*who.values(), *_meeting(evidence, local, hits, agreement, event_type)]


def _meeting(
    evidence: list[Hit], local: list[Hit], hits: list[Hit], agreement: set[str], event_type: str | None
) -> list[Term]:
    def first(pool: list[Hit], test: Callable[[Hit], bool]) -> Hit | None:
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

    def of_this_type(h: Hit) -> bool:  # 日米外相会談 for a foreign ministers' meeting, not a recalled 日米2+2
        return compound(h) and (event_type is None or (h.ref or "").split(":", 1)[-1] == event_type)

    found = first(local, compound) or first(evidence, of_this_type) or first(hits, of_this_type)
    if found:
        return [found.term()]
    # the event sentence's own word first: a 2+2 another sentence recalls is not what this talk was
    meeting = (
        first(local, typed)
        or first(local, plain)
        or first(local, agreed)
        or first(local, lambda h: h.category == "discussion")
        or first(evidence, typed)
        or first(evidence, plain)
        or first(local, lambda h: h.category in ("visit", "agenda"))  # 訪日へ…議論: the visit is the talk
    )
    country = first(local, pair) or first(evidence, pair)
    return [t.term() for t in (country, meeting) if t is not None]
