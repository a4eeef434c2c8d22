"""The event signature of a ministerial article: pairing, meeting type, participants, date, preview."""

from __future__ import annotations

import datetime as dt

from crawler.topics.decision import EventSignature
from crawler.topics.eventdate import infer_date
from crawler.topics.matcher import Hit, Matcher
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
    type_id = _meeting_type(vocab, evidence, hits, officials)
    spec = next((t for t in vocab.meeting_types if t.id == type_id), None)
    label = vocab.pair_label + (spec.label if spec else "会談")
    sentence_ids = sorted({i for u in deciding for i in u.sentences}) or [0, 1, 2]
    bounds = [*starts, len(full)]
    scope = [full[bounds[i] : bounds[i + 1]] for i in sentence_ids if i < len(starts)]
    call = any(h.category == "call" for h in evidence) or any(
        h.category == "call" and h.start < bounds[min(1, len(starts))] for h in hits
    )
    if call and label.endswith("会談") and "電話" not in label:
        label = label[: -len("会談")] + "電話会談"
    date = infer_date("\n".join(scope), day) or infer_date(full[: bounds[min(3, len(starts))]], day)
    preview = any(h.category == "preview" for h in evidence) and (date is None or day is None or date >= day)
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
    )


def _meeting_type(vocab: Vocabulary, evidence: list[Hit], hits: list[Hit], officials: list[Hit]) -> str:
    for pool in (evidence, hits):
        for h in pool:
            if h.category == "pair" and h.ref and h.ref != "meeting:":
                return h.ref.split(":", 1)[1]
            if h.category == "meeting" and h.ref:
                return h.ref
    roles = {(h.side, h.role) for h in officials}
    best, best_hits = "meeting", 0
    for t in vocab.meeting_types:
        jp = sum(("jp", r) in roles for r in t.jp_roles)
        us = sum(("us", r) in roles for r in t.us_roles)
        if jp and us and jp + us > best_hits:
            best, best_hits = t.id, jp + us
    return best

