"""Event threads: articles about the same talks (across outlets, re-crawls and versions) share one thread.

An article joins a thread when the talks match — same meeting type and participants, talk dates within a
few days (or, without a date in the text, published shortly after the talks); outlets that type the same
talks differently (日米外相会談 / 2+2, a typo's extra participant) agree when both sides' participants
overlap and the talk date is the same day — or when it points back to them (「先の日米外相会談」, "last
week's talks"). The same two ministers on two dates are two talks. A preview (or a flash) opens a thread
that the talks it announces join, weeks later if need be; the first report then gives the thread its
real date, participants and title, so later talks of the same people open their own. An article with no
date at all joins only the one thread its people and meeting type fit, so it never glues two talks.
A ministerial article that joins none opens a new thread; a new article joining an existing one is a
**follow-up**.
Persistence goes through :class:`ThreadBook`, which the crawler's storage implements; an in-memory book is
provided for evaluation and tests.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from crawler.topics.classifier import TopicDecision

OFFICIAL_OUTLETS = frozenset({"mofa"})  # government readouts are marked "official" in their thread
SAME_TALK_DAYS = 2  # explicit talk dates this close are the same talks (time zones, overnight reporting)
LATE_REPORT_DAYS = 10  # an undated article this long after the talks still reports on them
PREVIEW_DAYS = 45  # talks announced in a preview happen within this many days
BACK_REFERENCE_DAYS = 120
LOOKBACK_DAYS = max(BACK_REFERENCE_DAYS, PREVIEW_DAYS)
_EPOCH = "1970-01-01T00:00:00+00:00"
_JST = dt.timezone(dt.timedelta(hours=9))


class ThreadRef(Protocol):
    """A thread as the threader reads it, whatever the book's own type (``storage.ThreadRow``,
    :class:`MemoryThread`): read-only, so a frozen dataclass provides it."""

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...  # readable, e.g. "日米外相会談 2025-01-21 岩屋–ルビオ"
    @property
    def signature(self) -> dict: ...  # JSON-serializable: meeting type, participants, date, ...
    @property
    def first_published(self) -> str: ...  # ISO 8601
    @property
    def last_published(self) -> str: ...


@dataclass(frozen=True)
class MemoryThread:
    """The in-memory book's thread (a :class:`ThreadRef`)."""

    id: int
    title: str
    signature: dict
    first_published: str
    last_published: str


class ThreadBook(Protocol):
    def thread_of(self, article_key: str) -> ThreadRef | None: ...
    # threads with last_published >= since (ISO)
    def recent_threads(self, since: str) -> Sequence[ThreadRef]: ...
    def open_thread(self, title: str, signature: dict, published: str) -> ThreadRef: ...
    def join_thread(self, thread_id: int, article_key: str, published: str, role: str) -> None: ...
    # role: "opener" | "follow-up" | "official" (MOFA readouts are marked official)
    def leave_thread(self, article_key: str) -> None: ...
    # a preview's thread takes the talks' real date, participants and title from their first report
    def update_thread(self, thread_id: int, title: str, signature: dict) -> None: ...
    # the opener (earliest member) and a member's role, for the stable order of same-time readouts
    def opener(self, thread_id: int) -> tuple[str, str] | None: ...  # (article key, role)
    def set_role(self, thread_id: int, article_key: str, role: str) -> None: ...


@dataclass(frozen=True)
class ThreadAssignment:
    thread: ThreadRef | None  # as read before the article joined it (a join may widen its span)
    is_new_thread: bool
    is_follow_up: bool


@dataclass(frozen=True)
class ThreadPlan:
    """What filing an article into its thread will write, decided from reads only (:func:`plan_thread`)."""

    article_key: str
    current: ThreadRef | None  # the thread the article is in already
    leave: bool = False  # an edit changed the label: the article leaves its thread
    open_title: str | None = None  # no thread fits: open one with this title
    signature: dict | None = None
    join: ThreadRef | None = None  # the thread of the same talks it follows up
    stamp: str = ""
    role: str = ""
    # the joined thread's new title and signature (a preview's thread filled by the report of its talks)
    fill: tuple[str, dict] | None = None
    demote: str | None = None  # the opener published at the same instant that this article precedes


