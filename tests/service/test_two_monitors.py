"""Two ``talkwatch monitor`` processes on one database, for real (issue 14, "one scheduler"): the leader
crawls and delivers, the ``--standby`` only waits; no outlet is crawled twice at once, no alert reaches
the webhook twice, and after ``kill -9`` of the leader the standby takes over within the lease time.

And a monitor killed while a delivery is on the wire (the webhook has the POST, the monitor has not yet
recorded that it went out): the restarted monitor delivers those alerts again at once, with the same
``Idempotency-Key`` (at least once)."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.mirror.server import MirrorServer
from crawler.service.delivery import idempotency_key
from storage.models import Alert, Delivery
from storage.store import Store
from storage.tables import service_runs
from tests.service.processes import alive, children
from tests.service.test_scheduler import REPO

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="monitors and their crawls stop together through PR_SET_PDEATHSIG")]

LEASE_SECONDS = 6
CHANNEL = "hook"


# --- a webhook receiver ------------------------------------------------------------------------------

@dataclass
class Post:
    at: float  # time.monotonic() when the POST arrived
    key: str | None  # its Idempotency-Key header
    body: dict[str, Any]

    @property
    def alert_ids(self) -> list[int]:
        articles = [a for t in self.body.get("threads", []) for a in t["new"] + t["follow_ups"]]
        return [a["alert_id"] for a in articles + self.body.get("changed", [])]


@dataclass
class Receiver:
    """Records every POST (body, Idempotency-Key) as it arrives; answers 200 once ``answer`` is set."""

    posts: list[Post] = field(default_factory=list)
    answer: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def snapshot(self) -> list[Post]:
        with self.lock:
            return list(self.posts)

    def with_alerts(self) -> list[Post]:
        return [p for p in self.snapshot() if p.alert_ids]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received = Receiver()
    received.answer.set()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with received.lock:
                received.posts.append(Post(time.monotonic(), self.headers.get("Idempotency-Key"), body))
            received.answer.wait(60)
            try:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the monitor was killed while we held its POST
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, name="webhook", daemon=True)
    thread.start()
    try:
        yield received
    finally:
        received.answer.set()
        server.shutdown()
        server.server_close()


# --- monitors ----------------------------------------------------------------------------------------

def monitor_config(path: Path, mirror: str, hook: str, outlets: dict[str, float],
                   report_minutes: float) -> Path:
    """Only ``outlets`` (name → interval in minutes), from the mirror; reports as JSON files and to the
    webhook ``hook``."""
    tables = "\n".join(f"[outlets.{name}]\nenabled = {'true' if name in outlets else 'false'}\n"
                       + (f"interval_minutes = {outlets[name]}\n" if name in outlets else "")
                       for name in ("jiji", "nhk", "reuters", "mofa"))
    path.write_text(f"""
[talkwatch]
mirror_url = "{mirror}"
progress_seconds = 5
stop_grace_seconds = 15
misfire_grace_minutes = 1
{tables}
[revisit]
enabled = false
[report]
interval_minutes = {report_minutes}
dir = "{path.parent / 'reports'}"
formats = ["json"]
[[delivery]]
name = "{CHANNEL}"
kind = "webhook"
url = "{hook}"
format = "json"
attempts = 2
backoff_seconds = 0.5
timeout_seconds = 30
""", encoding="utf-8")
    return path


class Monitors:
    """The ``talkwatch monitor`` processes a test starts; it ends only these (and their crawls)."""

    def __init__(self, tmp_path: Path, db_url: str) -> None:
        self.tmp_path, self.db_url = tmp_path, db_url
        self.started: list[subprocess.Popen[bytes]] = []
        self.children: set[int] = set()  # crawl processes seen under our monitors

    def start(self, name: str, config: Path, *extra: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "crawler.cli", "monitor", "--config", str(config),
                   "--db", self.db_url, "--lease-seconds", str(LEASE_SECONDS), *extra]
        process = subprocess.Popen(command, cwd=REPO, stdout=self.log_path(name).open("w"),
                                   stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.started.append(process)
        return process

    def log_path(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"

    def log(self, name: str) -> str:
        return self.log_path(name).read_text("utf-8", errors="replace")

    def note_children(self) -> None:
        for process in self.started:
            if process.poll() is None:
                self.children.update(children(process.pid))

    def stop(self, process: subprocess.Popen[bytes]) -> int:
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=40)

    def cleanup(self) -> None:
        self.note_children()
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        deadline = time.monotonic() + 20  # a crawl whose monitor died closes by itself
        while time.monotonic() < deadline and any(alive(pid) for pid in self.children):
            time.sleep(0.2)
        for pid in self.children:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def _wait(condition: Callable[[], object], limit: float, why: Callable[[], str] | str,
          tick: Callable[[], None] | None = None) -> float:
    """Poll ``condition`` for up to ``limit`` seconds; the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if condition():
            return time.monotonic() - start
        if tick is not None:
            tick()
        time.sleep(0.1)
    pytest.fail(why() if callable(why) else why)


