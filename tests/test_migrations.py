"""Alembic migrations: an old database is brought forward with its data, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from crawler.cli import main
from crawler.syndication import TEXT_RULES
from storage.db import make_engine
from storage.diff import render, texts
from storage.migrate import (
    FIRST_REVISION,
    alembic_config,
    current_revision,
    ensure_schema,
    head_revision,
    upgrade,
)
from storage.models import Base
from storage.store import Store
from storage.tables import SEARCH_INDEX_TABLE
from tests.storage.helpers import STORY
from tests.storage.helpers import text as article_text

POSTGRES_URL = os.environ.get("TALKWATCH_TEST_DATABASE_URL")
MOFA_KEY = "mofa:pageit_000001_01515"
OLD_BODY = "岩屋外務大臣はルビオ国務長官と会談した。"
NOW = datetime(2025, 3, 13, tzinfo=UTC)


def _old_database(url: str) -> None:
    """A database at the first revision with an article, a 速報, a version each, a fetch and a snapshot."""
    engine = make_engine(url)
    upgrade(engine, FIRST_REVISION)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO articles (id, key, outlet, stable_key, canonical_url, lang, published, first_seen,"
            " last_seen) VALUES (:id, :key, :outlet, :stable, :url, 'ja', :published, :now, :now)"), [
            {"id": 1, "key": "jiji:2025031300148", "outlet": "jiji", "stable": "2025031300148", "url": "u1",
             "published": "2025-03-13T08:05:00+09:00", "now": NOW},
            {"id": 2, "key": MOFA_KEY, "outlet": "mofa", "stable": "pageit_000001_01515", "url": "u2",
             "published": "2025-01-21T00:00:00+09:00", "now": NOW}])
        conn.execute(text(
            "INSERT INTO versions (article_id, seq, fingerprint, title, body, body_complete, change_kind,"
            " chars_added, chars_removed, diff, url, sources, created_at) VALUES"
            " (:article, 1, :fp, :title, :body, true, 'first', 0, 0, '{}', 'u', '{}', :now)"), [
            {"article": 1, "fp": "f1", "title": "【速報】日米外相がカナダで会談",
             "body": "日米外相がカナダで会談", "now": NOW},
            {"article": 2, "fp": "f2", "title": "日米外相会談", "body": OLD_BODY, "now": NOW}])
    assert current_revision(engine) == FIRST_REVISION
    engine.dispose()


def test_upgrade_keeps_the_data_and_reaches_head(empty_url: str):
    _old_database(empty_url)
    store = Store(empty_url, rules=TEXT_RULES)
    ensure_schema(store.db.engine)
    assert current_revision(store.db.engine) == head_revision()
    assert [v.body for v in store.articles.versions(MOFA_KEY)] == [OLD_BODY]
    assert store.articles.article(MOFA_KEY).kind == "article"
    # the data migration read the headline
    assert store.articles.article("jiji:2025031300148").kind == "flash"
    # the upgraded database works: a new version with a signature and copy links
    result = store.articles.save_version(article_text(STORY))
    assert result.status == "changed"
    store.db.dispose()


def test_db_upgrade_command(empty_url: str, capsys: pytest.CaptureFixture[str]):
    _old_database(empty_url)
    assert main(["db", "upgrade", "--db", empty_url]) == 0
    assert f"revision {head_revision()} (was {FIRST_REVISION})" in capsys.readouterr().out


def test_empty_database_is_created_by_the_migrations(empty_url: str):
    engine = make_engine(empty_url)
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    assert {"articles", "versions", "signatures", "signature_bands"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrations_match_the_models(empty_url: str):
    engine = make_engine(empty_url)
    upgrade(engine)
    with engine.connect() as conn:
        # the desk's search index (an FTS5 virtual table and its shadow tables on SQLite) has no model
        opts = {"compare_type": True,
                "include_name": lambda name, type_, _parent: not (type_ == "table" and name.startswith(
                    SEARCH_INDEX_TABLE))}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    engine.dispose()
    assert diff == []


def test_database_made_without_migrations_is_adopted(sqlite_url: str):
    # a database made by create_all of the first schema (before migrations existed): no alembic_version
    engine = make_engine(sqlite_url)
    upgrade(engine, FIRST_REVISION)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    assert "merged_into_id" in {c["name"] for c in inspect(engine).get_columns("articles")}
    engine.dispose()


def test_migrations_are_packaged():
    from importlib.resources import files

    versions = files("storage").joinpath("migrations", "versions")
    assert {"0001_initial_schema.py", "env.py"} <= {p.name for p in versions.iterdir()} | {
        p.name for p in files("storage").joinpath("migrations").iterdir()}


READOUT = "https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html"
PATH_KEY = "mofa:mofaj/na/na1/us/pageit_000001_01515"


def _mofa_database_at_0002(url: str) -> None:
    """A MOFA readout under its old file-name key, in a thread, with an alert and a fetch row."""
    engine = make_engine(url)
    upgrade(engine, "0002")
    values = {"key": MOFA_KEY, "url": READOUT, "now": NOW, "body": OLD_BODY}
    statements = [
        "INSERT INTO articles (id, key, outlet, stable_key, canonical_url, lang, published, first_seen,"
        " last_seen, kind) VALUES (7, :key, 'mofa', 'pageit_000001_01515', :url, 'ja',"
        " '2025-01-21T00:00:00+09:00', :now, :now, 'article')",
        "INSERT INTO versions (id, article_id, seq, fingerprint, title, body, body_complete, change_kind,"
        " chars_added, chars_removed, diff, url, sources, created_at)"
        " VALUES (70, 7, 1, 'f', '日米外相会談', :body, true, 'first', 0, 0, '{}', :url, '{}', :now)",
        "INSERT INTO threads (id, title, signature, first_published, last_published, created_at)"
        " VALUES (3, '日米外相会談', '{}', '2025-01-21', '2025-01-21', :now)",
        "INSERT INTO thread_members (thread_id, article_key, role, published, joined_at)"
        " VALUES (3, :key, 'official', '2025-01-21', :now)",
        "INSERT INTO alerts (kind, article_id, version_id, thread_id, created_at)"
        " VALUES ('new', 7, 70, 3, :now)",
        "INSERT INTO fetches (url, role, status, bytes, outcome, article_key, fetched_at)"
        " VALUES (:url, 'article', 200, 10, 'new', :key, :now)",
    ]
    with engine.begin() as conn:
        for statement in statements:
            names = set(re.findall(r":(\w+)", statement))
            conn.execute(text(statement), {k: v for k, v in values.items() if k in names})
    engine.dispose()


def test_mofa_articles_are_rekeyed_by_path_with_their_history(empty_url: str):
    _mofa_database_at_0002(empty_url)
    store = Store(empty_url, rules=TEXT_RULES)
    ensure_schema(store.db.engine)
    article = store.articles.article(PATH_KEY)
    assert article is not None and article.stable_key == "mofaj/na/na1/us/pageit_000001_01515"
    assert store.articles.article(MOFA_KEY) is None
    assert [v.body for v in store.articles.versions(PATH_KEY)] == [OLD_BODY]
    with store.db.engine.connect() as conn:
        assert conn.execute(text("SELECT thread_id FROM thread_members WHERE article_key = :k"),
                            {"k": PATH_KEY}).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM alerts WHERE article_id = 7")).scalar() == 1
        assert conn.execute(text("SELECT article_key FROM fetches")).scalar() == PATH_KEY
    store.db.dispose()


def test_rekeying_goes_back_on_downgrade(empty_url: str):
    _mofa_database_at_0002(empty_url)
    engine = make_engine(empty_url)
    upgrade(engine, "0003")
    config = alembic_config(engine)
    with engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT key FROM articles WHERE id = 7")).scalar() == MOFA_KEY
        assert conn.execute(text("SELECT article_key FROM thread_members")).scalar() == MOFA_KEY
    engine.dispose()


def test_a_crawl_never_migrates_an_old_database(tmp_path):
    """talkwatch crawl on a database at an older revision stops and names `talkwatch db upgrade`;
    its data and revision are untouched."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    _old_database(url)
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "mofa", "--db", url,
                           "--mirror", "http://127.0.0.1:9"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "talkwatch db upgrade" in done.stderr and "Traceback" not in done.stderr
    engine = make_engine(url)
    assert current_revision(engine) == FIRST_REVISION
    engine.dispose()


