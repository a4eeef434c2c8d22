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
in the same unit cost a point. Otherwise Japan–US signals make it **related**, anything else **other**.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from crawler.topics.normalize import alternation, compile_surfaces, lookup_key, normalize
from crawler.topics.vocabulary import OfficeHolder, Vocabulary, default_vocabulary

MASK = "\u3013"  # 〓: same length as the masked text, matches no vocabulary entry
THRESHOLD = 5
STRONG = 6
_SENTENCE_END = re.compile(r"(?:[。！？!?]+|\.(?=\s+[A-Z\"“])|\n)\s*")
_NO_GAP = "。、,.\n" + MASK


@dataclass(frozen=True)
class Term:
    """One vocabulary hit: ``category`` (jp_official, us_official, meeting, pair, marker, negative, ...),
    the matched ``surface`` (normalized text) and a ``ref`` (holder id, meeting type, side, cue kind)."""

    category: str
    surface: str
    ref: str | None = None


@dataclass(frozen=True)
class EventSignature:
    """What identifies the talks, for threading: pairing, meeting type, participants, date."""

    pair: str
    type: str
    label: str
    participants: tuple[str, ...]
    date: str | None  # ISO date of the talks when the text says so (「21日」 resolved against `published`)
    modality: str  # "meeting" | "call"
    preview: bool = False
    back_reference: bool = False
    names: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["participants"] = list(self.participants)
        data["names"] = list(self.names)
        return data


@dataclass
class TopicDecision:
    label: str  # "ministerial" | "related" | "other"
    score: float
    terms: list[Term] = field(default_factory=list)
    event: EventSignature | None = None
    evidence: list[Term] = field(default_factory=list)  # the terms of the deciding sentence(s)
    reason: str = ""

    def explain(self) -> str:
        """e.g. ``flagged: 岩屋外相 + ルビオ国務長官 + 会談``."""
        shown = self.evidence or [t for t in self.terms if t.category != "marker"][:6]
        parts = " + ".join(dict.fromkeys(t.surface for t in shown))
        head = "flagged" if self.label == "ministerial" else self.label
        tail = f" ({self.reason})" if self.reason else ""
        return f"{head}: {parts or 'no vocabulary hit'}{tail}"


@dataclass(frozen=True)
class _Hit:
    category: str
    surface: str
    start: int
    end: int
    ref: str | None = None
    side: str | None = None
    role: str | None = None

    def term(self) -> Term:
        return Term(self.category, self.surface, self.ref)


# --- compiled vocabulary ---------------------------------------------------------------------------------


def _opt(surfaces: tuple[str, ...]) -> str:
    return f"(?:{alternation(surfaces)})?" if surfaces else ""


