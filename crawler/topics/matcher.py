"""Vocabulary compiled to regexes, and the two scanning passes over normalized text.

1. :meth:`Matcher.mask` blanks look-alikes (multilateral forums, other countries' officials and pairings,
   vice ranks, ambassadors, leader summits), each recorded as a ``negative`` hit.
2. :meth:`Matcher.officials` and :meth:`Matcher.others` find office holders, implied titles, meeting types,
   the country pair and markers in what is left.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from crawler.topics.decision import Term
from crawler.topics.normalize import Spans, alternation, compile_surfaces, lookup, lookup_key
from crawler.topics.vocabulary import OfficeHolder, Vocabulary

MASK = "\u3013"  # 〓: same length as the masked text, matches no vocabulary entry
_NO_GAP = "。、,.\n" + MASK
_CLAUSE_END = re.compile(r"[。！？!?;\n]|\.\s")


@dataclass(frozen=True)
class Hit:
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


class Matcher:
    def __init__(self, v: Vocabulary) -> None:
        self.v = v
        jp_titles = tuple(t for r in v.roles if r.side == "jp" for t in r.titles)
        gap = rf"(?:\s?(?:[A-Za-z'-]+\s){{0,2}}|[^\s{re.escape(_NO_GAP)}]{{0,{v.pair_max_gap}}}?)"
        connector = r"[」』\"]?(?:の|'s|\s)?\s?"
        # a name between a country and a title (韓国の朴振(パク・ジン)外交部長官): kanji, katakana, brackets,
        # never kana particles, and only after a country of two or more characters (加藤財務相 is no 加 + 藤)
        long_prefixes = tuple(p for p in v.foreign_prefixes if len(p) > 1 and not p.isascii())
        named_between = (
            f"{alternation(long_prefixes)}(?:の|・)?[\u4e00-\u9fff\u30a0-\u30ff・()]{{1,14}}?"
            f"{alternation(v.foreign_titles)}"
        )
        self.masks: list[tuple[str, re.Pattern[str]]] = [
            (
                "multilateral",
                # "G7外相会合", "G7 foreign ministers meet"
                self._re(
                    alternation(v.forums) + connector + _opt(v.forum_roles) + r"(?:\s?"
                    + alternation(v.forum_meetings) + ")?"
                ),
            ),
            (
                "foreign_official",
                self._re(
                    f"{alternation(v.foreign_prefixes)}{connector}{alternation(v.foreign_titles)}"
                    f"|{named_between}|{alternation(v.foreign_names)}"
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
            # 日米拡大抑止協議: the forum is both governments' (the 米 of 日米 is no rank's prefix)
            ("vice:both", compile_surfaces(v.vice_forums)),
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
            # "Deputy Secretary of State": the department names the side
            (
                "vice:us",
                self._re(alternation(v.vice_words) + r"\s+of\s+(?:State|Defense|Commerce|the Treasury)"),
            ),
            ("vice", self._re(alternation(v.vice_words))),
            ("ambassador:both", compile_surfaces(v.bilateral_ambassador)),
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
        role_alt = alternation([s for t in v.meeting_types for s in t.pair_roles])
        self.role_index = {lookup_key(s): t.id for t in v.meeting_types for s in t.pair_roles}
        self.pair_role = self._re(
            f"{alternation(v.pairs, v.pair_not_after)}(?:の|両|\\s)?(?P<role>{role_alt})"
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
            **{f"visit:{side}": compile_surfaces(v.visits.get(side, ())) for side in ("jp", "us")},
            "agenda": compile_surfaces(v.visit_agenda),
            "discussion": compile_surfaces(v.discussion_words),
        }
        self.joint = compile_surfaces(v.joint_forums)
        self.places = compile_surfaces(s for group in v.places for s in group)
        self.place_index = {lookup_key(s): group[0] for group in v.places for s in group}

    def venues(self, text: str) -> list[str]:
        """The venues a text names, in order, each once (軽井沢, Karuizawa → 軽井沢)."""
        found = (lookup(self.place_index, m.group(0)) for m in self.places.finditer(text))
        return list(dict.fromkeys(v for v in found if v))

    @staticmethod
    def _re(pattern: str) -> re.Pattern[str]:
        return re.compile(pattern, re.IGNORECASE)

    # --- scanning ---

    def mask(self, text: str) -> tuple[str, list[Hit]]:
        hits = []
        for kind, pattern in self.masks:
            pieces, last = [], 0
            for m in pattern.finditer(text):
                if not m.group(0).strip():
                    continue
                kind_id, _, side = kind.partition(":")
                hits.append(
                    Hit("negative", m.group(0).strip(), m.start(), m.end(), ref=kind_id, side=side or None)
                )
                pieces += [text[last : m.start()], MASK * (m.end() - m.start())]
                last = m.end()
            text = "".join([*pieces, text[last:]])
        return text, hits

    def officials(self, text: str, day: dt.date | None) -> list[Hit]:
        hits: list[Hit] = []
        matches = [
            (m, *(lookup(self.name_index, m.group(0)) or (None, False)))
            for m in self.names.finditer(text)
        ]
        named = {holder.id for _, holder, short in matches if holder and not short}
        untitled: list[tuple[re.Match[str], OfficeHolder, str]] = []
        for m, holder, short in matches:
            if holder is None:
                continue
            short = short and holder.id not in named  # "Austin" counts once "Lloyd Austin" was named
            role = holder.role_on(day, self.v.margin_days)
            titles = self._titles(holder, role)
            after = title_after(text, m.end(), titles, self.v.title_qualifiers)
            if short and not after and not title_before(text, m.start(), titles):
                if role and role != "leader" and m.group(0).isascii():
                    untitled.append((m, holder, role))
                continue
            surface = text[m.start() : after or m.end()]
            end = after or m.end()
            if role is None:
                hits.append(Hit("inactive", surface, m.start(), end, ref=holder.id, side=holder.side))
            elif role == "leader":
                hits.append(
                    Hit("leader", surface, m.start(), end, ref=holder.id, side=holder.side, role=role)
                )
            else:
                hits.append(
                    Hit(
                        f"{holder.side}_official",
                        surface,
                        m.start(),
                        end,
                        ref=holder.id,
                        side=holder.side,
                        role=role,
                    )
                )
        hits += self._counterparts_named_together(text, untitled, hits)
        taken = Spans((h.start, h.end) for h in hits)
        for m in self.implied.finditer(text):
            if taken.covers(m.start()):
                continue
            role = lookup(self.implied_index, m.group(0))
            assert role is not None  # self.implied matches the index's own surfaces
            holder = self._holder_for(role.side, role.id, day)
            hits.append(
                Hit(
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

    def _counterparts_named_together(
        self, text: str, untitled: list[tuple[re.Match[str], OfficeHolder, str]], found: list[Hit]
    ) -> list[Hit]:
        """English headlines drop titles: "Hegseth, Nakatani agree ..." A bare surname counts when the
        same clause names the other side's holder of a matching office (defense ↔ defense)."""
        pairs = set()
        for t in self.v.meeting_types:
            if len(t.jp_roles) == len(t.us_roles) > 1:  # a 2+2 pairs office by office
                pairs |= set(zip(t.jp_roles, t.us_roles, strict=True))
            else:
                pairs |= {(jp, us) for jp in t.jp_roles for us in t.us_roles}
        out = []
        found = sorted((h for h in found if h.category.endswith("_official")), key=lambda h: h.start)
        starts = [h.start for h in found]
        for m, holder, role in untitled:
            # only officials within 40 characters can be named together with this one
            lo, hi = bisect.bisect_left(starts, m.start() - 40), bisect.bisect_right(starts, m.start() + 40)
            near = found[lo:hi]
            for other in near:
                if (
                    other.side == holder.side
                    or not other.category.endswith("_official")
                    or other.role is None
                ):
                    continue
                lo, hi = sorted((m.start(), other.start))
                between = text[min(m.end(), other.end) : max(m.start(), other.start)]
                key = (role, other.role) if holder.side == "jp" else (other.role, role)
                if hi - lo <= 40 and not _CLAUSE_END.search(between) and key in pairs:
                    out.append(
                        Hit(
                            f"{holder.side}_official",
                            m.group(0),
                            m.start(),
                            m.end(),
                            holder.id,
                            holder.side,
                            role,
                        )
                    )
                    break
        return out

    def _titles(self, holder: OfficeHolder, role: str | None) -> tuple[str, ...]:
        roles = [role] if role and role != "leader" else [p.role for p in holder.periods]
        return tuple(t for r in roles if (spec := self.v.role(holder.side, r)) for t in spec.titles)

    def _holder_for(self, side: str, role: str, day: dt.date | None) -> OfficeHolder | None:
        """The office holder a bare title refers to on ``day`` (トランプ政権の国務長官 → rubio)."""
        if day is None:
            return None
        found = [h for h in self.v.holders if h.side == side and h.role_on(day, 0) == role]
        return found[0] if len(found) == 1 else None

    def others(self, text: str) -> list[Hit]:
        hits = []
        for m in self.pair_meeting.finditer(text):
            type_surface = m.group("type")
            ref = lookup(self.type_index, type_surface) if type_surface else None
            hits.append(Hit("pair", m.group(0), m.start(), m.end(), ref=f"meeting:{ref or ''}"))
        for m in self.pair_role.finditer(text):
            ref = lookup(self.role_index, m.group("role"))
            assert ref is not None  # self.pair_role matches the index's own surfaces
            hits.append(_role_hit(m, ref))
        for m in self.types.finditer(text):
            hits.append(
                Hit("meeting", m.group(0), m.start(), m.end(), ref=lookup(self.type_index, m.group(0)))
            )
        for m in self.back.finditer(text):
            hits.append(Hit("back_reference", m.group(0), m.start(), m.end()))
        typed = Spans((h.start, h.end) for h in hits if h.category == "meeting")
        for key, pattern in self.simple.items():
            category, _, side = key.partition(":")
            for m in pattern.finditer(text):
                if category == "meeting" and typed.covers(m.start()):
                    continue  # 会談 inside 外相会談
                ref = side or ("attendance" if category == "attendance" else None)
                cat = "negative" if category == "attendance" else category
                hits.append(Hit(cat, m.group(0), m.start(), m.end(), ref=ref, side=side or None))
        return hits


def _role_hit(m: re.Match[str], type_id: str) -> Hit:
    return Hit("pair", m.group(0), m.start(), m.end(), ref=f"role:{type_id}")


@lru_cache(maxsize=8)
def matcher_for(vocabulary: Vocabulary) -> Matcher:
    return Matcher(vocabulary)


def title_after(text: str, end: int, titles: tuple[str, ...], qualifiers: tuple[str, ...]) -> int | None:
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


def title_before(text: str, start: int, titles: tuple[str, ...]) -> bool:
    before = text[max(0, start - 40) : start].rstrip(" ・").casefold()
    # English puts the title before the (first and) last name: "Finance Minister Katsunobu Kato"
    before_words = re.sub(r"(?:\s+[A-Z][a-z]+)?$", "", text[max(0, start - 40) : start].rstrip()).casefold()
    return any(before.endswith(t.casefold()) or before_words.endswith(t.casefold()) for t in titles)