def test_a_new_empty_database_gets_the_schema_from_a_crawl_command(tmp_path):
    from storage.migrate import require_current_schema

    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    require_current_schema(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_the_head_the_revision_files_declare_is_alembics():
    # require_current_schema reads it without importing Alembic (status and report on a current database)
    from storage.migrate import declared_head

    assert declared_head() == head_revision()


def _database_with_readable_diffs(url: str) -> dict[int, dict]:
    """A database at 0004 whose diffs are in the readable form talkwatch stored before 0005 (ASCII-escaped
    JSON), over a chain of edits: a correction, a title change, a replaced sentence, a removed one; and
    one diff that no longer fits the version before it. Returns the stored diffs by version id."""
    engine = make_engine(url)
    upgrade(engine, "0004")
    engine.dispose()
    store = Store(url, rules=TEXT_RULES)
    corrected = [*STORY[:5], STORY[5].replace("４０分", "４５分"),
                 "※当初、会談時間を約４０分と掲載していましたが、約４５分の誤りでした。"]
    for body, title in [(STORY, "日米外相会談"), (corrected, "日米外相会談"), (corrected, "日米外相が初会談"),
                        (corrected[1:], "日米外相が初会談")]:
        store.articles.save_version(article_text(body, title=title))
    store.articles.save_version(article_text(STORY, key="other"))
    store.articles.save_version(article_text([*STORY, "両氏は今後も緊密に連携する。"], key="other"))
    readable: dict[int, dict] = {}
    with store.db.engine.begin() as conn:
        rows = conn.execute(text("SELECT id, article_id, seq, title, lead, body, diff FROM versions"
                                 " ORDER BY article_id, seq")).all()
        for previous, row in pairwise(rows):
            if row.seq > 1:
                readable[row.id] = render(json.loads(row.diff) if isinstance(row.diff, str) else row.diff,
                                          texts(previous))
        last = max(readable)  # written against a text that was rebuilt since: it does not fit
        readable[last] = {"body": [{"op": "equal", "text": "今はない文。"},
                                   {"op": "insert", "text": "新文。"}]}
        for version_id, diff in readable.items():
            conn.execute(text("UPDATE versions SET diff = :diff WHERE id = :id"),
                         {"diff": json.dumps(diff), "id": version_id})
    store.db.dispose()
    return readable


def _stored_and_rendered(url: str) -> tuple[dict[int, dict], dict[int, dict], int]:
    engine = make_engine(url)
    stored, rendered = {}, {}
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, article_id, seq, title, lead, body, diff FROM versions"
                                 " ORDER BY article_id, seq")).all()
        sizes = conn.execute(text("SELECT sum(length(CAST(diff AS TEXT))) FROM versions")).scalar()
    engine.dispose()
    for previous, row in pairwise(rows):
        if row.seq > 1:
            stored[row.id] = json.loads(row.diff) if isinstance(row.diff, str) else row.diff
            rendered[row.id] = render(stored[row.id], texts(previous))
    return stored, rendered, int(sizes or 0)