class _Matcher:
    def __init__(self, v: Vocabulary) -> None:
        self.v = v
        jp_titles = tuple(t for r in v.roles if r.side == "jp" for t in r.titles)
        gap = rf"(?:\s?(?:[A-Za-z'-]+\s){{0,2}}|[^\s{re.escape(_NO_GAP)}]{{0,{v.pair_max_gap}}}?)"
        connector = r"[」』\"]?(?:の|'s|\s)?\s?"
        self.masks: list[tuple[str, re.Pattern[str]]] = [
            (
                "multilateral",
                self._re(alternation(v.forums) + connector + _opt(v.forum_roles) + _opt(v.forum_meetings)),
            ),
            (
                "foreign_official",
                self._re(
                    f"{alternation(v.foreign_prefixes)}{connector}{alternation(v.foreign_titles)}"
                    f"|{alternation(v.foreign_names)}"
                ),
            ),
            (
                "other_pair",
                self._re(
                    alternation(v.other_pairs, v.pair_not_after)
                    + r"(?:の)?"
                    + _opt(jp_titles + v.forum_roles)
                    + _opt(v.forum_meetings + v.meeting_words)
                ),
            ),
            *[
                (
                    f"vice:{side}",
                    self._re(
                        f"{alternation(v.vice_prefixes[side])}\\s?{alternation(v.vice_words)}"
                        f"(?:\\s+of\\s+(?:State|Defense|Commerce|the Treasury))?"
                    ),
                )
                for side in ("jp", "us")
            ],
            (
                "vice",
                self._re(alternation(v.vice_words) + r"(?:\s+of\s+(?:State|Defense|Commerce|the Treasury))?"),
            ),
            ("ambassador", compile_surfaces(v.ambassador)),
            ("leader", compile_surfaces(v.leader_meetings)),
        ]
        self.names = compile_surfaces(n for h in v.holders for n in h.names + h.short_names)
        self.name_index: dict[str, tuple[OfficeHolder, bool]] = {}
        for h in v.holders:
            for n in h.short_names:
                self.name_index[lookup_key(n)] = (h, True)
            for n in h.names:
                self.name_index[lookup_key(n)] = (h, False)
        self.implied = compile_surfaces(s for r in v.roles for s in r.implied)
        self.implied_index = {lookup_key(s): r for r in v.roles for s in r.implied}
        self.types = compile_surfaces(s for t in v.meeting_types for s in t.surfaces)
        self.type_index = {lookup_key(s): t.id for t in v.meeting_types for s in t.surfaces}
        type_alt = alternation([s for t in v.meeting_types for s in t.surfaces])
        word_alt = alternation(v.meeting_words)
        self.pair_meeting = self._re(
            f"{alternation(v.pairs, v.pair_not_after)}{gap}(?:(?P<type>{type_alt})|{word_alt})"
        )
        self.back = self._re(
            f"{alternation(v.back_prefixes)}[^{re.escape(_NO_GAP)}]{{0,{v.back_max_gap}}}?"
            f"(?:{type_alt}|{word_alt})"
        )
        self.simple = {
            "meeting": compile_surfaces(v.meeting_words),
            "call": compile_surfaces(v.call_words),
            "pair": compile_surfaces(v.pairs, v.pair_not_after),
            "marker:jp": compile_surfaces(v.markers["jp"]),
            "marker:us": compile_surfaces(v.markers["us"]),
            "country": compile_surfaces(v.countries),
            "attendance": compile_surfaces(v.attendance),
            "preview": compile_surfaces(v.preview_words),
            "separately": compile_surfaces(v.separately),
        }
        self.joint = compile_surfaces(v.joint_forums)

    @staticmethod
    def _re(pattern: str) -> re.Pattern[str]:
        return re.compile(pattern, re.IGNORECASE)

    # --- scanning ---

    def mask(self, text: str) -> tuple[str, list[_Hit]]:
        hits = []
        for kind, pattern in self.masks:
            pieces, last = [], 0
            for m in pattern.finditer(text):
                if not m.group(0).strip():
                    continue
                kind_id, _, side = kind.partition(":")
                hits.append(
                    _Hit("negative", m.group(0).strip(), m.start(), m.end(), ref=kind_id, side=side or None)
                )
                pieces += [text[last : m.start()], MASK * (m.end() - m.start())]
                last = m.end()
            text = "".join([*pieces, text[last:]])
        return text, hits

    def officials(self, text: str, day: dt.date | None) -> list[_Hit]:
        hits: list[_Hit] = []
        matches = [
            (m, *self.name_index.get(lookup_key(m.group(0)), (None, False)))
            for m in self.names.finditer(text)
        ]
        named = {holder.id for _, holder, short in matches if holder and not short}
        for m, holder, short in matches:
            if holder is None:
                continue
            short = short and holder.id not in named  # "Austin" counts once "Lloyd Austin" was named
            role = holder.role_on(day, self.v.margin_days)
            titles = self._titles(holder, role)
            after = _title_after(text, m.end(), titles, self.v.title_qualifiers)
            if short and not after and not _title_before(text, m.start(), titles):
                continue
            surface = text[m.start() : after or m.end()]
            end = after or m.end()
            if role is None:
                hits.append(_Hit("inactive", surface, m.start(), end, ref=holder.id, side=holder.side))
            elif role == "leader":
                hits.append(
                    _Hit("leader", surface, m.start(), end, ref=holder.id, side=holder.side, role=role)
                )
            else:
                hits.append(
                    _Hit(
                        f"{holder.side}_official",
                        surface,
                        m.start(),
                        end,
                        ref=holder.id,
                        side=holder.side,
                        role=role,
                    )
                )
        taken = [(h.start, h.end) for h in hits]
        for m in self.implied.finditer(text):
            if any(s <= m.start() < e for s, e in taken):
                continue
            role = self.implied_index[lookup_key(m.group(0))]
            holder = self._holder_for(role.side, role.id, day)
            hits.append(
                _Hit(
                    f"{role.side}_official",
                    m.group(0),
                    m.start(),
                    m.end(),
                    ref=holder.id if holder else f"{role.side}:{role.id}",
                    side=role.side,
                    role=role.id,
                )
            )
        return hits

    def _titles(self, holder: OfficeHolder, role: str | None) -> tuple[str, ...]:
        roles = [role] if role and role != "leader" else [p.role for p in holder.periods]
        return tuple(t for r in roles if (spec := self.v.role(holder.side, r)) for t in spec.titles)

    def _holder_for(self, side: str, role: str, day: dt.date | None) -> OfficeHolder | None:
        """The office holder a bare title refers to on ``day`` (トランプ政権の国務長官 → rubio)."""
        if day is None:
            return None
        found = [h for h in self.v.holders if h.side == side and h.role_on(day, 0) == role]
        return found[0] if len(found) == 1 else None

    def others(self, text: str) -> list[_Hit]:
        hits = []
        for m in self.pair_meeting.finditer(text):
            type_surface = m.group("type")
            ref = self.type_index.get(lookup_key(type_surface)) if type_surface else None
            hits.append(_Hit("pair", m.group(0), m.start(), m.end(), ref=f"meeting:{ref or ''}"))
        for m in self.types.finditer(text):
            hits.append(
                _Hit("meeting", m.group(0), m.start(), m.end(), ref=self.type_index[lookup_key(m.group(0))])
            )
        for m in self.back.finditer(text):
            hits.append(_Hit("back_reference", m.group(0), m.start(), m.end()))
        typed = [(h.start, h.end) for h in hits if h.category == "meeting"]
        for key, pattern in self.simple.items():
            category, _, side = key.partition(":")
            for m in pattern.finditer(text):
                if category == "meeting" and any(s <= m.start() < e for s, e in typed):
                    continue  # 会談 inside 外相会談
                ref = side or ("attendance" if category == "attendance" else None)
                cat = "negative" if category == "attendance" else category
                hits.append(_Hit(cat, m.group(0), m.start(), m.end(), ref=ref, side=side or None))
        return hits


