"""How the crawl compares texts across outlets: pure functions, handed to storage as
:data:`TEXT_RULES` (storage keeps the near-duplicate index, copy links and flash merges: tables and
queries, see :mod:`storage.syndication`).

**Copies.** A text's signature is a MinHash over character 4-gram shingles of its title and body, wire
credits left out: datasketch's MinHash in its default "affine32" scheme (CRC-32 of each shingle,
MurmurHash3's finalizer, then 120 affine hashes ``a·h + b mod 2^32``), computed here in a few NumPy lines
with the permutations drawn once. Stored signatures must keep exactly these values (a test checks them
against datasketch 2.x): importing datasketch in the crawl would add SciPy (~55 MB a process) and redraw
the permutations on every call. The original of a group of copies is the outlet a wire credit names
(（時事）, 【ワシントン時事】, （共同）, ［東京　ロイター］), else the one published first.

**jiji 速報 (flash).** A flash merges into the full story of the same day when most of the flash
headline's character bigrams (its 【速報】 prefix left out) are found in the full story's headline, lead and
first 1,000 characters of body.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from crawler.outlets.jiji import FLASH_PREFIX  # the outlet that owns the convention
from storage.normalize import normalize_text
from storage.syndication import SIGNATURE_LENGTH

SHINGLE = 4
NUM_PERM = SIGNATURE_LENGTH  # 120: storage cuts the signature into its LSH bands
SIGNATURE_CHARS = 2000
FLASH_CONTAINMENT = 0.5
_SEED = 20250121

# wire credits, e.g. （時事）, 【ワシントン時事】, （共同）, ［東京　２１日　ロイター］, (Reuters)
_CREDIT = re.compile(
    r"[（(【［\[][^（）()【】［］\[\]]{0,16}?(時事|共同|ロイター|Reuters|REUTERS)\s*[）)】］\]]"
)
CREDIT_OUTLETS = {"時事": "jiji", "共同": "kyodo", "ロイター": "reuters", "Reuters": "reuters",
                  "REUTERS": "reuters"}


def credit_of(text: str) -> str | None:
    """The wire or outlet a text credits (``jiji``, ``kyodo``, ``reuters``), if any."""
    match = _CREDIT.search(text)
    return CREDIT_OUTLETS[match.group(1)] if match else None


def signature_text(title: str, body: str) -> str:
    # credits differ between the original and its copies: leave them out of the comparison. The first
    # 2,000 characters decide: a copy shares its lead and body start, and MinHash cost grows with length
    return normalize_text(_CREDIT.sub("", f"{title}\n{body}"))[:SIGNATURE_CHARS]


# MurmurHash3's 32-bit finalizer: datasketch mixes each shingle hash with it before the permutations
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


def _permutations(seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``a`` (odd) and ``b`` of each affine hash, drawn as datasketch draws them for ``seed``."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, count, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, count, dtype=np.uint32)
    return a, b


_A, _B = _permutations(_SEED, NUM_PERM)


def minhash(text: str) -> np.ndarray:
    """The MinHash of ``text``'s character shingles (uint32, ``NUM_PERM`` values)."""
    shingles = {text[i:i + SHINGLE].encode("utf-8") for i in range(max(len(text) - SHINGLE + 1, 1))}
    hashes = np.fromiter(map(zlib.crc32, shingles), dtype=np.uint32, count=len(shingles))
    shift1, multiplier1, shift2, multiplier2, shift3 = _FMIX
    hashes ^= hashes >> shift1
    hashes *= multiplier1
    hashes ^= hashes >> shift2
    hashes *= multiplier2
    hashes ^= hashes >> shift3
    # one row per permutation; uint32 arithmetic wraps around: that is the hash's "mod 2^32"
    permuted = np.multiply.outer(_A, hashes)
    permuted += _B[:, np.newaxis]
    return permuted.min(axis=1)


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def flash_headline(title: str) -> str:
    return normalize_text(FLASH_PREFIX.sub("", title))


def containment(short: str, long: str) -> float:
    grams = _bigrams(short)
    return len(grams & _bigrams(long)) / len(grams) if grams else 0.0


@dataclass(frozen=True)
class TextRules:
    """The crawl's answers to :class:`storage.syndication.TextRules`."""

    flash_threshold: float = FLASH_CONTAINMENT

    def signature(self, title: str, body: str) -> np.ndarray:
        return minhash(signature_text(title, body))

    def credit(self, title: str, body: str) -> str | None:
        return credit_of(f"{title}\n{body}")

    def flash_score(self, flash_title: str, title: str, lead: str, body: str) -> float:
        return containment(flash_headline(flash_title), normalize_text(f"{title}{lead}{body[:1000]}"))


TEXT_RULES = TextRules()
