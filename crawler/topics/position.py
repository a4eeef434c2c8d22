"""Where the ministerial signal sits in the article: the title and lead state the main subject.

A full article recalls earlier talks in background paragraphs (「先月の日米外相会談では…」, "Rubio and
Iwaya met in February"); a report whose subject is something else (a Japan–China meeting, the stock
market, a faction, a summit) must not become ministerial through such a paragraph. So a deciding unit
counts when it lies in the **title + lead**; one in the **body** counts only when it is not a
back-reference (先月の, last month, earlier …) and either the title/lead already speak of Japan–US talks
(both sides and a meeting word, e.g. "Japan, US agree …" with the names in paragraph two; or a minister and
the other side, 「岩屋外務大臣の米国訪問（結果）」 with the talks in item (1)) or the talks
fill a substantial share of the body's paragraphs. A short text (headline + description, a teaser) has no
body: all of it is lead.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from crawler.topics.normalize import compile_surfaces
from crawler.topics.scoring import THRESHOLD, Unit
from crawler.topics.vocabulary import Vocabulary

# headline + description, a teaser: no background section to discount
SHORT_PARAGRAPHS = 2
SHORT_TEXT_CHARS = 600
# a dateline ("WASHINGTON, Jan 21 (Reuters) -"), a date or 「1　冒頭」 alone is not the lead: the next joins
LEAD_MIN_CHARS = 40
LEAD_MAX_SENTENCES = 3  # a body flattened into one line still has a lead
SUPPORT = 3  # title/lead: Japan, the US and a meeting word at least at marker level (see _speaks_of_talks)
BODY_MIN_PARAGRAPHS = 2
BODY_SHARE = 1 / 3


@dataclass(frozen=True)
class Layout:
    lead_end: int  # sentences [0, lead_end) are the title and the lead
    paragraph: tuple[int, ...]  # paragraph of each sentence; 0 is the title line
    body_paragraphs: int

    def _last(self, unit: Unit) -> int:
        # the last sentence's window runs past the end
        return min(unit.sentences[-1], len(self.paragraph) - 1)

    def in_lead(self, unit: Unit) -> bool:
        return self._last(unit) < self.lead_end

    def in_body_paragraph(self, unit: Unit) -> bool:
        first, last = unit.sentences[0], self._last(unit)
        return first >= self.lead_end and self.paragraph[first] == self.paragraph[last]


def layout(full: str, starts: list[int]) -> Layout:
    """Title (first line), lead and body of normalized ``title + "\\n" + text``."""
    title_end = full.find("\n")
    line_starts = [0] + [m.end() for m in re.finditer(r"\n\s*", full) if m.end() < len(full)]
    short = len(line_starts) - 1 <= SHORT_PARAGRAPHS and len(full) - title_end <= SHORT_TEXT_CHARS
    if title_end < 0 or short:
        return Layout(len(starts), tuple([0] * len(starts)), 0)
    paragraph = tuple(bisect.bisect_right(line_starts, s) - 1 for s in starts)
    # the lead starts after the title's sentences
    lead_start = next((i for i, p in enumerate(paragraph) if p > 0), len(starts))
    lead_end, chars = lead_start, 0
    while lead_end < len(starts) and lead_end - lead_start < LEAD_MAX_SENTENCES:
        if chars >= LEAD_MIN_CHARS and paragraph[lead_end] != paragraph[lead_end - 1]:
            break
        end = starts[lead_end + 1] if lead_end + 1 < len(starts) else len(full)
        chars += end - starts[lead_end]
        lead_end += 1
    body = {paragraph[i] for i in range(lead_end, len(starts))}
    return Layout(lead_end, paragraph, len(body))


@lru_cache(maxsize=8)
def _past(vocab: Vocabulary) -> re.Pattern[str]:
    return compile_surfaces(vocab.back_prefixes + vocab.past_words)


def recalled(vocab: Vocabulary, unit: Unit, full: str, starts: list[int]) -> bool:
    """Does the unit point back to earlier talks (先月の日米外相会談, "met in February")?"""
    bounds = [*starts, len(full)]
    last = min(unit.sentences[-1] + 1, len(starts))  # the last sentence's window runs past the end
    text = full[bounds[unit.sentences[0]] : bounds[last]]
    return unit.has("back_reference") or bool(_past(vocab).search(text))


def placed(vocab: Vocabulary, units: list[Unit], where: Layout, full: str, starts: list[int]) -> bool:
    """Do the deciding units make the talks the article's main subject (see the module doc)?"""
    deciding = [u for u in units if u.score >= THRESHOLD]
    if any(where.in_lead(u) for u in deciding):
        return True
    body = [u for u in deciding if where.in_body_paragraph(u) and not recalled(vocab, u, full, starts)]
    if not body:
        return False
    if any(where.in_lead(u) and _speaks_of_talks(u) for u in units):
        return True
    paragraphs = {where.paragraph[u.sentences[0]] for u in body}
    return len(paragraphs) >= max(BODY_MIN_PARAGRAPHS, BODY_SHARE * where.body_paragraphs)


def _speaks_of_talks(unit: Unit) -> bool:
    """Title/lead about Japan–US ministerial diplomacy: both sides and a meeting word ("Japan, US agree"), or
    a minister of one side with the other side present (「岩屋外相の米国訪問」, "Rubio arrives in Tokyo")."""
    # a lead about leaders (a summit), vice ministers or an ambassador is not about ministers' talks
    if unit.has("leader") or unit.negatives("leader", "vice", "ambassador"):
        return False
    if unit.score >= SUPPORT:
        return True
    if unit.negatives("other_pair", "foreign_official"):
        return False
    jp, us = unit.has("jp_official"), unit.has("us_official")
    pair = unit.has("pair")
    return (jp and (us or pair or unit.has("marker", "us"))) or (us and (pair or unit.has("marker", "jp")))
