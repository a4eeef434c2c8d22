"""Bad configuration and a bad environment, at the command line: one line naming the key and the
fix, exit code 2 (configuration) or 1 (environment), never a traceback, never a password."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.config import ConfigError, parse_config
from tests.support import REPO_ROOT

# the installed entry point (``python -m crawler.cli`` would load crawler.cli twice: as __main__ and
# as the module crawler/config.py imports ConfigError from, so that ConfigError would escape)
TALKWATCH = str(Path(sys.executable).parent / "talkwatch")


def talkwatch(*args: str, timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TALKWATCH_DATABASE_URL"}
    options: dict[str, Any] = {"capture_output": True, **kwargs}
    if "stdout" in kwargs:
        options = {"stderr": subprocess.PIPE, **kwargs}
    return subprocess.run([TALKWATCH, *args], text=True, timeout=timeout, cwd=REPO_ROOT, env=env, **options)


def assert_clean_failure(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("talkwatch: ")
    for word in words:
        assert word in message


def write_config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "talkwatch.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_unknown_outlet_on_the_command_line() -> None:
    assert_clean_failure(talkwatch("crawl", "foxnews"), 2, "'foxnews'", "mofa, jiji, nhk, reuters")


def test_unknown_outlet_in_the_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[outlets.foxnews]\ninterval_minutes = 30\n")
    assert_clean_failure(talkwatch("monitor", "--config", config), 2, "outlets.foxnews", "known:")


@pytest.mark.parametrize("value", ["0", '"often"'])
def test_bad_interval(tmp_path: Path, value: str) -> None:
    config = write_config(tmp_path, f"[outlets.mofa]\ninterval_minutes = {value}\n")
    assert_clean_failure(talkwatch("monitor", "--config", config), 2, "outlets.mofa.interval_minutes",
                         "positive number")


def test_bad_database_url_on_the_command_line() -> None:
    assert_clean_failure(talkwatch("report", "--db", "not a url", "--out", "-"), 2,
                         "'not a url'", "sqlite:///", "postgresql+psycopg://")


def test_bad_database_url_in_the_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[talkwatch]\ndatabase_url = "not a url"\n')
    assert_clean_failure(talkwatch("monitor", "--config", config, timeout=30), 2, "'not a url'")


def test_apprise_channel_without_url(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[[delivery]]\nkind = "apprise"\n')
    assert_clean_failure(talkwatch("monitor", "--config", config), 2, "delivery[0].url", "url_env")


def test_apprise_url_apprise_cannot_read() -> None:
    try:
        parse_config({"delivery": [{"kind": "apprise", "url": "notaservice://x"}]})
    except ConfigError as error:
        assert "delivery[0].url" in str(error)
        return
    raise AssertionError("a URL apprise does not understand was accepted")


def test_read_only_database(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite3"
    sqlite3.connect(path).close()
    done = talkwatch("report", "--db", f"sqlite:///file:{path}?mode=ro&uri=true", "--out", "-")
    assert_clean_failure(done, 1, "read-only", "--db")


def test_unwritable_database_location(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be", encoding="utf-8")
    done = talkwatch("report", "--db", f"sqlite:///{blocker}/talkwatch.sqlite3", "--out", "-")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert str(blocker) in done.stderr.strip().splitlines()[-1]


def test_unreachable_database_server_keeps_the_password_out() -> None:
    url = "postgresql+psycopg://talk:hunter2@127.0.0.1:9/talkwatch"
    done = talkwatch("report", "--db", url, "--out", "-")
    assert_clean_failure(done, 1, "cannot reach the database server")
    assert "hunter2" not in done.stderr + done.stdout


def test_full_disk_for_the_report(tmp_path: Path) -> None:
    if not Path("/dev/full").is_char_device():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:  # every write: ENOSPC, like a full disk
        done = talkwatch("report", "--db", f"sqlite:///{tmp_path / 'db.sqlite3'}", "--out", "-", stdout=full)
    assert_clean_failure(done, 1, "no space left on the device")
