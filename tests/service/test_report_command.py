"""``talkwatch report`` as a user types it: a view changes nothing, a delivery to a named channel marks what
it sent, ``--since`` takes any offset and durations and compares instants (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from storage.models import Alert, Delivery
from storage.store import Store
from tests.service.helpers import seed
from tests.support import REPO_ROOT

TALKWATCH = str(Path(sys.executable).parent / "talkwatch")


def talkwatch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in (env or os.environ).items() if k != "TALKWATCH_DATABASE_URL"}
    return subprocess.run([TALKWATCH, *args], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
                          env=base)


def report_json(store: Store, *args: str) -> dict[str, Any]:
    done = talkwatch("report", "--db", store.db.url, "--format", "json", "--out", "-", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def deliveries(store: Store) -> int:
    with store.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Delivery)) or 0)


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)
    return store


def test_a_view_changes_nothing_and_can_be_read_again(seeded: Store) -> None:
    first = talkwatch("report", "--db", seeded.db.url, "--out", "-")
    second = talkwatch("report", "--db", seeded.db.url, "--out", "-")
    assert first.returncode == second.returncode == 0, first.stderr
    assert "3 new, 1 follow-ups, 1 changed." in first.stdout
    assert first.stdout.split("\n", 1)[1] == second.stdout.split("\n", 1)[1]  # all but the time line
    assert deliveries(seeded) == 0
    assert report_json(seeded)["channel"] is None


def test_delivery_to_a_named_channel_marks_only_that_channel(seeded: Store, tmp_path: Path) -> None:
    out = tmp_path / "desk.md"
    done = talkwatch("report", "--db", seeded.db.url, "--channel", "desk", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "3 new, 1 follow-ups, 1 changed." in out.read_text("utf-8")
    assert deliveries(seeded) == 5
    again = report_json(seeded, "--channel", "desk")
    assert again["counts"]["new"] == 0 and again["channel"] == "desk"
    assert report_json(seeded, "--channel", "other")["counts"]["new"] == 3
    assert report_json(seeded)["counts"]["new"] == 3  # a view still shows everything


def test_delivery_through_a_configured_channel(seeded: Store, tmp_path: Path) -> None:
    target = tmp_path / "desk.json"
    config = tmp_path / "talkwatch.toml"
    config.write_text(f'[[delivery]]\nname = "desk"\nkind = "file"\nformat = "json"\npath = "{target}"\n'
                      '[[delivery]]\nname = "off"\nkind = "file"\npath = "x.md"\nenabled = false\n',
                      encoding="utf-8")
    done = talkwatch("report", "--db", seeded.db.url, "--config", str(config), "--channel", "desk")
    assert done.returncode == 0, done.stderr
    assert "file:desk: sent (5 alerts" in done.stderr
    assert json.loads(target.read_text("utf-8"))["counts"]["new"] == 3
    assert report_json(seeded, "--channel", "file:desk")["counts"]["new"] == 0
    refused = talkwatch("report", "--db", seeded.db.url, "--config", str(config), "--channel", "off")
    assert refused.returncode == 2 and "disabled" in refused.stderr


def _age_alerts(store: Store, when: datetime, kinds: tuple[str, ...]) -> None:
    with store.db.session() as s:
        s.execute(update(Alert).where(Alert.kind.in_(kinds)).values(created_at=when))


def test_since_compares_instants_whatever_the_offset(seeded: Store) -> None:
    _age_alerts(seeded, datetime(2025, 1, 21, 1, 0, tzinfo=UTC), ("new",))
    _age_alerts(seeded, datetime(2025, 1, 21, 2, 0, tzinfo=UTC), ("follow-up", "changed"))
    counts = {since: report_json(seeded, "--since", since)["counts"] for since in
              ("2025-01-21T10:30+09:00", "2025-01-21T01:30+00:00", "2025-01-21T01:30Z",
               "2025-01-20T20:30-05:00", "2025-01-21T01:30")}
    assert all(c == {"new": 0, "follow_up": 1, "changed": 1, "alarms": 0} for c in counts.values()), counts
    assert report_json(seeded, "--since", "2025-01-21T09:59+09:00")["counts"]["new"] == 3
    md = talkwatch("report", "--db", seeded.db.url, "--out", "-", "--since", "2025-01-21T10:30+09:00")
    assert "Alerts since 2025-01-21 10:30 +09:00." in md.stdout  # the instant, in JST with its offset
    data = report_json(seeded, "--since", "2025-01-21T10:30+09:00")
    assert datetime.fromisoformat(data["since"]) == datetime(2025, 1, 21, 1, 30, tzinfo=UTC)


def test_since_takes_durations(seeded: Store) -> None:
    now = datetime.now(UTC)
    _age_alerts(seeded, now - timedelta(days=3), ("new", "follow-up"))
    _age_alerts(seeded, now - timedelta(minutes=10), ("changed",))
    assert report_json(seeded, "--since", "7d")["counts"] == {"new": 3, "follow_up": 1, "changed": 1,
                                                               "alarms": 0}
    assert report_json(seeded, "--since", "24h")["counts"]["new"] == 0
    assert report_json(seeded, "--since", "30m")["counts"]["changed"] == 1
    assert report_json(seeded, "--since", "5m")["counts"]["changed"] == 0


@pytest.mark.parametrize("value", ["7x", "yesterday", "2025-13-01", "-3d", "99999999999d", ""])
def test_bad_since_is_one_clear_line(sqlite_url: str, value: str) -> None:
    done = talkwatch("report", "--db", sqlite_url, "--out", "-", f"--since={value}")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("talkwatch: --since")
    assert "24h" in lines[0] and "ISO 8601" in lines[0]
    assert "_since" not in done.stderr and "Traceback" not in done.stderr


def test_a_view_needs_no_channel_secrets_a_delivery_does(seeded: Store, tmp_path: Path) -> None:
    config = tmp_path / "talkwatch.toml"
    config.write_text('[[delivery]]\nname = "hook"\nkind = "webhook"\nurl_env = "TALKWATCH_TEST_UNSET_URL"\n',
                      encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "TALKWATCH_TEST_UNSET_URL"}
    view = talkwatch("report", "--db", seeded.db.url, "--config", str(config), "--out", "-", env=env)
    assert view.returncode == 0 and "3 new" in view.stdout, view.stderr
    send = talkwatch("report", "--db", seeded.db.url, "--config", str(config), "--channel", "hook", env=env)
    assert send.returncode == 2 and "TALKWATCH_TEST_UNSET_URL is not set" in send.stderr
    assert deliveries(seeded) == 0
