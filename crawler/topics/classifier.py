"""Is this article about US–Japan ministerial talks? A structural, explainable rule over vocabulary hits.

The text (title first, then lead and body) is normalized, then scanned in two steps:

1. **Masking** of look-alikes, each recorded as a ``negative`` term: multilateral meetings (G7外相会合),
   other countries' officials and pairings (日豪外相会談, Chinese Foreign Minister), vice-minister and
   working-level ranks (国務副長官, 事務レベル協議), ambassadors, leader summits (首脳会談).
2. **Hits** on what is left: office holders (only inside their period ± margin), implied titles
   (国務長官 is always American), bilateral meeting types, generic meeting words, the 日米 pairing, markers.

Each sentence, and each pair of neighbouring sentences (Japanese elides the subject), is scored:
side strength (2 = an office holder, 1 = only a marker such as 米国 or 日米) for Japan and the US, plus
meeting strength (2 = a bilateral meeting type, 1 = a generic word). A unit scoring ≥ 5 (e.g. 岩屋外相 +
ルビオ国務長官 + 会談) or a 日米 + meeting type compound (日米外相会談, 日米2+2) makes the article
**ministerial**; other countries' counterparts, a minister merely attending, vice ranks or an ambassador
in the same unit cost a point. Such a unit must also state the main subject (:mod:`~crawler.topics.position`):
it lies in the title or lead, or in a body paragraph that is no back-reference (先月の…, "met in February")
when the lead already speaks of Japan–US talks, or the talks fill a third of the body; a talk recalled in a
background paragraph does not make a Japan–China, market or summit story ministerial. A headline that names
one minister (a press conference, a trip report) lends that minister to later sentences naming only the
other side's official; a US secretary's visit to Japan with an agenda (訪日へ…議論) names the hosts; a
vice-minister headline makes only units with both sides' ministers count. Otherwise Japan–US signals in the
title and lead make it **related** — trilaterals, Japan–US forums, the PM or an ambassador, vice ranks of
both sides — and anything else **other** (ASEAN or G20 with one side only, other countries' talks). A name
outside its period is reported as a near miss ("岩屋 was not foreign minister on 2020-01-01").

Modules: :mod:`~crawler.topics.matcher` (masking and hits), :mod:`~crawler.topics.scoring` (units and
scores), :mod:`~crawler.topics.events` (the event signature), :mod:`~crawler.topics.eventdate` (talk dates),
:mod:`~crawler.topics.explain` (who + meeting + pair), :mod:`~crawler.topics.decision` (the records),
:mod:`~crawler.topics.position` (title, lead and body).
"""

from __future__ import annotations

from crawler.topics.decision import EventSignature, Term, TopicDecision
from crawler.topics.eventdate import day_of, infer_date
from crawler.topics.events import build_event, event_unit
from crawler.topics.explain import near_misses, summary
from crawler.topics.matcher import Hit, matcher_for
from crawler.topics.normalize import normalize
from crawler.topics.position import layout, placed, recalled
from crawler.topics.scoring import (
    STRONG,
    THRESHOLD,
    Unit,
    build_units,
    co_mention_fallback,
    headline_subject,
    sentence_spans,
)
from crawler.topics.vocabulary import Vocabulary, default_vocabulary

__all__ = ["EventSignature", "Term", "TopicDecision", "classify", "infer_date"]


def classify(
    title: str,
    text: str,
    published: str | None = None,
    lang: str | None = None,
    vocabulary: Vocabulary | None = None,
) -> TopicDecision:
    """Label one article: ``ministerial`` / ``related`` / ``other``, with score, fired terms and event.

    ``published`` (ISO 8601) decides which names are office holders (period ± margin) and anchors relative
    dates (「21日」). Both languages are always matched; ``lang`` (else the text's script) picks the words an
    explanation shows: an English article is explained with the English words that matched.
    """
    vocab = vocabulary or default_vocabulary()
    matcher = matcher_for(vocab)
    day = day_of(published)
    full = normalize(f"{title or ''}\n{text or ''}", vocab.folder)
    masked, negatives = matcher.mask(full)
    hits = sorted(negatives + matcher.officials(masked, day) + matcher.others(masked), key=lambda h: h.start)
    terms = list(dict.fromkeys(h.term() for h in hits))
    starts = sentence_spans(full)
    units = build_units(hits, starts, frozenset(t.id for t in vocab.meeting_types if t.process))
    where = layout(full, starts)
    english = is_english(full, lang)
    best = max(units, key=lambda u: (u.score, -len(u.sentences), -u.sentences[0]), default=None)

    if best is not None and best.score >= THRESHOLD and placed(vocab, units, where, full, starts):
        deciding = [u for u in units if u.score >= THRESHOLD]
        evidence_hits = [h for u in deciding for h in u.hits]
        evidence_hits += headline_minister(hits, starts, deciding)
        event = build_event(vocab, matcher, evidence_hits, hits, full, starts, deciding, day)
        # the event sentence's meeting word names the talks (会談 rather than a recalled 2+2)
        told = event_unit(deciding) or best
        shown = summary(vocab, event.participants, evidence_hits, told.hits, hits, english, event.type)
        return TopicDecision("ministerial", min(1.0, best.score / STRONG), terms, event, shown, "")
    # the lead names both officials; that they met may come later, but not as a back-reference
    fallback = co_mention_fallback(
        [u for u in units if where.in_lead(u)],
        [u for u in units if where.in_lead(u) or not recalled(vocab, u, full, starts)],
    )
    if fallback:
        event = build_event(vocab, matcher, fallback, hits, full, starts, [], day)
        return TopicDecision(
            "ministerial",
            0.6,
            terms,
            event,
            summary(vocab, event.participants, fallback, fallback, hits, english, event.type),
            "officials of both sides named together and a meeting reported",
        )
    # not ministerial: related or other by what the title and lead are about
    lead_end = starts[where.lead_end] if where.lead_end < len(starts) else len(full)
    lead_hits = [h for h in hits if h.start < lead_end]
    joint = any(
        h.category == "negative" and h.ref == "multilateral" and matcher.joint.search(h.surface)
        for h in lead_hits
    )
    lead_units = [u for u in units if where.in_lead(u)]
    lead_best = max((u.score for u in lead_units), default=0.0)
    decision = _not_ministerial(lead_hits, terms, lead_best, joint, lead_units)
    missed = near_misses(vocab, hits, day)
    if missed:
        decision.reason = "; ".join(filter(None, (decision.reason, *missed)))
    return decision