def _runs(store: Store) -> list[Any]:
    with store.db.session() as s:
        return list(s.execute(select(service_runs).order_by(service_runs.c.id)))


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _started_runs(log: str) -> list[str]:
    """Run ids of the crawls a monitor's log says it started."""
    return re.findall(r": started \(run ([\w.-]+)\)", log)


# --- two monitors ------------------------------------------------------------------------------------

SOAK_SECONDS = 70


def test_two_monitors_share_a_database_without_doing_anything_twice(
        empty_url: str, tmp_path: Path, receiver: Receiver) -> None:
    """About a minute of two monitors on one database (SQLite, PostgreSQL): jiji every 6 s, MOFA every
    9 s, a report every 6 s; the leader is killed with kill -9 in the middle of a crawl, the mirror
    moves to its second state (new stories, edits) once the standby leads."""
    server = MirrorServer()
    server.start_in_thread()
    config = monitor_config(tmp_path / "talkwatch.toml", server.base_url, receiver.url,
                            {"jiji": 0.1, "mofa": 0.15}, report_minutes=0.1)
    monitors = Monitors(tmp_path, empty_url)
    store: Store | None = None
    try:
        began = time.monotonic()
        leader = monitors.start("leader", config)
        _wait(lambda: "monitor started" in monitors.log("leader"), 60,
              lambda: "the leader did not start:\n" + monitors.log("leader"))
        store = Store(empty_url)
        standby = monitors.start("standby", config, "--standby")
        _wait(lambda: "standby: another monitor is running" in monitors.log("standby"), 60,
              lambda: "the standby did not wait:\n" + monitors.log("standby"))
        assert standby.poll() is None

        # the leader works for a while: crawls of both outlets, a delivery with the first alerts
        def leader_worked() -> bool:
            runs = _runs(store)
            finished = {r.outlet for r in runs if r.job.startswith("crawl:") and r.finished_at is not None}
            return finished == {"jiji", "mofa"} and bool(receiver.with_alerts()) \
                and time.monotonic() - began > 25

        _wait(leader_worked, 60, lambda: "the leader did not crawl and deliver:\n" + monitors.log("leader"),
              tick=monitors.note_children)

        # kill -9 of the leader while it crawls, not while it reports (a delivery cut short is sent again,
        # at least once: test_a_delivery_cut_short_by_a_crash_is_made_again covers that)
        def crawling_not_reporting() -> bool:
            runs = _runs(store)
            reports = [r for r in runs if r.job == "report"]
            recent = reports and reports[-1].finished_at is not None and (
                datetime.now(UTC) - _aware(reports[-1].finished_at) < timedelta(seconds=2.5))
            return bool(recent) and any(r.outcome == "running" and r.job.startswith("crawl:") for r in runs)

        _wait(crawling_not_reporting, 30, "no moment when the leader crawled and did not report",
              tick=monitors.note_children)
        monitors.note_children()
        leader.send_signal(signal.SIGKILL)
        killed, killed_at = time.monotonic(), datetime.now(UTC)
        leader.wait(timeout=10)
        standby_holder = f":{standby.pid}"

        def standby_leads() -> bool:
            held = store.leases.current("monitor")
            return held is not None and held.holder.endswith(standby_holder)

        took = _wait(standby_leads, 3 * LEASE_SECONDS,
                     lambda: "the standby did not take the lease:\n" + monitors.log("standby"),
                     tick=monitors.note_children)
        assert took <= LEASE_SECONDS, f"the standby took over {took:.1f} s after the leader died"
        _wait(lambda: "standby: the lease is ours, taking over" in monitors.log("standby"), 10,
              lambda: monitors.log("standby"))
        server.state = 2  # new stories and edits for the new leader to find and deliver
        state_two = time.monotonic()

        def standby_worked() -> bool:
            runs = {r.run_id: r for r in _runs(store)}
            mine = [runs[r] for r in _started_runs(monitors.log("standby")) if r in runs]
            crawled = {r.outlet for r in mine if r.finished_at is not None and r.outcome != "skipped"}
            return crawled == {"jiji", "mofa"} and any(p.at > state_two for p in receiver.with_alerts()) \
                and time.monotonic() - began > SOAK_SECONDS

        _wait(standby_worked, 60,
              lambda: "the standby did not crawl and deliver:\n" + monitors.log("standby"),
              tick=monitors.note_children)
        first_crawl = min((r for r in _runs(store) if r.run_id in _started_runs(monitors.log("standby"))),
                          key=lambda r: r.started_at)
        assert _aware(first_crawl.started_at) - killed_at < timedelta(seconds=LEASE_SECONDS + 10)
        assert monitors.stop(standby) == 0, monitors.log("standby")
        ended = time.monotonic()
    finally:
        monitors.cleanup()
        server.stop()
    assert store is not None
    try:
        _check_runs(store, killed_at, monitors.log("standby"))
        _check_deliveries(store, receiver, killed)
    finally:
        store.db.dispose()
    print(f"soak: {ended - began:.0f} s, {len(receiver.snapshot())} POSTs, standby led after {took:.1f} s")