def test_stored_diffs_become_compact_and_read_the_same(empty_url: str):
    readable = _database_with_readable_diffs(empty_url)
    _, _, size_before = _stored_and_rendered(empty_url)
    engine = make_engine(empty_url)
    upgrade(engine)
    engine.dispose()
    stored, rendered, size_after = _stored_and_rendered(empty_url)
    assert rendered == readable  # what every reader shows is unchanged
    unfit = max(readable)
    assert stored[unfit] == readable[unfit]  # kept in the readable form, shown as it is
    compact = [diff for version_id, diff in stored.items() if version_id != unfit]
    assert compact and all(isinstance(op, list) for diff in compact for ops in diff.values() for op in ops)
    assert size_after < size_before / 3
    # a report reads them as before
    store = Store(empty_url)
    store.alerts.add_alert("changed", 1, 2)
    (view,) = store.alerts.alert_views(None)
    assert view.diff == readable[2]
    store.db.dispose()


def test_compact_diffs_go_back_on_downgrade(empty_url: str):
    readable = _database_with_readable_diffs(empty_url)
    engine = make_engine(empty_url)
    upgrade(engine, "0005")
    config = alembic_config(engine)
    with engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")
    engine.dispose()
    stored, rendered, _ = _stored_and_rendered(empty_url)
    assert stored == readable and rendered == readable


def test_a_database_of_the_current_models_made_by_create_all_is_adopted(sqlite_url: str):
    engine = make_engine(sqlite_url)
    Base.metadata.create_all(engine)
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    assert {"desk_subscriptions", "desk_mutes", SEARCH_INDEX_TABLE} <= set(inspect(engine).get_table_names())
    engine.dispose()


_OLD_DESK_DDL = {  # what the desk made at run time before 0006
    "sqlite": "CREATE VIRTUAL TABLE IF NOT EXISTS web_search USING fts5(doc, tokenize='trigram')",
    "postgresql": "CREATE TABLE IF NOT EXISTS web_search (version_id INTEGER PRIMARY KEY, doc TEXT NOT NULL)",
}


def test_desk_tables_made_at_run_time_are_kept(empty_url: str):
    from storage.tables import desk_mutes, desk_subscriptions

    engine = make_engine(empty_url)
    upgrade(engine, "0005")
    desk_subscriptions.create(engine)
    desk_mutes.create(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(_OLD_DESK_DDL[engine.dialect.name])
        conn.execute(desk_subscriptions.insert().values(channel="file:out", kind="label", value="ministerial",
                                                        created_at=NOW))
        conn.exec_driver_sql("INSERT INTO web_search (doc) VALUES ('日米外相会談')" if engine.dialect.name
                             == "sqlite" else "INSERT INTO web_search (version_id, doc) VALUES (1, '日米')")
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM desk_subscriptions")).scalar() == "ministerial"
        assert conn.execute(text("SELECT count(*) FROM web_search")).scalar() == 1
    engine.dispose()


def test_the_desk_on_an_old_schema_names_the_upgrade_and_creates_nothing(empty_url: str):
    from crawler.web import create_app
    from storage.migrate import SchemaOutOfDate

    engine = make_engine(empty_url)
    upgrade(engine, "0005")
    engine.dispose()
    store = Store(empty_url)
    with pytest.raises(SchemaOutOfDate, match="talkwatch db upgrade"):
        create_app(store)
    tables = set(inspect(store.db.engine).get_table_names())
    assert not tables & {"desk_subscriptions", "desk_mutes", SEARCH_INDEX_TABLE}
    store.db.dispose()
