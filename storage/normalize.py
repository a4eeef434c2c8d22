"""The text fingerprint: two texts that differ only in width, spacing or punctuation
spacing are the same version (a "trivial" change: no new version, counted in the fetch log)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
# invisible characters editors and CMSs insert and remove at will
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# punctuation variants that mean the same; applied after NFKC (which already maps ，．！？：（） etc.
# to their ASCII forms)
_PUNCTUATION = str.maketrans({
    "､": "、", ",": "、",  # Japanese and Latin commas are the same pause to the reader
    "｡": "。",
    "･": "・", "·": "・", "•": "・",  # middle dots
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",  # hyphens and dashes
    "〜": "~", "∼": "~",  # wave dash and tilde
    "“": '"', "”": '"', "„": '"', "″": '"',
    "‘": "'", "’": "'", "′": "'",
})


def normalize_text(text: str) -> str:
    """NFKC (full-width/half-width forms), invisible characters dropped, punctuation variants folded,
    then every run of whitespace removed.

    Japanese has no word spaces, and outlets re-space English and punctuation freely, so
    whitespace (including the spacing around punctuation) never carries meaning for "did the text change".
    """
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text).translate(_PUNCTUATION)
    return _WHITESPACE.sub("", text)


def normalized_parts(title: str, lead: str | None, paragraphs: list[str]) -> list[str]:
    return [normalize_text(title), normalize_text(lead or ""), normalize_text("".join(paragraphs))]


def fingerprint(title: str, lead: str | None, paragraphs: list[str]) -> str:
    # paragraphs are joined: re-splitting the same text into other paragraphs is not an edit
    parts = normalized_parts(title, lead, paragraphs)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