def _check_runs(store: Store, killed_at: datetime, standby_log: str) -> None:
    runs = _runs(store)
    crawls = [r for r in runs if r.job.startswith(("crawl:", "revisit:")) and r.outcome != "skipped"]
    assert not [r.run_id for r in runs if r.outcome == "running"], "a run was left running"
    by_outlet: dict[str, list[Any]] = {}
    for run in crawls:
        by_outlet.setdefault(run.outlet, []).append(run)
    assert set(by_outlet) == {"jiji", "mofa"}
    for outlet, outlet_runs in by_outlet.items():
        assert len(outlet_runs) >= 4, f"{outlet}: only {len(outlet_runs)} crawls in the soak"
        spans = sorted((_aware(r.started_at), _aware(r.finished_at), r.run_id, r.outcome)
                       for r in outlet_runs)
        for before, after in itertools.pairwise(spans):
            assert before[1] <= after[0], f"{outlet}: two crawls at once: {before} and {after}"
    # the standby crawled nothing before it led: every run its log names started after the kill
    standby_runs = set(_started_runs(standby_log.split("standby: the lease is ours", 1)[1]))
    assert set(_started_runs(standby_log)) == standby_runs, "the standby crawled while it waited"
    assert all(_aware(r.started_at) > killed_at for r in runs if r.run_id in standby_runs)
    assert {r.outlet for r in crawls if r.run_id in standby_runs} == {"jiji", "mofa"}
    assert {r.outlet for r in crawls if r.run_id not in standby_runs} == {"jiji", "mofa"}


def _check_deliveries(store: Store, receiver: Receiver, killed: float) -> None:
    posts = receiver.snapshot()
    delivered: list[int] = []
    for post in posts:
        assert post.key == post.body["idempotency_key"]
        if post.alert_ids:
            assert post.key == idempotency_key(CHANNEL, post.alert_ids)
        delivered += post.alert_ids
    repeats = sorted({a for a in delivered if delivered.count(a) > 1})
    assert not repeats, f"alerts delivered twice: {repeats}"
    keys = [p.key for p in posts]  # reports of alarms alone too: each its own
    assert len(keys) == len(set(keys)), "two deliveries with one idempotency key"
    # both monitors delivered: the leader before the kill, the standby the second state's alerts after
    assert any(p.at < killed for p in posts if p.alert_ids)
    assert any(p.at > killed for p in posts if p.alert_ids)
    # what the database says went out is what the webhook got
    with store.db.session() as s:
        recorded = set(s.scalars(select(Delivery.alert_id).where(Delivery.channel == f"webhook:{CHANNEL}")))
        kinds = {row.id: row.kind for row in s.execute(select(Alert.id, Alert.kind))}
    assert recorded == set(delivered)
    assert {kinds[a] for a in delivered} >= {"new", "changed"}  # state 2 brought edits, the standby sent them


