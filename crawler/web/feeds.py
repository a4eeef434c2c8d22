"""Atom feeds: one per talk and one per filter of the talks page. An entry is a version — a new article
(its first version) or an edit (with its diff) — with a stable id, so a reader shows it once."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import Connection, and_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from crawler.reports.common import safe_url
from crawler.reports.timefmt import jst, parse_time
from crawler.web.diffview import stored_diff
from crawler.web.filters import Filters
from crawler.web.outlets import outlet_name
from crawler.web.queries import previous_texts, talk_conditions, unindexed
from storage.diff import render
from storage.models import Article, Thread, ThreadMember, Version

FEED_ID = "tag:talkwatch,2025:desk"
ENTRIES = 50


def _versions(conn: Connection, *conditions: ColumnElement[bool]) -> list[Any]:
    before = aliased(Version)  # the stored diff is read against the version before
    return list(conn.execute(
        select(Version.id, Version.seq, Version.title, Version.change_kind, Version.diff, Version.created_at,
               Version.chars_added, Version.chars_removed, Article.id.label("article_id"), Article.outlet,
               Article.published, Article.canonical_url, Thread.title.label("thread_title"),
               before.title.label("before_title"), before.lead.label("before_lead"),
               before.body.label("before_body"))
        .join(Article, Article.id == Version.article_id)
        .outerjoin(before, and_(before.article_id == Version.article_id, before.seq == Version.seq - 1))
        .join(ThreadMember, ThreadMember.article_key == Article.key)
        .join(Thread, Thread.id == ThreadMember.thread_id)
        .where(*conditions).order_by(Version.id.desc()).limit(ENTRIES)))


def talk_feed(conn: Connection, thread_id: int, page_url: str) -> str | None:
    title = conn.execute(select(Thread.title).where(Thread.id == thread_id)).scalar()
    if title is None:
        return None
    rows = _versions(conn, Thread.id == thread_id)
    return _render(f"{FEED_ID}/talk/{thread_id}", f"talkwatch — {title}", page_url, rows)


def filter_feed(conn: Connection, filters: Filters, page_url: str) -> str:
    # the talk's own filters on the talk; outlet, label and "edited" on the entry's article and version
    conditions = talk_conditions(replace(filters, outlet="", label="", edited=False))
    if filters.outlet:
        conditions.append(unindexed(Article.outlet) == filters.outlet)
    if filters.label:
        conditions.append(Article.label == filters.label)
    if filters.edited:
        conditions.append(Version.seq > 1)
    query = filters.query(q="")
    rows = _versions(conn, *conditions)
    return _render(f"{FEED_ID}/talks?{query}", "talkwatch — talks" + (f" ({query})" if query else ""),
                   page_url, rows)


def _render(feed_id: str, title: str, page_url: str, rows: list[Any]) -> str:
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.subtitle("US–Japan ministerial talks: new reports and edits")
    feed.author({"name": "talkwatch"})
    feed.generator("talkwatch")
    if safe_url(page_url):
        feed.link(href=page_url, rel="alternate")
    newest = max((t for r in rows if (t := parse_time(r.created_at))), default=None)
    feed.updated(newest or parse_time("2025-01-01T00:00:00+00:00"))
    for row in reversed(rows):  # feedgen prepends: the newest ends first
        _entry(feed, row)
    return feed.atom_str(pretty=True).decode("utf-8")


def _entry(feed: Any, row: Any) -> None:
    entry = feed.add_entry()
    entry.id(f"tag:talkwatch,2025:version/{row.id}")
    kind = "New" if row.seq == 1 else f"Changed ({row.change_kind})"
    entry.title(f"{kind}: {row.title}")  # feedgen escapes it
    entry.updated(parse_time(row.created_at))
    # one link only: feedgen writes no rel on an entry's links, so a second one would read as alternate too
    entry.link(href=url_for("web.article", article_id=row.article_id, _external=True), rel="alternate")
    entry.category(term="new" if row.seq == 1 else "changed")
    entry.content(str(_content(row)), type="html")


def _content(row: Any) -> Markup:
    parts = [Markup("<p>{} · {} · {}</p>").format(outlet_name(row.outlet), jst(row.published, row.outlet),
                                                  row.thread_title)]
    source = safe_url(row.canonical_url)
    if source:
        parts.append(Markup('<p><a href="{}">{}</a></p>').format(source, source))
    if row.seq > 1:
        parts.append(Markup("<p>+{} / −{} characters</p>").format(row.chars_added, row.chars_removed))
        for field in stored_diff(render(row.diff, previous_texts(row))):
            pieces = [Markup("<ins>{}</ins>").format(t) if k == "insert" else
                      Markup("<del>{}</del>").format(t) if k == "delete" else escape(t)
                      for k, t in field.inline]
            parts.append(Markup("<p><strong>{}</strong>: {}</p>").format(field.name, Markup("").join(pieces)))
    return Markup("").join(parts)