def assign_thread(
    book: ThreadBook,
    article_key: str,
    outlet: str,
    decision: TopicDecision,
    published: str | None,
) -> ThreadAssignment:
    """File one article (version) into its event thread; see the module doc for the rules. The decision's
    event signature carries what the text says (date, back-reference, preview)."""
    return file_thread(book, plan_thread(book, article_key, outlet, decision, published))


def plan_thread(
    book: ThreadBook,
    article_key: str,
    outlet: str,
    decision: TopicDecision,
    published: str | None,
) -> ThreadPlan:
    """The reads and the decisions of :func:`assign_thread`; :func:`file_thread` writes them. Two steps so
    that a caller can do every read of a transaction before its first write (SQLite holds its write
    lock from the first write to the commit)."""
    current = book.thread_of(article_key)
    if current is not None:
        # an edit that changed the label takes the article out; a re-crawl or a new version stays
        return ThreadPlan(article_key, current, leave=decision.label != "ministerial")
    if decision.label != "ministerial" or decision.event is None:
        return ThreadPlan(article_key, None)

    signature = decision.event.to_dict()
    official = outlet in OFFICIAL_OUTLETS
    talk_date = signature.get("date")
    day = _day(published) if published else dt.date.fromisoformat(talk_date) if talk_date else None
    # the book needs an instant; an undated article gets one for storage only, never in its thread's title
    stamp = published or (f"{talk_date}T12:00:00+09:00" if talk_date else dt.datetime.now(dt.UTC).isoformat())
    if day is None:
        thread = _same_people(book.recent_threads(_EPOCH), signature)
    else:
        since = (day - dt.timedelta(days=LOOKBACK_DAYS)).isoformat()
        candidates = book.recent_threads(since)
        thread = _same_talks(candidates, signature, day) or _back_reference(candidates, signature, day)
    if thread is None:
        return ThreadPlan(article_key, None, open_title=thread_title(signature, day), signature=signature,
                          stamp=stamp, role="official" if official else "opener")
    demote = _same_time_opener(book, thread, article_key, official, stamp)
    role = ("official" if official else "opener") if demote else "official" if official else "follow-up"
    return ThreadPlan(article_key, None, join=thread, stamp=stamp, role=role,
                      fill=_filled(thread, signature), demote=demote)


def _same_time_opener(
    book: ThreadBook, thread: ThreadRef, key: str, official: bool, stamp: str
) -> str | None:
    """Two readouts published at the same instant open the thread in a stable order, not in download
    order: the official one first, then by key. The opener this article precedes, if any."""
    if _instant(stamp) != _instant(thread.first_published):
        return None
    opener = book.opener(thread.id)
    if opener is None:
        return None
    opener_key, opener_role = opener
    if opener_role == "official":
        return None  # an official readout stays official, whichever readout came first
    return opener_key if (not official, key) < (opener_role != "official", opener_key) else None


def file_thread(book: ThreadBook, plan: ThreadPlan) -> ThreadAssignment:
    """Write what :func:`plan_thread` decided."""
    if plan.current is not None:
        if plan.leave:
            book.leave_thread(plan.article_key)
            return ThreadAssignment(None, False, False)
        return ThreadAssignment(plan.current, False, False)
    if plan.open_title is not None and plan.signature is not None:
        thread = book.open_thread(plan.open_title, plan.signature, plan.stamp)
        book.join_thread(thread.id, plan.article_key, plan.stamp, plan.role)
        return ThreadAssignment(thread, True, False)
    if plan.join is not None:
        book.join_thread(plan.join.id, plan.article_key, plan.stamp, plan.role)
        if plan.demote is not None:
            book.set_role(plan.join.id, plan.demote, "follow-up")
        if plan.fill is not None:
            book.update_thread(plan.join.id, *plan.fill)
        return ThreadAssignment(plan.join, False, True)
    return ThreadAssignment(None, False, False)


def thread_title(signature: dict, day: dt.date | None) -> str:
    """e.g. "日米外相会談 2025-01-21 岩屋–ルビオ" (previews: "（予定）" and the day announced; no day known:
    no date, "日米外相会談 岩屋–ルビオ")."""
    when = signature.get("date") or (day.isoformat() if day else None)
    label = signature.get("label") or "会談"
    if signature.get("preview") and not signature.get("date"):
        label += "（予定）"
    names = "–".join(signature.get("names") or [])
    return " ".join(part for part in (label, when, names) if part)