# --- a crash between the send and its record -----------------------------------------------------------

def test_a_delivery_cut_short_by_a_crash_is_made_again(empty_url: str, tmp_path: Path,
                                                       receiver: Receiver) -> None:
    """The webhook takes the POST and holds its answer; the monitor is killed meanwhile, so it never
    records the delivery. The restarted monitor (reports now every 10 minutes: only the crash can make it
    report at once) sends the same alerts again at once, with the same Idempotency-Key, and records them."""
    server = MirrorServer()
    server.start_in_thread()
    monitors = Monitors(tmp_path, empty_url)
    store: Store | None = None
    try:
        # the alerts exist before the monitor starts: one crawl of the mirror's MOFA, run to its end
        crawl = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "mofa", "--db", empty_url,
                                "--mirror", server.base_url], cwd=REPO, capture_output=True, text=True,
                               timeout=120)
        assert crawl.returncode in (0, 1), crawl.stdout + crawl.stderr
        store = Store(empty_url)
        with store.db.session() as s:
            alerts = set(s.scalars(select(Alert.id)))
        assert alerts, crawl.stdout + crawl.stderr

        receiver.answer.clear()  # hold every answer
        first = monitors.start("first", monitor_config(tmp_path / "first.toml", server.base_url, receiver.url,
                                                       {"mofa": 60}, report_minutes=0.1))
        _wait(lambda: receiver.with_alerts(), 60, lambda: "no delivery:\n" + monitors.log("first"),
              tick=monitors.note_children)
        [held] = receiver.with_alerts()
        assert set(held.alert_ids) == alerts
        monitors.note_children()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        receiver.answer.set()  # the answer goes to a dead socket
        with store.db.session() as s:
            assert not s.scalars(select(Delivery.alert_id)
                                 .where(Delivery.channel == f"webhook:{CHANNEL}")).all()  # not recorded
        [cut] = [r for r in _runs(store) if r.job == "report"]
        assert cut.outcome == "running"

        restarted = time.monotonic()
        second = monitors.start("second", monitor_config(tmp_path / "second.toml", server.base_url,
                                                         receiver.url, {"mofa": 60}, report_minutes=10))
        took = _wait(lambda: len(receiver.with_alerts()) > 1, 30,
                     lambda: "the restarted monitor did not deliver again:\n" + monitors.log("second"),
                     tick=monitors.note_children)
        again = receiver.with_alerts()[1]
        assert again.at > restarted
        assert sorted(again.alert_ids) == sorted(held.alert_ids)
        assert again.key == held.key == again.body["idempotency_key"] == idempotency_key(CHANNEL,
                                                                                         held.alert_ids)
        assert "the last report run was cut short: reporting again now" in monitors.log("second")

        def recorded() -> bool:
            with store.db.session() as s:
                return set(s.scalars(select(Delivery.alert_id)
                                     .where(Delivery.channel == f"webhook:{CHANNEL}"))) == alerts

        _wait(recorded, 20, "the second delivery was not recorded")
        assert monitors.stop(second) == 0, monitors.log("second")
        reports = {r.run_id: r for r in _runs(store) if r.job == "report"}
        assert reports[cut.run_id].outcome == "interrupted"  # the cut run's record tells the crash
        assert [r.outcome for r in reports.values() if r.run_id != cut.run_id] == ["ok"]
        assert len(receiver.with_alerts()) == 2  # once more, not on and on
    finally:
        monitors.cleanup()
        server.stop()
        if store is not None:
            store.db.dispose()
    print(f"crash: the restarted monitor delivered again {took:.1f} s after its start")