@lru_cache(maxsize=8)
def _matcher(vocabulary: Vocabulary) -> _Matcher:
    return _Matcher(vocabulary)


def _title_after(text: str, end: int, titles: tuple[str, ...], qualifiers: tuple[str, ...]) -> int | None:
    rest = text[end : end + 24]
    offset = len(rest) - len(rest.lstrip(" ・"))
    for qualifier in ("", *qualifiers):
        if not rest.startswith(qualifier, offset):
            continue
        at = offset + len(qualifier)
        for title in sorted(titles, key=len, reverse=True):
            if rest[at : at + len(title)].casefold() == title.casefold():
                return end + at + len(title)
    return None


def _title_before(text: str, start: int, titles: tuple[str, ...]) -> bool:
    before = text[max(0, start - 40) : start].rstrip(" ・").casefold()
    # English puts the title before the (first and) last name: "Finance Minister Katsunobu Kato"
    before_words = re.sub(r"(?:\s+[A-Z][a-z]+)?$", "", text[max(0, start - 40) : start].rstrip()).casefold()
    return any(before.endswith(t.casefold()) or before_words.endswith(t.casefold()) for t in titles)


# --- scoring ---------------------------------------------------------------------------------------------


@dataclass
class _Unit:
    sentences: tuple[int, ...]
    hits: list[_Hit]
    score: float = 0.0

    def has(self, category: str, ref: str | None = None) -> bool:
        return any(h.category == category and (ref is None or h.ref == ref) for h in self.hits)

    def negatives(self, *kinds: str) -> bool:
        return any(h.category == "negative" and h.ref in kinds for h in self.hits)