def _filled(thread: ThreadRef, signature: dict) -> tuple[str, dict] | None:
    """A thread opened by a preview (or by a flash, or an article without the talks' date) takes what the
    first report of the talks says: their date, every participant, their venue, meeting type and modality."""
    mine = thread.signature
    report = not signature.get("preview") and not signature.get("back_reference")
    if not report or not (mine.get("preview") or not mine.get("date") or _more_people(signature, mine)):
        return None
    filled = dict(mine)
    filled["preview"] = False
    filled["date"] = signature.get("date") or (None if mine.get("preview") else mine.get("date"))
    if _more_people(signature, mine):
        filled["participants"] = signature.get("participants") or []
        filled["names"] = signature.get("names") or []
    filled["places"] = list(dict.fromkeys([*(mine.get("places") or []), *(signature.get("places") or [])]))
    if mine.get("type") == "meeting" or mine.get("preview"):
        for key in ("type", "label", "modality"):
            filled[key] = signature.get(key, mine.get(key))
    if filled == mine:
        return None
    day = dt.date.fromisoformat(filled["date"]) if filled.get("date") else _day(thread.first_published)
    return thread_title(filled, day), filled


def _more_people(new: dict, old: dict) -> bool:
    theirs, mine = set(new.get("participants") or ()), set(old.get("participants") or ())
    return mine < theirs


# --- matching -----------------------------------------------------------------------------------------------


def _day(iso: str) -> dt.date:
    """The day of an instant in Japan, the outlets' zone (storage keeps instants in UTC)."""
    try:
        moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return dt.date.fromisoformat(iso[:10])
    return moment.astimezone(_JST).date() if moment.tzinfo else moment.date()


def _compatible(a: dict, b: dict) -> bool:
    """Same kind of talks between the same people (either side may name fewer of them). Two types are
    one when the same people met on the same day (:func:`_same_day_other_type`)."""
    pa, pb = set(a.get("participants") or ()), set(b.get("participants") or ())
    if not (not pa or not pb or pa <= pb or pb <= pa):
        return False
    return a.get("type") == b.get("type") or "meeting" in (a.get("type"), b.get("type")) or (
        _same_day_other_type(a, b)
    )


def _same_day_other_type(a: dict, b: dict) -> bool:
    """日米外相会談 in one outlet, 2+2 or 閣僚会合 in another: the same talks when both name the same day
    and someone of each side in common. A call the day before a 2+2 stays its own talk."""
    shared = set(a.get("participants") or ()) & set(b.get("participants") or ())
    return bool(a.get("date")) and a.get("date") == b.get("date") and len(shared) >= 2 and not (
        a.get("preview") or b.get("preview")
    )


def _talk_day(thread: ThreadRef) -> tuple[dt.date, bool]:
    """The talks' day as the thread knows it, and whether that is an explicit date."""
    date = thread.signature.get("date")
    return (dt.date.fromisoformat(date), True) if date else (_day(thread.first_published), False)


def _distance(thread: ThreadRef, signature: dict, day: dt.date) -> int | None:
    """Days between the article's talks and the thread's, or None when they cannot be the same talks."""
    talk, explicit = _talk_day(thread)
    announced = _day(thread.first_published)
    if thread.signature.get("preview") and not (explicit and talk > announced):
        # a preview without the talks' day (or with its own day, which may be the announcement's): the
        # talks it announced happen (and get reported) within the preview window
        when = dt.date.fromisoformat(signature["date"]) if signature.get("date") else day
        delta = (when - announced).days
        return abs(delta) if -SAME_TALK_DAYS <= delta <= PREVIEW_DAYS else None
    if signature.get("date"):
        delta = abs((dt.date.fromisoformat(signature["date"]) - talk).days)
        return delta if delta <= SAME_TALK_DAYS else None
    delta = (day - talk).days
    return abs(delta) if -SAME_TALK_DAYS <= delta <= LATE_REPORT_DAYS else None


def _same_talks(candidates: Sequence[ThreadRef], signature: dict, day: dt.date) -> ThreadRef | None:
    scored = []
    for thread in candidates:
        if not _compatible(signature, thread.signature):
            continue
        distance = _distance(thread, signature, day)
        if distance is not None:
            shared = len(
                set(signature.get("participants") or ()) & set(thread.signature.get("participants") or ())
            )
            scored.append((-shared, distance, -thread.id, thread))
    return min(scored, key=lambda s: s[:3])[3] if scored else None


