"""ORM classes for the repositories that load and save objects (articles and versions, threads, alerts),
mapped onto the Core tables of :mod:`storage.tables` (where the columns and their comments live). The
annotations type the attributes for mypy; the tables define them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped, relationship

from storage import tables


class Base(DeclarativeBase):
    metadata = tables.metadata


class Article(Base):
    __table__ = tables.articles

    id: Mapped[int]
    key: Mapped[str]
    outlet: Mapped[str]
    stable_key: Mapped[str]
    canonical_url: Mapped[str]
    lang: Mapped[str]
    published: Mapped[str | None]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    label: Mapped[str | None]
    kind: Mapped[str]
    copy_of_id: Mapped[int | None]
    merged_into_id: Mapped[int | None]
    next_visit_at: Mapped[datetime | None]

    versions: Mapped[list[Version]] = relationship(
        back_populates="article", order_by="Version.seq", cascade="all, delete-orphan"
    )


class Version(Base):
    __table__ = tables.versions

    id: Mapped[int]
    article_id: Mapped[int]
    seq: Mapped[int]
    fingerprint: Mapped[str]
    title: Mapped[str]
    lead: Mapped[str | None]
    body: Mapped[str]
    published: Mapped[str | None]
    modified: Mapped[str | None]
    body_complete: Mapped[bool]
    change_kind: Mapped[str]
    chars_added: Mapped[int]
    chars_removed: Mapped[int]
    diff: Mapped[dict[str, Any]]
    url: Mapped[str]
    snapshot_sha: Mapped[str | None]
    sources: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]

    article: Mapped[Article] = relationship(back_populates="versions")


class Snapshot(Base):
    __table__ = tables.snapshots

    sha256: Mapped[str]
    url: Mapped[str]
    content_type: Mapped[str | None]
    size: Mapped[int]
    data: Mapped[bytes]
    fetched_at: Mapped[datetime]


class Fetch(Base):
    __table__ = tables.fetches

    id: Mapped[int]
    run_id: Mapped[str | None]
    outlet: Mapped[str | None]
    url: Mapped[str]
    role: Mapped[str]
    status: Mapped[int | None]
    bytes: Mapped[int]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    duration_ms: Mapped[float | None]
    outcome: Mapped[str]
    reason: Mapped[str | None]
    article_key: Mapped[str | None]
    fields: Mapped[dict[str, str] | None]
    snapshot_sha: Mapped[str | None]
    fetched_at: Mapped[datetime]


class Signature(Base):
    __table__ = tables.signatures

    article_id: Mapped[int]
    outlet: Mapped[str]
    published: Mapped[str | None]
    credit: Mapped[str | None]
    minhash: Mapped[bytes]


class SignatureBand(Base):
    __table__ = tables.signature_bands

    id: Mapped[int]
    article_id: Mapped[int]
    bucket: Mapped[int]


class TopicMatch(Base):
    __table__ = tables.topic_matches

    id: Mapped[int]
    version_id: Mapped[int]
    article_id: Mapped[int]
    label: Mapped[str]
    score: Mapped[float]
    terms: Mapped[list[Any]]
    explanation: Mapped[str]


class Thread(Base):
    __table__ = tables.threads

    id: Mapped[int]
    title: Mapped[str]
    signature: Mapped[dict[str, Any]]
    first_published: Mapped[str]
    last_published: Mapped[str]
    created_at: Mapped[datetime]


class ThreadMember(Base):
    __table__ = tables.thread_members

    id: Mapped[int]
    thread_id: Mapped[int]
    article_key: Mapped[str]
    role: Mapped[str]
    published: Mapped[str]
    joined_at: Mapped[datetime]


class Alert(Base):
    __table__ = tables.alerts

    id: Mapped[int]
    kind: Mapped[str]
    article_id: Mapped[int]
    version_id: Mapped[int]
    thread_id: Mapped[int | None]
    created_at: Mapped[datetime]


class Delivery(Base):
    __table__ = tables.deliveries

    id: Mapped[int]
    alert_id: Mapped[int]
    channel: Mapped[str]
    delivered_at: Mapped[datetime]
