"""Text normalization for topic matching, and the regex builder every vocabulary list goes through.

Storage has its own fingerprint normalization (for deciding whether a version changed); this one only makes
spellings comparable: NFKC (全角→半角, ２＋２→2+2), dashes between Latin words, spaced "2 + 2", whitespace,
then the vocabulary's folds (赤澤→赤沢, ベセント→ベッセント, 戦争長官→国防長官, 外務大臣→外相, 米日→日米,
U.S.→US, Japan-U.S.→US-Japan, 2プラス2→2+2 …). Folds are data (``vocabulary.yaml``), not code.
Lengths may change here; matching then works on the normalized text only.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TypeVar

T = TypeVar("T")

_DASHES = re.compile(r"(?<=[A-Za-z.])\s*[\u2010-\u2015\u2212]\s*(?=[A-Za-z])")
_SPACED_PLUS = re.compile(r"(?<=\d)\s*\+\s*(?=\d)")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")


class Spans:
    """Is a position inside one of these spans? A bisect per question, so a scan that asks it of every
    match stays linear in the text (a list scan per match made classify quadratic on long texts)."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [s for s, _ in ordered]
        self._reach: list[int] = []  # the furthest end among spans starting at or before each start
        for _, end in ordered:
            self._reach.append(max(end, self._reach[-1]) if self._reach else end)

    def covers(self, position: int) -> bool:
        i = bisect.bisect_right(self._starts, position) - 1
        return i >= 0 and position < self._reach[i]


def base_normalize(text: str) -> str:
    """NFKC plus the punctuation and spacing folds that need no vocabulary."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _DASHES.sub("-", text)
    text = _SPACED_PLUS.sub("+", text)
    text = _SPACES.sub(" ", text)
    return "\n".join(line.strip() for line in text.split("\n"))


def is_case_sensitive(surface: str) -> bool:
    """Acronyms (US, USTR, G7, EU) match exactly, so "us" or "eu" in prose never does."""
    letters = [c for c in surface if c.isascii() and c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)


def lookup_key(surface: str) -> str:
    return surface if is_case_sensitive(surface) else surface.casefold()


def lookup(index: Mapping[str, T], surface: str) -> T | None:
    """The ``index`` entry (keyed by :func:`lookup_key`) of a matched surface: its exact-case key first
    (acronyms), then case-folded — an all-caps headline matches case-insensitive surfaces in capitals."""
    found = index.get(lookup_key(surface))
    return found if found is not None else index.get(surface.casefold())


def alternation(surfaces: Iterable[str], not_after: str = "") -> str:
    """One regex alternative per surface, longest first; ASCII ends get word boundaries.

    ``not_after`` lists characters that must not precede a match (日米 in 21日米国, 訪日米国人).
    """
    parts = []
    surfaces_set = set(surfaces)
    for surface in sorted(surfaces_set, key=lambda s: (-len(s), s)):
        body = re.escape(surface)
        body = f"(?-i:{body})" if is_case_sensitive(surface) else body
        if _ASCII_WORD.match(surface[0]):
            body = r"(?<![A-Za-z0-9])" + body
        if _ASCII_WORD.match(surface[-1]):
            body += r"(?![A-Za-z0-9])"
        parts.append(body)
    if not parts:
        return r"(?!x)x"  # matches nothing
    lead = f"(?<![{re.escape(not_after)}])" if not_after else ""
    # a match starts with some surface's first character: one class test per position rejects most of the
    # text before the engine tries each alternative (with its lookbehind) there
    first = "".join(re.escape(c) for c in sorted({s[0] for s in surfaces_set}))
    return f"(?=[{first}])" + lead + "(?:" + "|".join(parts) + ")"


def compile_surfaces(surfaces: Iterable[str], not_after: str = "") -> re.Pattern[str]:
    return re.compile(alternation(surfaces, not_after), re.IGNORECASE)


class Folder:
    """Applies the vocabulary's variant → canonical folds (repeated until stable, for chained folds)."""

    def __init__(self, folds: Mapping[str, str]) -> None:
        self._table = {lookup_key(base_normalize(k)): base_normalize(v) for k, v in folds.items()}
        self._pattern = compile_surfaces(base_normalize(k) for k in folds) if folds else None

    def _replace(self, match: re.Match[str]) -> str:
        found = match.group(0)
        return self._table.get(found, self._table.get(found.casefold(), found))

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        for _ in range(3):
            folded = self._pattern.sub(self._replace, text)
            if folded == text:
                break
            text = folded
        return text


def normalize(text: str, folder: Folder | None = None) -> str:
    """The form every matcher sees: :func:`base_normalize`, then the vocabulary folds."""
    text = base_normalize(text)
    return folder(text) if folder else text