def _same_people(candidates: Sequence[ThreadRef], signature: dict) -> ThreadRef | None:
    """No date at all (neither published nor in the text): the same meeting type and the same people.

    Without a date two threads of the same people cannot be told apart, so a tie opens a new thread
    rather than guessing."""
    mine = set(signature.get("participants") or ())
    venues = set(signature.get("places") or ())
    scored: list[tuple[bool, bool, int, bool, ThreadRef]] = []
    for thread in candidates:
        theirs = set(thread.signature.get("participants") or ())
        if thread.signature.get("type") != signature.get("type"):
            continue
        if _compatible(signature, thread.signature) and (mine == theirs or mine & theirs):
            # the venue both name tells two talks of the same people apart (軽井沢 vs Washington); then a
            # call and a meeting are two talks: the same modality ranks first
            same_place = bool(venues & set(thread.signature.get("places") or ()))
            same_kind = thread.signature.get("modality") == signature.get("modality")
            scored.append((same_place, mine == theirs, len(mine & theirs), same_kind, thread))
    if not scored:
        return None
    best = max(scored, key=lambda s: s[:4])
    return best[4] if [s[:4] for s in scored].count(best[:4]) == 1 else None


def _back_reference(candidates: Sequence[ThreadRef], signature: dict, day: dt.date) -> ThreadRef | None:
    """「先の日米外相会談」: the latest earlier thread of that kind, when the article dates no new talks."""
    if not signature.get("back_reference") or signature.get("date"):
        return None
    earlier = [
        t
        for t in candidates
        if _compatible(signature, t.signature) and 0 <= (day - _talk_day(t)[0]).days <= BACK_REFERENCE_DAYS
    ]
    return max(earlier, key=lambda t: (_talk_day(t)[0], t.id)) if earlier else None


# --- an in-memory book ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Membership:
    thread_id: int
    article_key: str
    published: str
    role: str


class InMemoryThreadBook:
    """A small, real :class:`ThreadBook` (evaluation, tests); storage implements the same protocol in SQL."""

    def __init__(self) -> None:
        self._threads: dict[int, MemoryThread] = {}
        self._members: dict[str, Membership] = {}
        self._ids = itertools.count(1)

    def thread_of(self, article_key: str) -> MemoryThread | None:
        member = self._members.get(article_key)
        return self._threads[member.thread_id] if member else None

    def recent_threads(self, since: str) -> list[MemoryThread]:
        cutoff = _instant(since)
        return [t for t in self._threads.values() if _instant(t.last_published) >= cutoff]

    def open_thread(self, title: str, signature: dict, published: str) -> MemoryThread:
        thread = MemoryThread(next(self._ids), title, dict(signature), published, published)
        self._threads[thread.id] = thread
        return thread

    def join_thread(self, thread_id: int, article_key: str, published: str, role: str) -> None:
        thread = self._threads[thread_id]
        self._members[article_key] = Membership(thread_id, article_key, published, role)
        if _instant(published) > _instant(thread.last_published):
            self._threads[thread_id] = replace(thread, last_published=published)

    def leave_thread(self, article_key: str) -> None:
        self._members.pop(article_key, None)

    def update_thread(self, thread_id: int, title: str, signature: dict) -> None:
        self._threads[thread_id] = replace(self._threads[thread_id], title=title, signature=dict(signature))

    def opener(self, thread_id: int) -> tuple[str, str] | None:
        first = next((m for m in self.members(thread_id) if m.role in ("opener", "official")), None)
        return (first.article_key, first.role) if first else None

    def set_role(self, thread_id: int, article_key: str, role: str) -> None:
        member = self._members.get(article_key)
        if member is not None and member.thread_id == thread_id:
            self._members[article_key] = replace(member, role=role)

    # read helpers for reports and tests
    def threads(self) -> list[MemoryThread]:
        return sorted(self._threads.values(), key=lambda t: t.id)

    def members(self, thread_id: int) -> list[Membership]:
        return sorted(
            (m for m in self._members.values() if m.thread_id == thread_id),
            key=lambda m: (_instant(m.published), m.article_key),
        )


def _instant(iso: str) -> dt.datetime:
    """Comparable instant; date-only or naive values are read as JST, the outlets' zone."""
    value = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=_JST)
