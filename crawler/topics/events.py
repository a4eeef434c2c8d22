"""The event signature of a ministerial article: pairing, meeting type, participants, date, preview."""

from __future__ import annotations

import datetime as dt

from crawler.topics.decision import EventSignature
from crawler.topics.eventdate import infer_date
from crawler.topics.matcher import Hit, Matcher
from crawler.topics.normalize import Spans
from crawler.topics.scoring import Unit
from crawler.topics.vocabulary import Vocabulary


def build_event(
    vocab: Vocabulary,
    matcher: Matcher,
    evidence: list[Hit],
    hits: list[Hit],
    full: str,
    starts: list[int],
    deciding: list[Unit],
    day: dt.date | None,
) -> EventSignature:
    officials = [h for h in evidence if h.category.endswith("_official")] or [
        h for h in hits if h.category.endswith("_official")
    ]
    participants: dict[str, Hit] = {}
    for h in sorted(officials, key=lambda h: (h.side != "jp", h.start)):
        if h.ref and ":" not in h.ref:
            participants.setdefault(h.ref, h)
    participants = _in_office(vocab, participants, day)
    best = event_unit(deciding)
    type_id = _meeting_type(vocab, best.hits if best else [], evidence, hits, officials)
    spec = next((t for t in vocab.meeting_types if t.id == type_id), None)
    label = vocab.pair_label + (spec.label if spec else "会談")
    sentence_ids = sorted({i for u in deciding for i in u.sentences}) or [0, 1, 2]
    bounds = [*starts, len(full)]
    scope = [full[bounds[i] : bounds[i + 1]] for i in sentence_ids if i < len(starts)]
    # 「先週の電話会談に続き、初の対面会談」: a call the text points back to is not this talk's modality
    recalled = Spans((h.start, h.end) for h in hits if h.category == "back_reference")
    calls = [h for h in hits if h.category == "call" and not recalled.covers(h.start)]
    at = {h.start for h in calls}
    call = any(h.category == "call" and h.start in at for h in evidence) or any(
        h.start < bounds[min(1, len(starts))] for h in calls
    )
    if call and label.endswith("会談") and "電話" not in label:
        label = label[: -len("会談")] + "電話会談"
    # the strongest sentence says whether these talks are announced or reported (a report of a call may
    # preview the next meeting in its last sentence), and its date is theirs before any other sentence's
    announced = any(h.category == "preview" for h in (best.hits if best else evidence))
    lead = full[: bounds[min(3, len(starts))]]
    mine = [full[bounds[i] : bounds[i + 1]] for i in (best.sentences if best else ()) if i < len(starts)]
    date = None
    for part in ("\n".join(mine), "\n".join(scope), lead):
        date = date or infer_date(part, day, future=announced)
    # a preview's date is the talks' (来月7日), never the day it was announced (「財務省は28日、…発表した」)
    preview = announced and (date is None or day is None or date >= day)
    holders = [vocab.holder(pid) for pid in participants]
    return EventSignature(
        pair=vocab.pair_label,
        type=type_id,
        label=label,
        participants=tuple(participants),
        date=date.isoformat() if date else None,
        modality="call" if call else "meeting",
        preview=preview,
        back_reference=any(h.category == "back_reference" for h in hits),
        names=tuple(h.display for h in holders if h),
        places=tuple(matcher.venues("\n".join(scope) + "\n" + lead)),
    )


def _in_office(vocab: Vocabulary, participants: dict[str, Hit], day: dt.date | None) -> dict[str, Hit]:
    """Within the period margin two holders of one office overlap (the outgoing foreign minister named
    in the new one's first call): the one in office on the day is the participant."""
    if day is None:
        return participants
    strict = {pid for pid in participants if (h := vocab.holder(pid)) and h.role_on(day, 0) is not None}
    return {
        pid: hit
        for pid, hit in participants.items()
        if pid in strict
        or not any(o in strict and participants[o].side == hit.side and participants[o].role == hit.role
                   for o in participants)
    }


def event_unit(deciding: list[Unit]) -> Unit | None:
    """The sentence that tells the talks: the first one naming officials of both sides (else the first
    deciding one). A stronger later sentence may be about other talks (「明日の2+2」 after the call)."""
    return min(
        deciding,
        key=lambda u: (not (u.has("jp_official") and u.has("us_official")), len(u.sentences), u.sentences[0]),
        default=None,
    )


def _meeting_type(
    vocab: Vocabulary, best: list[Hit], evidence: list[Hit], hits: list[Hit], officials: list[Hit]
) -> str:
    """The type the strongest sentence names (日米外相会談), else the one the participants' offices make
    (外相 + 国務長官 → foreign), else one named elsewhere in the evidence or the text: a 2+2 recalled in
    passing (「1月の2+2の成果を踏まえ」) does not make the foreign ministers' meeting a 2+2."""
    return (
        _named_type(best)
        or _type_by_roles(vocab, {(h.side, h.role) for h in officials})
        or _named_type(evidence)
        or _named_type(hits)
        or "meeting"
    )


def _named_type(pool: list[Hit]) -> str | None:
    for h in pool:
        if h.category == "pair" and h.ref and h.ref != "meeting:":  # 日米外相会談, 日米外相 (role:foreign)
            return h.ref.split(":", 1)[1]
        if h.category == "meeting" and h.ref:
            return h.ref
    return None


def _type_by_roles(vocab: Vocabulary, roles: set[tuple[str | None, str | None]]) -> str | None:
    best, best_hits = None, 0
    for t in vocab.meeting_types:
        jp = sum(("jp", r) in roles for r in t.jp_roles)
        us = sum(("us", r) in roles for r in t.us_roles)
        paired = len(t.jp_roles) == len(t.us_roles) > 1  # a 2+2: three of its four offices at least
        if jp and us and (not paired or jp + us >= 3) and jp + us > best_hits:
            best, best_hits = t.id, jp + us
    return best