def _score(unit: _Unit, window: bool) -> float:
    """Side and meeting strengths, minus a point per look-alike cue in the same unit (see module doc)."""
    jp_off, us_off = unit.has("jp_official"), unit.has("us_official")
    pair = unit.has("pair")
    compound = any(h.category == "pair" and h.ref not in (None, "meeting:") for h in unit.hits)
    if compound:
        return STRONG
    jp = 2 if jp_off else 1 if pair or unit.has("marker", "jp") or _leader(unit, "jp") else 0
    us = 2 if us_off else 1 if pair or unit.has("marker", "us") or _leader(unit, "us") else 0
    typed = any(h.category == "meeting" and h.ref for h in unit.hits) or any(
        h.category == "pair" and h.ref == "meeting:" for h in unit.hits
    )
    meet = 2 if typed else 1 if unit.has("meeting") else 0
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


def _leader(unit: _Unit, side: str) -> bool:
    return any(h.category == "leader" and h.side == side for h in unit.hits)


def _sentence_spans(text: str) -> list[int]:
    """Start offsets of sentences (the title is the first line, so always its own sentence)."""
    starts = [0]
    for m in _SENTENCE_END.finditer(text):
        if m.end() < len(text):
            starts.append(m.end())
    return starts


def _units(hits: list[_Hit], starts: list[int]) -> list[_Unit]:
    by_sentence: dict[int, list[_Hit]] = {}
    for h in hits:
        by_sentence.setdefault(bisect.bisect_right(starts, h.start) - 1, []).append(h)
    units = []
    for i in range(len(starts)):
        one = by_sentence.get(i, [])
        units.append(_Unit((i,), one))
        units.append(_Unit((i, i + 1), one + by_sentence.get(i + 1, [])))
    for unit in units:
        unit.score = _score(unit, window=len(unit.sentences) > 1)
    return units


def _co_mention_fallback(units: list[_Unit]) -> list[_Hit] | None:
    """Blog-style texts: both officials named together somewhere, and one of them meets somewhere else."""
    singles = [
        u for u in units if len(u.sentences) == 1 and not u.negatives("other_pair", "foreign_official")
    ]
    both = [u for u in singles if u.has("jp_official") and u.has("us_official")]
    meets = [
        u
        for u in singles
        if (u.has("jp_official") or u.has("us_official"))
        and u.has("meeting")
        and not u.negatives("vice", "ambassador", "attendance")
    ]
    if both and meets:
        return both[0].hits + meets[0].hits
    return None


# --- public API ------------------------------------------------------------------------------------------


