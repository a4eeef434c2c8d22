"""The dashboard's reads: talks (event threads) with their filters, one talk's timeline, one article's
history, the edits. Core statements over ``storage.models``; each page costs a handful of indexed queries
whatever the size of the database (lists are paged, aggregates are computed for the page's rows only)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from crawler.reports.timefmt import day_end_utc, day_start_utc, parse_time
from crawler.web.filters import Filters
from crawler.web.outlets import OFFICIAL_OUTLETS, meeting_name, person_name
from storage.diff import render
from storage.models import Article, Thread, ThreadMember, TopicMatch, Version

PAGE_SIZE = 50
# where a talk took place, when its first report or readout names it
PLACES = (
    "ワシントン", "ニューヨーク", "東京", "カナダ", "シャルルボワ", "ジュネーブ", "ロンドン", "ミュンヘン",
    "ブリュッセル", "パリ", "マニラ", "ビエンチャン", "クアラルンプール", "ジャカルタ", "シンガポール",
    "ソウル", "北京", "ハワイ", "大阪", "Washington", "New York", "Tokyo", "Canada", "Charlevoix",
    "Geneva", "London", "Munich", "Brussels", "Paris", "Manila", "Vientiane", "Kuala Lumpur",
)
_CALL = ("電話会談", "電話で", "テレビ会議", "phone call", "telephone", "video call")


def _like_escape(text: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", text)


# --- talks -------------------------------------------------------------------------------------------

@dataclass
class TalkRow:
    id: int
    title: str
    meeting: str
    participants: list[str]
    day: str | None  # the talks' date as the threader read it (ISO day), else the first report's
    first_published: str
    last_published: str
    place: str | None = None
    reports: int = 0
    copies: int = 0
    outlets: list[str] = field(default_factory=list)
    officials: int = 0
    last_edit: datetime | None = None
    label: str = ""


def _member_exists(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists(select(literal(1)).select_from(ThreadMember)
                  .join(Article, Article.key == ThreadMember.article_key)
                  .where(ThreadMember.thread_id == Thread.id, *conditions))


def edited_condition() -> ColumnElement[bool]:
    """The article has a second version (the unique (article_id, seq) index answers it)."""
    later = aliased(Version)  # the query around it may read versions too
    return exists(select(literal(1)).where(later.article_id == Article.id, later.seq > 1).correlate(Article))


def talk_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    signature = cast(Thread.signature, String)
    conditions: list[ColumnElement[bool]] = []
    for person in filters.people:
        conditions.append(signature.like(f'%"{_like_escape(person)}"%', escape="\\"))
    if filters.type:
        conditions.append(signature.like(f'%"type": "{_like_escape(filters.type)}"%', escape="\\"))
    if filters.since:
        conditions.append(Thread.last_published >= day_start_utc(filters.since))
    if filters.until:
        conditions.append(Thread.first_published <= day_end_utc(filters.until))
    member: list[ColumnElement[bool]] = []
    if filters.outlet:
        member.append(Article.outlet == filters.outlet)
    if filters.label:
        member.append(Article.label == filters.label)
    if member:
        conditions.append(_member_exists(*member))
    if filters.edited:
        conditions.append(_member_exists(edited_condition()))
    return conditions


def list_talks(conn: Connection, filters: Filters, page: int = 1,
               page_size: int = PAGE_SIZE) -> tuple[list[TalkRow], bool]:
    """Talks, newest report first (``sort="edit"``: the talks with edits, latest edit seen first), and
    whether there is a next page."""
    page = max(page, 1)
    columns = select(Thread.id, Thread.title, Thread.signature, Thread.first_published, Thread.last_published)
    if filters.sort == "edit":
        ids = _talk_ids_by_edit(conn, filters, page * page_size + 1)
        shown = ids[(page - 1) * page_size:]
        by_id = {r.id: r for r in conn.execute(columns.where(Thread.id.in_(shown or [0])))}
        rows = [by_id[i] for i in shown if i in by_id]
    else:
        rows = list(conn.execute(columns.where(*talk_conditions(filters))
                                 .order_by(Thread.last_published.desc(), Thread.id.desc())
                                 .limit(page_size + 1).offset((page - 1) * page_size)))
    talks = [talk_row(r) for r in rows[:page_size]]
    fill_talk_counts(conn, talks)
    return talks, len(rows) > page_size


EDIT_CHUNK = 500


def _talk_ids_by_edit(conn: Connection, filters: Filters, wanted: int) -> list[int]:
    """The talks the filters let through, by their latest edit seen, newest first: the edits are read
    newest first in chunks until ``wanted`` talks are found (an aggregate over every talk's edits costs
    a lookup per member of every talk, ~300 ms on PostgreSQL at 100k articles)."""
    edits = (select(Version.id, ThreadMember.thread_id)
             .join(Article, Article.id == Version.article_id)
             .join(ThreadMember, ThreadMember.article_key == Article.key)
             .where(Version.seq > 1).order_by(Version.id.desc()).limit(EDIT_CHUNK))
    order: list[int] = []
    seen: set[int] = set()
    below: int | None = None
    while len(order) < wanted:
        chunk = conn.execute(edits if below is None else edits.where(Version.id < below)).all()
        if not chunk:
            break
        below = chunk[-1][0]
        fresh = [t for t in dict.fromkeys(row[1] for row in chunk) if t not in seen]
        seen.update(fresh)
        if fresh:
            passing = set(conn.execute(select(Thread.id).where(Thread.id.in_(fresh),
                                                               *talk_conditions(filters))).scalars())
            order += [t for t in fresh if t in passing]
    return order


def talk_row(row: Any) -> TalkRow:
    signature = dict(row.signature or {})
    people = ([person_name(p) for p in signature.get("participants") or []]
              or list(signature.get("names") or []))
    return TalkRow(id=row.id, title=row.title, meeting=signature.get("label") or meeting_name(
        signature.get("type")), participants=people, day=signature.get("date"),
        first_published=row.first_published, last_published=row.last_published)


@dataclass
class _Member:
    thread_id: int
    role: str
    article_id: int
    outlet: str
    copy_of_id: int | None
    merged_into_id: int | None
    label: str | None


def fill_talk_counts(conn: Connection, talks: list[TalkRow]) -> None:
    if not talks:
        return
    by_id = {t.id: t for t in talks}
    members = [_Member(*r) for r in conn.execute(
        select(ThreadMember.thread_id, ThreadMember.role, Article.id, Article.outlet, Article.copy_of_id,
               Article.merged_into_id, Article.label)
        .join(Article, Article.key == ThreadMember.article_key)
        .where(ThreadMember.thread_id.in_(list(by_id))))]
    edits = dict(conn.execute(select(Version.article_id, func.max(Version.created_at))
                              .where(Version.article_id.in_([m.article_id for m in members] or [0]),
                                     Version.seq > 1).group_by(Version.article_id)).all())
    leads: dict[int, int] = {}
    for m in members:
        talk = by_id[m.thread_id]
        if m.copy_of_id or m.merged_into_id:
            talk.copies += 1
        else:
            talk.reports += 1
        if m.outlet not in talk.outlets:
            talk.outlets.append(m.outlet)
        talk.officials += m.role == "official" or m.outlet in OFFICIAL_OUTLETS
        if m.label == "ministerial" or not talk.label:
            talk.label = m.label or talk.label
        edited = parse_time(edits.get(m.article_id))
        if edited and (talk.last_edit is None or edited > talk.last_edit):
            talk.last_edit = edited
        if m.role in ("official", "opener") and m.thread_id not in leads:
            leads[m.thread_id] = m.article_id
    places = _places(conn, leads.values())
    for thread_id, article_id in leads.items():
        by_id[thread_id].place = places.get(article_id)


def _latest_version_filter() -> ColumnElement[bool]:
    latest = (select(func.max(Version.seq)).where(Version.article_id == Article.id)
              .correlate(Article).scalar_subquery())
    return Version.seq == latest


def _places(conn: Connection, article_ids: Iterable[int]) -> dict[int, str]:
    ids = list(article_ids)
    if not ids:
        return {}
    rows = conn.execute(select(Article.id, Version.title, Version.lead, func.substr(Version.body, 1, 400))
                        .join(Version, Version.article_id == Article.id)
                        .where(Article.id.in_(ids), _latest_version_filter())).all()
    return {row[0]: place for row in rows if (place := place_of(" ".join(filter(None, row[1:]))))}


def place_of(text: str) -> str | None:
    """The first place name the text gives, or "phone call" for a call."""
    if any(word in text for word in _CALL):
        return "電話会談 (phone call)"
    found = [(text.find(p), p) for p in PLACES if p in text]
    return min(found)[1] if found else None


# --- one talk --------------------------------------------------------------------------------------------

@dataclass
class TimelineItem:
    article_id: int
    key: str
    outlet: str
    role: str  # official readout, first report, follow-up, syndicated copy, 速報 (flash)
    published: str | None
    first_seen: datetime
    versions: int
    title: str
    lead: str | None
    body: str
    url: str
    label: str | None
    body_complete: bool
    copy_of_id: int | None
    merged_into_id: int | None
    original_title: str | None = None
    folded: list[TimelineItem] = field(default_factory=list)


@dataclass
class TalkDetail:
    talk: TalkRow
    signature: dict[str, Any]
    officials: list[TimelineItem]
    timeline: list[TimelineItem]


_ROLE_NAMES = {"official": "official readout", "opener": "first report", "follow-up": "follow-up"}


def talk_detail(conn: Connection, thread_id: int) -> TalkDetail | None:
    row = conn.execute(select(Thread.id, Thread.title, Thread.signature, Thread.first_published,
                              Thread.last_published).where(Thread.id == thread_id)).first()
    if row is None:
        return None
    talk = talk_row(row)
    fill_talk_counts(conn, [talk])
    items = _timeline_items(conn, thread_id)
    by_id = {i.article_id: i for i in items}
    top: list[TimelineItem] = []
    for item in items:
        parent = by_id.get(item.merged_into_id or 0) or by_id.get(item.copy_of_id or 0)
        if parent is not None and parent is not item:
            parent.folded.append(item)
        else:
            top.append(item)
    officials = [i for i in items if i.role == "official readout"]
    return TalkDetail(talk, dict(row.signature or {}), officials, top)


def _timeline_items(conn: Connection, thread_id: int) -> list[TimelineItem]:
    # correlated, so only the thread's articles are counted (a grouped subquery would count them all)
    count = (select(func.count(Version.id)).where(Version.article_id == Article.id)
             .correlate(Article).scalar_subquery().label("n"))
    rows = conn.execute(
        select(Article.id, Article.key, Article.outlet, ThreadMember.role, Article.published,
               Article.first_seen, count, Version.title, Version.lead, Version.body,
               Article.canonical_url, Article.label, Version.body_complete, Article.copy_of_id,
               Article.merged_into_id, ThreadMember.published.label("stamp"))
        .join(ThreadMember, ThreadMember.article_key == Article.key)
        .join(Version, Version.article_id == Article.id)
        .where(ThreadMember.thread_id == thread_id, _latest_version_filter())
        .order_by(ThreadMember.published, Article.id)).all()
    items = [TimelineItem(article_id=r.id, key=r.key, outlet=r.outlet, role=_role(r), published=r.published,
                          first_seen=r.first_seen, versions=r.n, title=r.title, lead=r.lead, body=r.body,
                          url=r.canonical_url, label=r.label, body_complete=r.body_complete,
                          copy_of_id=r.copy_of_id, merged_into_id=r.merged_into_id) for r in rows]
    _original_titles(conn, items)
    return items


def _role(row: Any) -> str:
    if row.merged_into_id:
        return "速報 (flash), merged"
    if row.copy_of_id:
        return "syndicated copy"
    return _ROLE_NAMES.get(row.role, row.role)


def _original_titles(conn: Connection, items: Sequence[TimelineItem]) -> None:
    wanted = {i.copy_of_id for i in items if i.copy_of_id}
    if not wanted:
        return
    titles = dict(conn.execute(select(Article.id, Version.title)
                               .join(Version, Version.article_id == Article.id)
                               .where(Article.id.in_(list(wanted)), _latest_version_filter())).all())
    for item in items:
        if item.copy_of_id:
            item.original_title = titles.get(item.copy_of_id)


# --- one article -----------------------------------------------------------------------------------------

@dataclass
class ArticleDetail:
    id: int
    key: str
    outlet: str
    url: str
    lang: str
    published: str | None
    first_seen: datetime
    label: str | None
    kind: str
    versions: list[Any]
    matches: dict[int, Any]  # version id -> topic decision
    thread: Any | None
    role: str | None
    original: Any | None  # (id, key, outlet) of the story this one copies
    copies: list[Any]
    merged_into: Any | None
    flashes: list[Any]


def article_detail(conn: Connection, article_id: int) -> ArticleDetail | None:
    article = conn.execute(select(Article).where(Article.id == article_id)).first()
    if article is None:
        return None
    versions = conn.execute(select(Version).where(Version.article_id == article_id)
                            .order_by(Version.seq)).all()
    matches = {m.version_id: m for m in conn.execute(
        select(TopicMatch).where(TopicMatch.article_id == article_id))}
    membership = conn.execute(select(Thread.id, Thread.title, ThreadMember.role)
                              .join(ThreadMember, ThreadMember.thread_id == Thread.id)
                              .where(ThreadMember.article_key == article.key)).first()
    related = _related(conn, article, membership.id if membership else None)
    return ArticleDetail(id=article.id, key=article.key, outlet=article.outlet, url=article.canonical_url,
                         lang=article.lang, published=article.published, first_seen=article.first_seen,
                         label=article.label, kind=article.kind, versions=list(versions), matches=matches,
                         thread=membership, role=membership.role if membership else None, **related)


def _related(conn: Connection, article: Any, thread_id: int | None) -> dict[str, Any]:
    """The story this one copies or was merged into, and the copies and flashes of it among the members of
    its talk (``copy_of_id`` and ``merged_into_id`` have no index: a look over every article would cost a
    scan of the table on every article page)."""
    def one(article_id: int | None) -> Any | None:
        if not article_id:
            return None
        return conn.execute(select(Article.id, Article.key, Article.outlet)
                            .where(Article.id == article_id)).first()

    copies: list[Any] = []
    flashes: list[Any] = []
    if thread_id is not None:
        members = conn.execute(select(Article.id, Article.key, Article.outlet, Article.copy_of_id,
                                      Article.merged_into_id)
                               .join(ThreadMember, ThreadMember.article_key == Article.key)
                               .where(ThreadMember.thread_id == thread_id).order_by(Article.id)).all()
        copies = [m for m in members if m.copy_of_id == article.id]
        flashes = [m for m in members if m.merged_into_id == article.id]
    return {"original": one(article.copy_of_id), "copies": copies,
            "merged_into": one(article.merged_into_id), "flashes": flashes}


# --- edits -----------------------------------------------------------------------------------------------

@dataclass
class EditRow:
    version_id: int
    article_id: int
    key: str
    outlet: str
    seq: int
    title: str
    change_kind: str
    chars_added: int
    chars_removed: int
    diff: dict[str, Any]
    created_at: datetime
    modified: str | None
    url: str
    thread_id: int | None
    thread_title: str | None

    @property
    def silent(self) -> bool:
        """Changed without a correction note (訂正, ※当初…): the reader is not told."""
        return "correction" not in self.change_kind.split("+")


class Unindexed(FunctionElement[Any]):
    """A column, read so that SQLite uses no index on it (``+column``); other databases see the column.

    The edits and the feeds read the newest versions first and stop after a page; SQLite, seeing an
    index on the outlet, would gather and sort every version of the outlet instead. PostgreSQL weighs
    both plans with its statistics and needs no hint (an expression would hide the statistics)."""

    name = "unindexed"
    inherit_cache = True


@compiles(Unindexed)
def _unindexed(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(Unindexed, "sqlite")
def _unindexed_sqlite(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


def unindexed(column: Any) -> ColumnElement[Any]:
    return Unindexed(column)


def article_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    """The talk filters, applied to articles (search, edits and feeds)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.outlet:
        conditions.append(unindexed(Article.outlet) == filters.outlet)
    if filters.label:
        conditions.append(Article.label == filters.label)
    if filters.since:
        conditions.append(or_(Article.published >= filters.since.isoformat(), Article.published.is_(None)))
    if filters.until:
        # published is ISO text with the outlet's offset: compare on the day prefix, generous by one day
        conditions.append(Article.published < (filters.until.isoformat() + "T99"))
    if filters.edited:
        conditions.append(edited_condition())
    if filters.pair or filters.type:
        in_talk = (select(literal(1)).select_from(ThreadMember)
                   .join(Thread, Thread.id == ThreadMember.thread_id)
                   .where(ThreadMember.article_key == Article.key,
                          *talk_conditions(Filters(pair=filters.pair, type=filters.type))))
        conditions.append(exists(in_talk))
    return conditions


