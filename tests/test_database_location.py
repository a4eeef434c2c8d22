"""Every command of one invocation opens the same database, from whichever directory it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from crawler.mirror.server import MirrorServer
from storage.db import DEFAULT_DATABASE_PATH, database_url, make_engine
from tests.support import REPO_ROOT


def talkwatch(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_the_default_database_sits_beside_scrapy_cfg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("TALKWATCH_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert DEFAULT_DATABASE_PATH == REPO_ROOT / "var" / "talkwatch.sqlite3"
    assert database_url() == f"sqlite:///{DEFAULT_DATABASE_PATH}"


def test_a_relative_sqlite_path_is_the_callers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    assert database_url("sqlite:///here/x.sqlite3") == f"sqlite:///{tmp_path / 'here' / 'x.sqlite3'}"


def test_other_urls_are_left_alone():
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert database_url(url) == url
    assert database_url("sqlite:///:memory:") == "sqlite:///:memory:"


def test_a_mistyped_folder_is_an_error_not_a_new_empty_database(tmp_path: Path):
    done = talkwatch("status", "--db", f"sqlite:///{tmp_path}/no/such/dir/x.sqlite3", cwd=tmp_path)
    assert done.returncode == 2
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "no").exists()


@pytest.mark.slow
def test_crawl_and_report_from_another_folder_use_one_database(tmp_path: Path):
    elsewhere = tmp_path / "desk"
    elsewhere.mkdir()
    server = MirrorServer()
    server.start_in_thread()
    try:
        crawled = talkwatch("crawl", "jiji", "--db", "sqlite:///desk.sqlite3", "--mirror", server.base_url,
                            cwd=elsewhere)
    finally:
        server.stop()
    assert crawled.returncode == 0, crawled.stdout + crawled.stderr
    assert (elsewhere / "desk.sqlite3").is_file()
    assert not (REPO_ROOT / "desk.sqlite3").exists()
    report = talkwatch("report", "--db", "sqlite:///desk.sqlite3", "--out", "-", cwd=elsewhere)
    assert report.returncode == 0, report.stderr
    assert "Nothing new" not in report.stdout and "jiji" in report.stdout


def test_a_postgresql_session_left_inside_a_transaction_is_ended_by_the_server():
    url = os.environ.get("TALKWATCH_TEST_DATABASE_URL")
    if not url:
        pytest.skip("TALKWATCH_TEST_DATABASE_URL is not set (a PostgreSQL database of the tests' own)")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "1min"
    finally:
        engine.dispose()