def classify(
    title: str,
    text: str,
    published: str | None = None,
    lang: str | None = None,
    vocabulary: Vocabulary | None = None,
) -> TopicDecision:
    """Label one article: ``ministerial`` / ``related`` / ``other``, with score, fired terms and event.

    ``published`` (ISO 8601) decides which names are office holders (period ± margin) and anchors relative
    dates (「21日」). ``lang`` is accepted for the caller's record; both languages are always matched.
    """
    del lang  # vocabulary lists hold both languages; matching needs no switch
    vocab = vocabulary or default_vocabulary()
    matcher = _matcher(vocab)
    day = _day(published)
    full = normalize(f"{title or ''}\n{text or ''}", vocab.folder)
    masked, negatives = matcher.mask(full)
    hits = sorted(negatives + matcher.officials(masked, day) + matcher.others(masked), key=lambda h: h.start)
    terms = list(dict.fromkeys(h.term() for h in hits))
    starts = _sentence_spans(full)
    units = _units(hits, starts)
    best = max(units, key=lambda u: (u.score, -len(u.sentences), -u.sentences[0]), default=None)

    if best is not None and best.score >= THRESHOLD:
        deciding = [u for u in units if u.score >= THRESHOLD]
        evidence_hits = [h for u in deciding for h in u.hits]
        event = _event(vocab, matcher, evidence_hits, hits, full, starts, deciding, day)
        return TopicDecision(
            "ministerial", min(1.0, best.score / STRONG), terms, event, _evidence(best.hits), ""
        )
    fallback = _co_mention_fallback(units)
    if fallback:
        event = _event(vocab, matcher, fallback, hits, full, starts, [], day)
        return TopicDecision(
            "ministerial",
            0.6,
            terms,
            event,
            _evidence(fallback),
            "officials of both sides named together and a meeting reported",
        )
    joint = any(
        h.category == "negative" and h.ref == "multilateral" and matcher.joint.search(h.surface) for h in hits
    )
    return _not_ministerial(hits, terms, best.score if best else 0.0, joint)


def _evidence(hits: list[_Hit]) -> list[Term]:
    order = {"jp_official": 0, "us_official": 1, "pair": 2, "meeting": 3}
    chosen = [h for h in hits if h.category in order]
    chosen.sort(key=lambda h: (order[h.category], h.start))
    return list(dict.fromkeys(h.term() for h in chosen))


def _not_ministerial(hits: list[_Hit], terms: list[Term], best: float, joint_forum: bool) -> TopicDecision:
    def any_of(category: str, side: str | None = None, kinds: tuple[str, ...] = ()) -> list[_Hit]:
        return [
            h
            for h in hits
            if h.category == category and (side is None or h.side == side) and (not kinds or h.ref in kinds)
        ]

    counterpart = any_of("negative", kinds=("other_pair", "foreign_official"))
    pair = any_of("pair")
    jp = any_of("jp_official") + any_of("marker", "jp") + any_of("leader", "jp") + any_of("negative", "jp")
    us = (
        any_of("us_official")
        + any_of("marker", "us")
        + any_of("leader", "us")
        + any_of("negative", "us")
        + any_of("negative", kinds=("ambassador",))
    )
    multilateral = any_of("negative", kinds=("multilateral",))
    us_meets = any_of("us_official") and any_of("meeting") and not any_of("country")
    cues = [*any_of("negative", kinds=("leader", "vice", "ambassador", "attendance", "multilateral"))]

    if counterpart and not pair:
        shown = counterpart[:2] + (any_of("jp_official") or any_of("us_official"))[:1]
        return TopicDecision(
            "other", 0.1, terms, None, [h.term() for h in shown], "talks with another country"
        )
    multilateral = [h for h in multilateral if jp or joint_forum]  # NATO without Japan is not US–Japan
    officials_level = any_of("negative", kinds=("vice",)) and (jp or us)
    if (
        pair
        or (jp and us)
        or (multilateral and not counterpart)
        or (us_meets and not counterpart)
        or (officials_level and not counterpart)
    ):
        shown = (pair[:1] + jp[:1] + us[:1] + cues[:2]) or multilateral[:1]
        why = "Japan–US but no bilateral ministerial talk" + (f"; {cues[0].ref} cue" if cues else "")
        return TopicDecision(
            "related", round(0.3 + best / 20, 2), terms, None, [h.term() for h in shown], why
        )
    shown = any_of("jp_official")[:1] + any_of("us_official")[:1] + any_of("meeting")[:1]
    return TopicDecision("other", 0.0, terms, None, [h.term() for h in shown], "no Japan–US talks")


