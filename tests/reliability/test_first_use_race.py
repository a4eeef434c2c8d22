"""Two commands started at once on a database that does not exist yet: both need its schema, one makes
it (under the migration lock) and the other waits and uses it. Before the lock, the loser failed with
"table articles already exists", a PostgreSQL duplicate-type error, or a crawl told to run
`talkwatch db upgrade` on a schema that was half made."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.databases import POSTGRES_URL, render, scratch_postgres
from tests.support import REPO_ROOT

ROUNDS = 4


def _status_twice_at_once(db_url: str, cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    command = [sys.executable, "-m", "crawler.cli", "status", "--db", db_url]
    started = [subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    done = []
    for process in started:
        out, err = process.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return done


def test_two_commands_on_a_new_sqlite_file(tmp_path: Path):
    for round_ in range(ROUNDS):
        db_url = f"sqlite:///{tmp_path / f'new{round_}.sqlite3'}"
        for done in _status_twice_at_once(db_url, REPO_ROOT):
            assert done.returncode == 0, done.stderr
            assert "no alarms" in done.stdout


@pytest.mark.skipif(not POSTGRES_URL, reason="TALKWATCH_TEST_DATABASE_URL is not set (.ci/run sets it)")
def test_two_commands_on_a_new_postgresql_database(tmp_path: Path):
    for _ in range(ROUNDS):
        with scratch_postgres("first_use") as url:
            for done in _status_twice_at_once(render(url), tmp_path):
                assert done.returncode == 0, done.stderr
                assert "no alarms" in done.stdout
