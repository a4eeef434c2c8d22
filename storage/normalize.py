"""The text fingerprint: two texts that differ only in width, spacing or punctuation
spacing are the same version."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC (folds full-width/half-width forms), then every run of whitespace removed.

    Japanese has no word spaces, and outlets re-space English and punctuation freely, so
    whitespace never carries meaning for "did the text change".
    """
    text = unicodedata.normalize("NFKC", text)
    return _WHITESPACE.sub("", text)


def fingerprint(title: str, lead: str | None, paragraphs: list[str]) -> str:
    parts = [normalize_text(title), normalize_text(lead or ""), *(normalize_text(p) for p in paragraphs)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
