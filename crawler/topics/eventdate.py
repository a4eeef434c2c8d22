"""Dates of talks in article text, resolved against the publication day (「21日」 → 2025-01-21)."""

from __future__ import annotations

import datetime as dt
import re

from crawler.topics.normalize import Spans

_YMD = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_MD = re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})日")
_D = re.compile(r"(?<![\d月年/.\-])(\d{1,2})日(?!間|以内|以降|ぶり)")
# 来月7日, 今月14~15日, 先月27日: the month is said, relative to the publication day
_REL_MONTH = re.compile(r"(来月|今月|先月)(\d{1,2})(?:日|[~\-・、]\d{1,2}日)")
_MONTH_SHIFT = {"来月": 1, "今月": 0, "先月": -1}
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_EN_MD = re.compile(r"\b(" + "|".join(_EN_MONTHS) + r")[a-z]*\.?\s+(\d{1,2})\b", re.IGNORECASE)
# "January 7, 2022", "7 January 2022": a full date needs no publication day
_MONTH_NAME = "(" + "|".join(_EN_MONTHS) + r")[a-z]*\.?"
_EN_MDY = re.compile(r"\b" + _MONTH_NAME + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I)
_EN_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_NAME + r",?\s+(\d{4})\b", re.I)
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


def day_of(published: str | None) -> dt.date | None:
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


def infer_date(text: str, published: dt.date | None, future: bool = False) -> dt.date | None:
    """The first date the text gives, resolved against the publication day (「21日」 → 2025-01-21).

    ``future``: the text announces talks, so a date after the publication day is theirs, else one on that
    day (which may be the announcement's: threads read it as a hint); an earlier one never is."""
    candidates = _full_dates(text)
    if published:
        candidates += _relative_dates(text, published)
    found = [(pos, d) for pos, d in candidates if d]
    if future and published:  # 「28日、…と発表した」 is the announcement: a later day first, else that day
        found = [f for f in found if f[1] > published] or [f for f in found if f[1] == published]
    return min(found, key=lambda f: f[0])[1] if found else None


def _full_dates(text: str) -> list[tuple[int, dt.date | None]]:
    found: list[tuple[int, dt.date | None]] = []
    for m in _YMD.finditer(text):
        found.append((m.start(), _safe_date(int(m[1]), int(m[2]), int(m[3]))))
    for m in _EN_MDY.finditer(text):
        found.append((m.start(), _safe_date(int(m[3]), _EN_MONTHS.index(m[1][:3].lower()) + 1, int(m[2]))))
    for m in _EN_DMY.finditer(text):
        found.append((m.start(), _safe_date(int(m[3]), _EN_MONTHS.index(m[2][:3].lower()) + 1, int(m[1]))))
    return found


def _relative_dates(text: str, published: dt.date) -> list[tuple[int, dt.date | None]]:
    """Dates that need the publication day: 21日, 1月21日, 来月7日, Jan 21, on Tuesday, きのう."""
    found: list[tuple[int, dt.date | None]] = []
    for m in _REL_MONTH.finditer(text):
        month_index = published.month - 1 + _MONTH_SHIFT[m[1]]
        year, month = published.year + month_index // 12, month_index % 12 + 1
        found.append((m.start(), _safe_date(year, month, int(m[2]))))
    for m in _MD.finditer(text):
        cands = [
            _safe_date(y, int(m[1]), int(m[2]))
            for y in (published.year - 1, published.year, published.year + 1)
        ]
        found.append((m.start(), _nearest([c for c in cands if c], published, 200)))
    read = Spans((s, s + 12) for s, _ in found)
    for m in _D.finditer(text):
        if read.covers(m.start()):
            continue  # the 日 of a full date (or of 来月7日) already read
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
    return found