# --- the event signature ---------------------------------------------------------------------------------


def _event(
    vocab: Vocabulary,
    matcher: _Matcher,
    evidence: list[_Hit],
    hits: list[_Hit],
    full: str,
    starts: list[int],
    deciding: list[_Unit],
    day: dt.date | None,
) -> EventSignature:
    officials = [h for h in evidence if h.category.endswith("_official")] or [
        h for h in hits if h.category.endswith("_official")
    ]
    participants: dict[str, _Hit] = {}
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


def _meeting_type(vocab: Vocabulary, evidence: list[_Hit], hits: list[_Hit], officials: list[_Hit]) -> str:
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


# --- dates ---------------------------------------------------------------------------------------------

_YMD = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_MD = re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})日")
_D = re.compile(r"(?<![\d月年/.\-])(\d{1,2})日(?!間|以内|以降|ぶり)")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_EN_MD = re.compile(r"\b(" + "|".join(_EN_MONTHS) + r")[a-z]*\.?\s+(\d{1,2})\b", re.IGNORECASE)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EN_WD = re.compile(r"\bon (" + "|".join(_WEEKDAYS) + r")\b", re.IGNORECASE)
_RELATIVE = {
    "きょう": 0,
    "今日": 0,
    "本日": 0,
    "きのう": -1,
    "昨日": -1,
    "おととい": -2,
    "あす": 1,
    "明日": 1,
    "today": 0,
    "yesterday": -1,
    "tomorrow": 1,
}
_REL = re.compile("|".join(_RELATIVE), re.IGNORECASE)


def _day(published: str | None) -> dt.date | None:
    if not published:
        return None
    try:
        return dt.datetime.fromisoformat(published.strip().replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return dt.date.fromisoformat(published.strip()[:10])
        except ValueError:
            return None


def _nearest(candidates: list[dt.date], day: dt.date, max_days: int = 45) -> dt.date | None:
    # ties go to the past: news reports talks more often than it announces them
    ok = [c for c in candidates if abs((c - day).days) <= max_days]
    return min(ok, key=lambda c: (abs((c - day).days), c > day)) if ok else None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def infer_date(text: str, published: dt.date | None) -> dt.date | None:
    """The first date the text gives, resolved against the publication day (「21日」 → 2025-01-21)."""
    found: list[tuple[int, dt.date | None]] = []
    for m in _YMD.finditer(text):
        found.append((m.start(), _safe_date(int(m[1]), int(m[2]), int(m[3]))))
    if published:
        for m in _MD.finditer(text):
            cands = [
                _safe_date(y, int(m[1]), int(m[2]))
                for y in (published.year - 1, published.year, published.year + 1)
            ]
            found.append((m.start(), _nearest([c for c in cands if c], published, 200)))
        for m in _D.finditer(text):
            if any(s <= m.start() < s + 12 for s, _ in found):
                continue  # the 日 of a full date already read
            cands = []
            for shift in (-1, 0, 1):
                month_index = published.month - 1 + shift
                year, month = published.year + month_index // 12, month_index % 12 + 1
                cands.append(_safe_date(year, month, int(m[1])))
            found.append((m.start(), _nearest([c for c in cands if c], published)))
        for m in _EN_MD.finditer(text):
            month = _EN_MONTHS.index(m[1][:3].lower()) + 1
            cands = [_safe_date(y, month, int(m[2])) for y in (published.year - 1, published.year)]
            found.append((m.start(), _nearest([c for c in cands if c], published, 200)))
        for m in _EN_WD.finditer(text):
            back = (published.weekday() - _WEEKDAYS.index(m[1].lower())) % 7
            found.append((m.start(), published - dt.timedelta(days=back)))
        for m in _REL.finditer(text):
            found.append((m.start(), published + dt.timedelta(days=_RELATIVE[m[0].lower()])))
    found = [(pos, d) for pos, d in found if d]
    return min(found, key=lambda f: f[0])[1] if found else None