def is_english(text: str, lang: str | None = None) -> bool:
    """The article's language: ``lang`` when given, else mostly Latin letters."""
    if lang:
        return lang.lower().startswith("en")
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) > 0.7 * len(letters)


def headline_minister(hits: list[Hit], starts: list[int], deciding: list[Unit]) -> list[Hit]:
    """The headline's minister, when a deciding sentence has that side only as its elided subject
    (see :func:`crawler.topics.scoring.headline_subject`): they are part of the talks' evidence."""
    title_end = starts[1] if len(starts) > 1 else None
    title = Unit((0,), [h for h in hits if title_end is None or h.start < title_end])
    sides = headline_subject(title)
    missing = {s for s in sides for u in deciding if not u.has(f"{s}_official")}
    return [h for h in title.hits if h.category.endswith("_official") and h.side in missing]


def _not_ministerial(
    hits: list[Hit], terms: list[Term], best: float, joint_forum: bool, units: list[Unit] | None = None
) -> TopicDecision:
    def shown(found: list[Hit]) -> list[Term]:
        # matched text here: a bare 岩屋 (江の島岩屋) must not read as 岩屋外相
        return list(dict.fromkeys(h.term() for h in found))

    def any_of(category: str, side: str | None = None, kinds: tuple[str, ...] = ()) -> list[Hit]:
        return [
            h
            for h in hits
            if h.category == category and (side is None or h.side == side) and (not kinds or h.ref in kinds)
        ]

    counterpart = any_of("negative", kinds=("other_pair", "foreign_official"))
    pair = any_of("pair")
    # an ambassador between the two countries (駐日米国大使) or their working-level forum stands for both
    envoy = any_of("negative", "both")
    jp = (
        any_of("jp_official")
        + any_of("marker", "jp")
        + any_of("leader", "jp")
        + any_of("negative", "jp")
        + envoy
    )
    us = (
        any_of("us_official")
        + any_of("marker", "us")
        + any_of("leader", "us")
        + any_of("negative", "us")
        + any_of("negative", kinds=("ambassador",))
        + envoy
    )
    # ASEAN, G20 or NATO with only one of the two is not US–Japan diplomacy
    multilateral = [h for h in any_of("negative", kinds=("multilateral",)) if (jp and us) or joint_forum]
    us_meets = any_of("us_official") and any_of("meeting") and not any_of("country")
    cues = [*any_of("negative", kinds=("leader", "vice", "ambassador", "attendance", "multilateral"))]

    # 日米韓外相会合 with Korea's minister named: a meeting Japan and the US both sit in is US–Japan diplomacy
    in_joint_forum = (joint_forum and any_of("jp_official") and any_of("us_official")) or _three_way(
        units or []
    )
    if counterpart and not pair and not in_joint_forum:
        picked = counterpart[:2] + (any_of("jp_official") or any_of("us_official"))[:1]
        return TopicDecision(
            "other", 0.1, terms, None, shown(picked), "talks with another country"
        )
    # vice ministers or officials of one side only (a reshuffle naming 政務官) are not US–Japan talks
    officials_level = any_of("negative", kinds=("vice",)) and jp and us
    if (
        pair
        or (jp and us)
        or (multilateral and not counterpart)
        or (us_meets and not counterpart)
        or (officials_level and not counterpart)
        or envoy
    ):
        picked = (pair[:1] + jp[:1] + us[:1] + cues[:2]) or multilateral[:1]
        if in_joint_forum and counterpart:
            picked = picked[:3] + counterpart[:1]
        why = "Japan–US but no bilateral ministerial talk" + (f"; {cues[0].ref} cue" if cues else "")
        if in_joint_forum and counterpart and not cues:
            why += "; a meeting with a third country's minister too"
        return TopicDecision(
            "related", round(0.3 + best / 20, 2), terms, None, shown(picked), why
        )
    picked = any_of("jp_official")[:1] + any_of("us_official")[:1] + any_of("meeting")[:1]
    return TopicDecision("other", 0.0, terms, None, shown(picked), "no Japan–US talks")


def _three_way(units: list[Unit]) -> bool:
    """One sentence of the lead names a Japanese minister, a US one and a third country's, meeting
    together (韓国の外交部長官と米国の国務長官、日本の外相が会談): a trilateral, without a bilateral."""
    return any(
        len(u.sentences) == 1
        and u.has("jp_official")
        and u.has("us_official")
        and u.has("meeting")
        and u.negatives("other_pair", "foreign_official")
        and not u.has("separately")
        for u in units
    )
