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

from crawler.service.config import ConfigError, parse_config
from tests.support import REPO_ROOT

# the installed entry point (``python -m crawler.cli`` would load crawler.cli twice: as __main__ and
# as the module crawler/config.py imports ConfigError from, so that ConfigError would escape)
TALKWATCH = str(Path(sys.executable).parent / "talkwatch")


def talkwatch(*args: str, timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = kwargs.pop("env", os.environ)
    env = {k: v for k, v in env.items() if k != "TALKWATCH_DATABASE_URL"}
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


@pytest.mark.skipif(not os.environ.get("TALKWATCH_TEST_DATABASE_URL"),
                    reason="TALKWATCH_TEST_DATABASE_URL is not set (.ci/run sets it)")
def test_a_database_the_server_does_not_have_is_named_as_missing() -> None:
    from sqlalchemy.engine import make_url

    server = make_url(os.environ["TALKWATCH_TEST_DATABASE_URL"])
    url = server.set(database="talkwatch_no_such_database").render_as_string(hide_password=False)
    done = talkwatch("status", "--db", url)
    # the server answered: "is it running?" would send the user the wrong way
    assert_clean_failure(done, 1, "has no such database", "create it")


def test_full_disk_for_the_report(tmp_path: Path) -> None:
    if not Path("/dev/full").is_char_device():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:  # every write: ENOSPC, like a full disk
        done = talkwatch("report", "--db", f"sqlite:///{tmp_path / 'db.sqlite3'}", "--out", "-", stdout=full)
    assert_clean_failure(done, 1, "no space left on the device")


# --- typed configuration: every fault is one line naming the key, exit 2, before anything runs -------------

HOOK = '[[delivery]]\nkind = "webhook"\nname = "hook"\n'
MAIL = '[[delivery]]\nkind = "email"\nname = "mail"\n'

BAD_CONFIGS = {
    "nan interval": ("[outlets.mofa]\ninterval_minutes = nan\n", ["outlets.mofa.interval_minutes", "nan"]),
    "inf interval": ("[outlets.mofa]\ninterval_minutes = inf\n", ["outlets.mofa.interval_minutes", "inf"]),
    "huge interval": ("[outlets.jiji]\ninterval_minutes = 1e12\n", ["outlets.jiji.interval_minutes"]),
    "over a week": ("[revisit]\ninterval_minutes = 10081\n", ["revisit.interval_minutes", "one week"]),
    "tiny interval": ("[report]\ninterval_minutes = 1e-9\n", ["report.interval_minutes", "from 0.1 to"]),
    "huge grace": ("[talkwatch]\nmisfire_grace_minutes = 1e300\n", ["talkwatch.misfire_grace_minutes"]),
    "outlet not a table": ("[outlets]\njiji = 5\n", ["outlets.jiji must be a table"]),
    "string boolean": ('[outlets.jiji]\nenabled = "false"\n', ["outlets.jiji.enabled", "true or false"]),
    "number boolean": ("[revisit]\nenabled = 0\n", ["revisit.enabled", "true or false"]),
    "recipient string": (MAIL + 'to = "desk@example.org"\n', ["delivery[0].to", "list of strings"]),
    "bad recipient": (MAIL + 'to = ["desk at example.org"]\n', ["delivery[0].to", "not an e-mail address"]),
    "header in sender": (MAIL + 'to = ["a@example.org"]\nsender = "a@example.org\\nBcc: x@evil.example"\n',
                         ["delivery[0].sender", "not an e-mail address"]),
    "port word": (MAIL + 'to = ["a@example.org"]\nsmtp_port = "twenty-five"\n',
                  ["delivery[0].smtp_port", "whole number from 1 to 65535"]),
    "port range": (MAIL + 'to = ["a@example.org"]\nsmtp_port = 70000\n', ["delivery[0].smtp_port"]),
    "negative backoff": (HOOK + 'url = "https://hooks.example.org/x"\nbackoff_seconds = -1\n',
                         ["delivery[0].backoff_seconds", "from 0 to"]),
    "negative attempts": (HOOK + 'url = "https://hooks.example.org/x"\nattempts = -3\n',
                          ["delivery[0].attempts", "whole number from 1"]),
    "fractional attempts": (HOOK + 'url = "https://hooks.example.org/x"\nattempts = 2.5\n',
                            ["delivery[0].attempts"]),
    "ftp webhook": (HOOK + 'url = "ftp://hooks.example.org/x"\n', ["delivery[0].url", "http/https"]),
    "unset url_env": (HOOK + 'url_env = "TALKWATCH_TEST_UNSET_HOOK"\n',
                      ["delivery[0].url_env", "TALKWATCH_TEST_UNSET_HOOK is not set"]),
    "unset token_env": (HOOK + 'url = "https://h.example.org/"\ntoken_env = "TALKWATCH_TEST_UNSET_TOKEN"\n',
                        ["delivery[0].token_env", "TALKWATCH_TEST_UNSET_TOKEN is not set"]),
    "unset password": (MAIL + 'to = ["a@example.org"]\nusername = "desk"\n'
                       'password_env = "TALKWATCH_TEST_UNSET_PASSWORD"\n',
                       ["delivery[0].password_env", "TALKWATCH_TEST_UNSET_PASSWORD is not set"]),
    "formats string": ('[report]\nformats = "md"\n', ["report.formats", "list of strings"]),
    "runs fraction": ("[health]\nrecent_runs = 2.5\n", ["health.recent_runs", "whole number"]),
    "mirror without scheme": ('[talkwatch]\nmirror_url = "127.0.0.1:8800"\n',
                              ["talkwatch.mirror_url", "http"]),
    "delivery not tables": ('delivery = ["file"]\n', ["[[delivery]]"]),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_config_refused_at_start(tmp_path: Path, case: str) -> None:
    text, words = BAD_CONFIGS[case]
    config = write_config(tmp_path, text)
    done = talkwatch("status", "--config", config, "--db", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert_clean_failure(done, 2, *words)
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "db.sqlite3").exists()  # refused before anything was opened


@pytest.mark.parametrize("case", ["nan interval", "outlet not a table", "unset url_env"])
def test_monitor_refuses_bad_config(tmp_path: Path, case: str) -> None:
    text, words = BAD_CONFIGS[case]
    done = talkwatch("monitor", "--config", write_config(tmp_path, text),
                     "--db", f"sqlite:///{tmp_path / 'db.sqlite3'}", timeout=30)
    assert_clean_failure(done, 2, *words)


def test_non_utf8_config(tmp_path: Path) -> None:
    path = tmp_path / "talkwatch.toml"
    path.write_bytes('[outlets.jiji]\n# 時事\ninterval_minutes = 20\n'.encode("shift_jis"))
    assert_clean_failure(talkwatch("monitor", "--config", str(path)), 2, str(path), "not UTF-8")


def test_secret_url_is_not_shown_when_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path, HOOK + 'url_env = "TALKWATCH_TEST_HOOK"\n')
    env = {**os.environ, "TALKWATCH_TEST_HOOK": "ftp://user:hunter2@hooks.example.org/x"}
    done = talkwatch("status", "--config", config, env=env)
    assert_clean_failure(done, 2, "delivery[0].url_env", "TALKWATCH_TEST_HOOK")
    assert "hunter2" not in done.stderr


def test_example_config_starts_without_live_channels(tmp_path: Path) -> None:
    example = str(REPO_ROOT / "deploy" / "talkwatch.example.toml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALKWATCH_")}
    done = talkwatch("status", "--config", example, "--db", f"sqlite:///{tmp_path / 'db.sqlite3'}", env=env)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    assert "talkwatch:" not in done.stderr
