"""The schema, as SQLAlchemy Core tables: articles and their versions, raw snapshots, the fetch log, topic
decisions, event threads, alerts, the service's run log and leases, the desk's subscriptions.

The ORM classes of :mod:`storage.models` are mapped onto these tables. Repositories that need no objects
(the run log, the fetch log, leases) query the tables directly, so ``talkwatch status`` answers without
importing the ORM. Alembic's migrations create and move every table; ``tests/test_migrations.py`` checks
that the migrations and these declarations agree.
"""

from __future__ import annotations

from datetime import UTC, datetime

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
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


metadata = MetaData()


def _stamp(name: str, index: bool = False) -> Column[datetime]:
    """A timestamp column stamped with the time of the insert."""
    return Column(name, DateTime(timezone=True), nullable=False, default=utcnow, index=index)


# One stable key (``outlet:id``); every URL variant of the article collapses onto it.
articles = Table(
    "articles", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("outlet", String(40), nullable=False, index=True),
    Column("stable_key", String(160), nullable=False),
    Column("canonical_url", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("published", String(40)),
    _stamp("first_seen"),
    _stamp("last_seen"),
    Column("label", String(20)),
    Column("kind", String(20), nullable=False, default="article", server_default="article"),  # or "flash"
    # syndication: this article is a copy of another outlet's story (the original was published first)
    Column("copy_of_id", Integer, ForeignKey("articles.id")),
    # a jiji 速報 (flash) merged into the full story that followed it
    Column("merged_into_id", Integer,
           ForeignKey("articles.id", ondelete="SET NULL", name="fk_articles_merged_into_id")),
    # the revisit schedule: when to fetch this article again to catch edits (None: stop)
    Column("next_visit_at", DateTime(timezone=True), index=True),
    Index("ix_articles_outlet_kind_published", "outlet", "kind", "published"),
)

# A text state of an article; written only when the normalized text changed.
versions = Table(
    "versions", metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("lead", Text),
    Column("body", Text, nullable=False),
    Column("published", String(40)),
    Column("modified", String(40)),
    Column("body_complete", Boolean, nullable=False, default=True),
    # first, or the fields that changed: title, lead, body, after "correction" (e.g. "correction+title+body")
    Column("change_kind", String(40), nullable=False),
    Column("chars_added", Integer, nullable=False, default=0),
    Column("chars_removed", Integer, nullable=False, default=0),
    Column("diff", JSON, nullable=False, default=dict),
    Column("url", Text, nullable=False),
    Column("snapshot_sha", String(64)),
    Column("sources", JSON, nullable=False, default=dict),
    _stamp("created_at"),
    UniqueConstraint("article_id", "seq"),
    UniqueConstraint("article_id", "fingerprint"),
)

# A raw response body, zlib-compressed and addressed by the SHA-256 of the raw bytes.
snapshots = Table(
    "snapshots", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    Column("content_type", Text),  # as the server sent it: any length
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    _stamp("fetched_at"),
)

# One HTTP exchange (or failure) and what came of it.
fetches = Table(
    "fetches", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(40), index=True),
    Column("outlet", String(40)),
    Column("url", Text, nullable=False),
    Column("role", String(20), nullable=False, default="article"),  # article, discovery, robots
    Column("status", Integer),
    Column("bytes", Integer, nullable=False, default=0),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("duration_ms", Float),
    # fetched, redirect, not_modified, blocked, error, refused (size cap, off-site redirect), disallowed
    # (robots.txt), retried; then for articles: new, changed, unchanged, trivial, rejected
    Column("outcome", String(20), nullable=False),
    Column("reason", Text),
    Column("article_key", String(200)),
    # an article page that reached its parser: which path gave title, date and body ("dom", "fallback:meta",
    # "missing"); crawl health counts field coverage from it
    Column("fields", JSON),
    Column("snapshot_sha", String(64)),
    _stamp("fetched_at"),
    Index("ix_fetches_url_id", "url", "id"),
)

# The MinHash signature of an article's latest text, for near-duplicate lookups.
signatures = Table(
    "signatures", metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("outlet", String(40), nullable=False),
    Column("published", String(40)),
    Column("credit", String(40)),  # the wire the text credits: jiji, kyodo, reuters
    Column("minhash", LargeBinary, nullable=False),
)

# One LSH band of a signature: articles sharing a bucket are near-duplicate candidates. The index on
# ``bucket`` makes a lookup a handful of B-tree probes, whatever the number of articles.
signature_bands = Table(
    "signature_bands", metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("bucket", BigInteger, nullable=False, index=True),
)

# The topic decision for one version, with the terms that fired.
topic_matches = Table(
    "topic_matches", metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, ForeignKey("versions.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("label", String(20), nullable=False),
    Column("score", Float, nullable=False),
    Column("terms", JSON, nullable=False, default=list),
    Column("explanation", Text, nullable=False, default=""),
)

# Articles about the same talks.
threads = Table(
    "threads", metadata,
    Column("id", Integer, primary_key=True),
    Column("title", Text, nullable=False),
    Column("signature", JSON, nullable=False, default=dict),
    Column("first_published", String(40), nullable=False),
    Column("last_published", String(40), nullable=False, index=True),
    _stamp("created_at"),
)

thread_members = Table(
    "thread_members", metadata,
    Column("id", Integer, primary_key=True),
    Column("thread_id", Integer, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("article_key", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),  # opener, follow-up, official
    Column("published", String(40), nullable=False),
    _stamp("joined_at"),
)

# Something a report tells: new (opens a thread), follow-up, changed.
alerts = Table(
    "alerts", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("version_id", Integer, ForeignKey("versions.id", ondelete="CASCADE"), nullable=False),
    Column("thread_id", Integer, ForeignKey("threads.id", ondelete="SET NULL")),
    _stamp("created_at", index=True),
    UniqueConstraint("kind", "version_id"),
)

# An alert reported to a channel; the same alert never goes to the same channel twice.
deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(200), nullable=False),
    _stamp("delivered_at"),
    UniqueConstraint("alert_id", "channel"),
)

# --- the service's tables (storage/runs.py, storage/lease.py) -----------------------------------------

service_runs = Table(
    "service_runs", metadata,
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
    "delivery_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(200), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(20), nullable=False),  # sent, failed, skipped
    Column("attempts", Integer, nullable=False),
    Column("alerts", Integer, nullable=False),
    Column("alarms", Integer, nullable=False),
    Column("error", Text),
)

# one monitor at a time holds the "monitor" lease, each crawl its outlet's (storage/lease.py)
service_leases = Table(
    "service_leases", metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# --- the desk's tables (crawler/web/subscriptions.py): subscriptions and mutes per delivery channel ---
# The desk's search index (``web_search``) is made by migration 0006 alone: an FTS5 virtual table on
# SQLite, a table with a pg_trgm index on PostgreSQL, which no table here describes.

desk_subscriptions = Table(
    "desk_subscriptions", metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(200), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # label, outlet, talk
    Column("value", String(200), nullable=False),  # ministerial, nhk, a thread id
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel", "kind", "value"),
)

desk_mutes = Table(
    "desk_mutes", metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(200), nullable=False, index=True),
    Column("thread_id", Integer, nullable=False),
    Column("until", DateTime(timezone=True)),  # None: muted until unmuted
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel", "thread_id"),
)
SEARCH_INDEX_TABLE = "web_search"
