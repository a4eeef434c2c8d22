"""Alerts and their deliveries to channels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.database import Database
from storage.db import insert_ignoring_duplicates
from storage.diff import render, texts
from storage.models import Alert, Article, Delivery, Thread, ThreadMember, TopicMatch, Version


@dataclass(frozen=True)
class AlertView:
    """One alert with everything a report prints about it."""

    alert_id: int
    kind: str  # new, follow-up, changed
    created_at: datetime
    article_key: str
    outlet: str
    url: str
    title: str
    published: str | None
    version_seq: int
    change_kind: str
    chars_added: int
    chars_removed: int
    diff: dict[str, Any]  # readable (storage.diff.render): removed and added text
    body_complete: bool
    label: str | None
    explanation: str
    thread_id: int | None
    thread_title: str | None
    role: str | None  # thread role: opener, follow-up, official
    copy_of: str | None  # key of the original when this is a syndicated copy


class Alerts:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add_alert(self, kind: str, article_id: int, version_id: int, thread_id: int | None = None) -> None:
        # an alert that exists already (same kind and version) is left as it is, without failing a unit
        # of work this call is part of
        with self.db.session() as s:
            insert_ignoring_duplicates(s.connection(), Alert, {
                "kind": kind, "article_id": article_id, "version_id": version_id, "thread_id": thread_id})

    def undelivered_alerts(self, channel: str | None, since: datetime | None = None) -> list[Alert]:
        """Alerts not yet delivered to ``channel`` (every alert when ``channel`` is ``None``), created at
        or after the instant ``since`` (any offset; a naive time is UTC)."""
        with self.db.session() as s:
            query = select(Alert).order_by(Alert.id)
            if channel is not None:
                delivered = select(Delivery.alert_id).where(Delivery.channel == channel)
                query = query.where(Alert.id.not_in(delivered))
            if since is not None:
                query = query.where(Alert.created_at >= self.db.stored_instant(since))
            return list(s.scalars(query))

    def alert_views(self, channel: str | None, since: datetime | None = None) -> list[AlertView]:
        """Alerts not yet delivered to ``channel`` (all of them for ``None``: a view) with what a report
        shows of each.

        A syndicated copy carries the key of its original in ``copy_of``. A flash merged into the full
        story that followed it keeps its "new" alert, which then shows the full story (its latest version,
        label and explanation) in the flash's thread, which the story filled with the talks' real date and
        participants; the flash's other alerts are left out, and so is that "new" alert when the full
        story has a "new" alert of its own.
        """
        alerts = self.undelivered_alerts(channel, since)
        announced = {alert.article_id for alert in alerts if alert.kind == "new"}
        views: list[AlertView] = []
        with self.db.session() as s:
            for alert in alerts:
                version = s.get(Version, alert.version_id)
                article = s.get(Article, alert.article_id)
                if article is not None and article.merged_into_id is not None:
                    # a full story with a "new" alert of its own (its own thread) tells the news itself
                    if alert.kind != "new" or article.merged_into_id in announced:
                        continue
                    article = s.get(Article, article.merged_into_id)
                    version = s.scalar(select(Version).where(Version.article_id == article.id)
                                       .order_by(Version.seq.desc()).limit(1)) if article else None
                if version is None or article is None:
                    continue
                original = s.get(Article, article.copy_of_id) if article.copy_of_id else None
                match = s.scalar(select(TopicMatch).where(TopicMatch.version_id == version.id))
                thread = s.get(Thread, alert.thread_id) if alert.thread_id else None
                member = s.scalar(select(ThreadMember).where(ThreadMember.article_key == article.key))
                views.append(AlertView(
                    alert_id=alert.id, kind=alert.kind, created_at=alert.created_at, article_key=article.key,
                    outlet=article.outlet, url=article.canonical_url, title=version.title,
                    published=version.published, version_seq=version.seq, change_kind=version.change_kind,
                    chars_added=version.chars_added, chars_removed=version.chars_removed,
                    diff=_readable_diff(s, version), body_complete=version.body_complete,
                    label=match.label if match else None, explanation=match.explanation if match else "",
                    thread_id=thread.id if thread else None, thread_title=thread.title if thread else None,
                    role=member.role if member else None, copy_of=original.key if original else None,
                ))
        return views

    def mark_delivered(self, alert_ids: list[int], channel: str) -> None:
        for alert_id in alert_ids:
            try:
                with self.db.session() as s:
                    s.add(Delivery(alert_id=alert_id, channel=channel))
            except IntegrityError:
                continue


def _readable_diff(s: Session, version: Version) -> dict[str, Any]:
    """The version's stored diff, read against the version before it."""
    if not version.diff:
        return {}
    previous = s.scalar(select(Version).where(Version.article_id == version.article_id,
                                              Version.seq == version.seq - 1))
    return render(version.diff, texts(previous))