def list_edits(conn: Connection, filters: Filters, page: int = 1,
               page_size: int = 20) -> tuple[list[EditRow], bool]:
    before = aliased(Version)  # the stored diff is read against the version before
    query = (select(Version.id, Version.article_id, Article.key, Article.outlet, Version.seq, Version.title,
                    Version.change_kind, Version.chars_added, Version.chars_removed, Version.diff,
                    Version.created_at, Version.modified, Article.canonical_url, Thread.id.label("tid"),
                    Thread.title.label("ttitle"), before.title.label("before_title"),
                    before.lead.label("before_lead"), before.body.label("before_body"))
             .join(Article, Article.id == Version.article_id)
             .outerjoin(before, and_(before.article_id == Version.article_id, before.seq == Version.seq - 1))
             .outerjoin(ThreadMember, ThreadMember.article_key == Article.key)
             .outerjoin(Thread, Thread.id == ThreadMember.thread_id)
             .where(Version.seq > 1, *[c for c in article_conditions(filters)])
             .order_by(Version.id.desc()).limit(page_size + 1).offset((max(page, 1) - 1) * page_size))
    rows = conn.execute(query).all()
    edits = [EditRow(r.id, r.article_id, r.key, r.outlet, r.seq, r.title, r.change_kind, r.chars_added,
                     r.chars_removed, render(r.diff, previous_texts(r)), r.created_at, r.modified,
                     r.canonical_url, r.tid, r.ttitle) for r in rows[:page_size]]
    return edits, len(rows) > page_size


def previous_texts(row: Any) -> dict[str, str]:
    """The version before a row's (selected as ``before_title``, ``before_lead``, ``before_body``)."""
    return {"title": row.before_title or "", "lead": row.before_lead or "", "body": row.before_body or ""}


def pair_choices(conn: Connection, limit: int = 2000) -> list[tuple[str, str]]:
    """The minister pairs of the most recent talks, for the filter's list."""
    seen: dict[str, str] = {}
    for (signature,) in conn.execute(select(Thread.signature).order_by(Thread.last_published.desc())
                                     .limit(limit)):
        people = list((signature or {}).get("participants") or [])
        if len(people) >= 2:
            key = "+".join(people)
            seen.setdefault(key, "–".join(person_name(p) for p in people))
    return sorted(seen.items(), key=lambda kv: kv[1])

