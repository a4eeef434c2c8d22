"""Dates as Japanese outlets print them, turned into ISO 8601 with an offset."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from crawler.outlets.text import nfkc

JST = timezone(timedelta(hours=9), "JST")

# era name -> (Gregorian year of the era's first year (元年), the era's last year number or None)
ERAS = {"令和": (2019, None), "平成": (1989, 31), "昭和": (1926, 64)}

_ERA_DATE = re.compile(r"(令和|平成|昭和)\s*(元|\d{1,2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_JA_DATE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
    r"(?:\s*[（(]?[月火水木金土日][）)]?)?"
    r"(?:\s*(午前|午後)?\s*(\d{1,2})\s*(?:時|:)\s*(\d{1,2})\s*分?)?"
)
_EN_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_EN_DATE = re.compile(r"\b([A-Z][a-z]{2,8})\.?\s+(\d{1,2}),\s*(\d{4})\b")


def iso_jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> str:
    return datetime(year, month, day, hour, minute, tzinfo=JST).isoformat()


def parse_era_date(text: str) -> str | None:
    """「令和7年1月21日」 -> ``2025-01-21T00:00:00+09:00`` (令和元年 = 2019)."""
    match = _ERA_DATE.search(nfkc(text))
    if not match:
        return None
    era, year_text, month, day = match.groups()
    year = 1 if year_text == "元" else int(year_text)
    first_year, last = ERAS[era]
    if year < 1 or (last is not None and year > last):
        return None  # 令和0年, 平成40年: not a year of that era
    try:
        return iso_jst(first_year + year - 1, int(month), int(day))
    except ValueError:
        return None


def parse_ja_date(text: str) -> str | None:
    """「2022年10月17日19時09分」, 「2026年7月8日6:23」, 「2025年10月28日午後7時40分」 -> ISO in JST."""
    match = _JA_DATE.search(nfkc(text))
    if not match:
        return None
    year, month, day, half, hour, minute = match.groups()
    hour_value = int(hour or 0) + (12 if half == "午後" and int(hour or 0) < 12 else 0)
    try:
        return iso_jst(int(year), int(month), int(day), hour_value, int(minute or 0))
    except ValueError:
        return None


def parse_en_date(text: str) -> str | None:
    """"January 21, 2025" -> ``2025-01-21T00:00:00+09:00`` (MOFA's English pages are JST)."""
    for match in _EN_DATE.finditer(text):
        month = _EN_MONTHS.get(match.group(1).lower())
        if month:
            try:
                return iso_jst(int(match.group(3)), month, int(match.group(2)))
            except ValueError:
                return None
    return None


def parse_rfc822(text: str) -> str | None:
    """RSS ``pubDate`` -> ISO 8601 keeping the declared offset."""
    try:
        return parsedate_to_datetime(text.strip()).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


_ISO_MAX = 35  # "2025-04-17T01:35:00.123456+09:00" is 32


def normalize_iso(text: str | None, default_tz: timezone = JST) -> str | None:
    """An ISO-ish timestamp with the declared offset kept; naive ones are taken as JST.

    ``Z`` is kept as ``Z`` because outlets (Reuters) declare UTC that way and analysts
    compare with the page.
    """
    if not text:
        return None
    value = text.strip()
    candidate = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=default_tz).isoformat()
    # the page's own spelling, unless it is longer than any ISO timestamp needs (nanosecond fractions,
    # padding): then Python's rendering, at most 32 characters
    return value if len(value) <= _ISO_MAX else parsed.isoformat()
