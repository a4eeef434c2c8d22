"""The tables: articles and their versions, raw snapshots, the fetch log, topic decisions,
event threads and the alerts a report is built from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012 - SQLAlchemy reads it


class Article(Base):
    """One stable key (``outlet:id``); every URL variant of the article collapses onto it."""

    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_outlet_kind_published", "outlet", "kind", "published"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    outlet: Mapped[str] = mapped_column(String(40), index=True)
    stable_key: Mapped[str] = mapped_column(String(160))
    canonical_url: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    published: Mapped[str | None] = mapped_column(String(40))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    label: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="article", server_default="article")  # or "flash"
    # syndication: this article is a copy of another outlet's story (the original was published first)
    copy_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    # a jiji 速報 (flash) merged into the full story that followed it
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL", name="fk_articles_merged_into_id"))
    # the revisit schedule: when to fetch this article again to catch edits (None: stop)
    next_visit_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    versions: Mapped[list[Version]] = relationship(
        back_populates="article", order_by="Version.seq", cascade="all, delete-orphan"
    )


class Version(Base):
    """A text state of an article; written only when the normalized text changed."""

    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("article_id", "seq"),
        UniqueConstraint("article_id", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    lead: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(40))
    modified: Mapped[str | None] = mapped_column(String(40))
    body_complete: Mapped[bool] = mapped_column(Boolean, default=True)
    # first, or the fields that changed: title, lead, body, after "correction" (e.g. "correction+title+body")
    change_kind: Mapped[str] = mapped_column(String(40))
    chars_added: Mapped[int] = mapped_column(Integer, default=0)
    chars_removed: Mapped[int] = mapped_column(Integer, default=0)
    diff: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(Text)
    snapshot_sha: Mapped[str | None] = mapped_column(String(64))
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    article: Mapped[Article] = relationship(back_populates="versions")


class Snapshot(Base):
    """A raw response body, zlib-compressed and addressed by the SHA-256 of the raw bytes."""

    __tablename__ = "snapshots"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)  # as the server sent it: any length
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Fetch(Base):
    """One HTTP exchange (or failure) and what came of it."""

    __tablename__ = "fetches"
    __table_args__ = (Index("ix_fetches_url_id", "url", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str | None] = mapped_column(String(40), index=True)
    outlet: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20), default="article")  # article, discovery, robots
    status: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    # fetched, redirect, not_modified, blocked, error, refused (size cap, off-site redirect), disallowed
    # (robots.txt), retried; then for articles: new, changed, unchanged, trivial, rejected
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    article_key: Mapped[str | None] = mapped_column(String(200))
    # an article page that reached its parser: which path gave title, date and body ("dom", "fallback:meta",
    # "missing"); crawl health counts field coverage from it
    fields: Mapped[dict[str, str] | None] = mapped_column(JSON)
    snapshot_sha: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Signature(Base):
    """The MinHash signature of an article's latest text, for near-duplicate lookups."""

    __tablename__ = "signatures"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    outlet: Mapped[str] = mapped_column(String(40))
    published: Mapped[str | None] = mapped_column(String(40))
    credit: Mapped[str | None] = mapped_column(String(40))  # the wire the text credits: jiji, kyodo, reuters
    minhash: Mapped[bytes] = mapped_column(LargeBinary)


class SignatureBand(Base):
    """One LSH band of a signature: articles sharing a bucket are near-duplicate candidates.

    The index on ``bucket`` makes a lookup a handful of B-tree probes, whatever the number of articles.
    """

    __tablename__ = "signature_bands"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    bucket: Mapped[int] = mapped_column(BigInteger, index=True)


class TopicMatch(Base):
    """The topic decision for one version, with the terms that fired."""

    __tablename__ = "topic_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), unique=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    terms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    explanation: Mapped[str] = mapped_column(Text, default="")


class Thread(Base):
    """Articles about the same talks."""

    __tablename__ = "threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    signature: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_published: Mapped[str] = mapped_column(String(40))
    last_published: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ThreadMember(Base):
    __tablename__ = "thread_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    article_key: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # opener, follow-up, official
    published: Mapped[str] = mapped_column(String(40))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Alert(Base):
    """Something a report tells: new (opens a thread), follow-up, changed."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("kind", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class Delivery(Base):
    """An alert reported to a channel; the same alert never goes to the same channel twice."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(200))
    delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- the service's tables (Core: written and read by storage/health.py and storage/lease.py) ---------

service_runs = Table(
    "service_runs", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(40), unique=True, nullable=False),
    Column("job", String(60), nullable=False, index=True),  # crawl:mofa, revisit:mofa, report
    Column("outlet", String(40), index=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    # running, ok, failed, timeout, interrupted, skipped
    Column("outcome", String(20), nullable=False),
    Column("returncode", Integer),
    Column("stats", JSON),
    Column("health", JSON),
    Column("message", Text),
)

delivery_log = Table(
    "delivery_log", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(200), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(20), nullable=False),  # sent, failed, skipped
    Column("attempts", Integer, nullable=False),
    Column("alerts", Integer, nullable=False),
    Column("alarms", Integer, nullable=False),
    Column("error", Text),
)

# one monitor at a time holds the "monitor" lease (storage/lease.py)
service_leases = Table(
    "service_leases", Base.metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# --- the desk's tables (crawler/web/subscriptions.py): subscriptions and mutes per delivery channel ---
# The desk's search index (``web_search``) is made by migration 0006 alone: an FTS5 virtual table on
# SQLite, a table with a pg_trgm index on PostgreSQL, which no model describes.

desk_subscriptions = Table(
    "desk_subscriptions", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(200), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # label, outlet, talk
    Column("value", String(200), nullable=False),  # ministerial, nhk, a thread id
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel", "kind", "value"),
)

desk_mutes = Table(
    "desk_mutes", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(200), nullable=False, index=True),
    Column("thread_id", Integer, nullable=False),
    Column("until", DateTime(timezone=True)),  # None: muted until unmuted
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel", "thread_id"),
)
SEARCH_INDEX_TABLE = "web_search"
