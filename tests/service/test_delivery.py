"""Delivery over real loopback servers: a file, SMTP (aiosmtpd), a webhook and an apprise URL (http.server).

The tests check what arrived, that a channel never gets an alert twice, that failures are retried with
backoff and recorded, and that secrets (from the environment) never reach the log or the delivery log.
"""

from __future__ import annotations

import email
import json
import logging
import socket
import threading
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from crawler.service.config import ChannelConfig, parse_config
from crawler.service.delivery import deliver
from crawler.syndication import TEXT_RULES
from storage.store import Store
from tests.service.helpers import seed

SECRET = "s3cr3t-Passw0rd-XYZ"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def seeded(sqlite_url: str) -> Iterator[Store]:
    store = Store(sqlite_url, rules=TEXT_RULES)
    store.db.create_schema()
    seed(store)
    yield store
    store.db.dispose()


class Hook(ThreadingHTTPServer):
    """Records every POST; answers the status codes in ``plan`` first, then 200."""

    def __init__(self, plan: list[int] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), HookHandler)
        self.received: list[dict[str, Any]] = []
        self.plan = list(plan or [])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class HookHandler(BaseHTTPRequestHandler):
    server: Hook

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status = self.server.plan.pop(0) if self.server.plan else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.endswith("@refused.example"):
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    inbox = Inbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        inbox.logins.append((data.login, data.password))
        return AuthResult(success=data.login == b"desk" and data.password == SECRET.encode())

    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


def test_file_channel(seeded: Store, tmp_path: Path) -> None:
    out = tmp_path / "out" / "desk.html"
    channel = ChannelConfig(name="desk", kind="file", path=str(out), format="html")
    result = deliver(seeded, channel)
    assert (result.outcome, result.alerts, result.attempts) == ("sent", 5, 1)
    assert "岩屋外相、ルビオ米国務長官と初会談" in out.read_text("utf-8")
    again = deliver(seeded, channel)
    assert (again.outcome, again.alerts) == ("skipped", 0)  # nothing is reported twice to a channel
    assert [d["outcome"] for d in seeded.runs.deliveries("file:desk")] == ["skipped", "sent"]


def test_email_arrives(seeded: Store, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch,
                       caplog: pytest.LogCaptureFixture) -> None:
    inbox, port = smtp
    monkeypatch.setenv("TALKWATCH_SMTP_PASSWORD", SECRET)
    channel = ChannelConfig(name="mail", kind="email", smtp_host="127.0.0.1", smtp_port=port, username="desk",
                            sender="talkwatch@example.org", to=["analyst@example.org"], format="html")
    with caplog.at_level(logging.DEBUG):
        result = deliver(seeded, channel)
    assert result.outcome == "sent"
    assert inbox.logins == [(b"desk", SECRET.encode())]
    sender, rcpts, message = inbox.messages[0]
    assert (sender, rcpts) == ("talkwatch@example.org", ["analyst@example.org"])
    assert message["Subject"] == "talkwatch: 3 new, 1 follow-ups, 1 changed"
    parts = {part.get_content_type(): part.get_payload(decode=True).decode("utf-8")
             for part in message.walk() if not part.is_multipart()}
    assert "岩屋外相、ルビオ米国務長官と初会談" in parts["text/plain"]
    assert "<ins>6</ins>" in parts["text/html"]
    assert SECRET not in caplog.text


def test_email_without_password_fails_and_is_recorded(seeded: Store, smtp: tuple[Inbox, int],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp
    monkeypatch.delenv("TALKWATCH_SMTP_PASSWORD", raising=False)
    channel = ChannelConfig(name="mail", kind="email", smtp_host="127.0.0.1", smtp_port=port, username="desk",
                            to=["analyst@example.org"], attempts=2, backoff_seconds=0.01)
    result = deliver(seeded, channel)
    assert (result.outcome, result.attempts) == ("failed", 1)  # a missing secret does not heal: no retry
    assert "TALKWATCH_SMTP_PASSWORD is not set" in (result.error or "")
    assert inbox.messages == []
    assert seeded.runs.deliveries("email:mail")[0]["outcome"] == "failed"
    assert len(seeded.alerts.undelivered_alerts("email:mail")) == 5  # not marked: the next run tries again


def test_webhook_posts_json(seeded: Store, hook: Hook, monkeypatch: pytest.MonkeyPatch,
                            caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("TALKWATCH_WEBHOOK_TOKEN", SECRET)
    channel = ChannelConfig(name="hook", kind="webhook", url=f"{hook.url}/alerts",
                            token_env="TALKWATCH_WEBHOOK_TOKEN")
    with caplog.at_level(logging.DEBUG):
        assert deliver(seeded, channel).outcome == "sent"
    [got] = hook.received
    assert got["path"] == "/alerts"
    assert got["headers"]["Authorization"] == f"Bearer {SECRET}"
    data = json.loads(got["body"])
    assert data["schema"] == "talkwatch-report/1" and data["channel"] == "webhook:hook"
    assert data["counts"] == {"new": 3, "follow_up": 1, "changed": 1, "alarms": 0}
    assert SECRET not in caplog.text


def test_every_webhook_send_of_the_same_alerts_carries_one_idempotency_key(seeded: Store, hook: Hook) -> None:
    hook.plan = [503]  # the first send fails: the retry must carry the same key
    channel = ChannelConfig(name="hook", kind="webhook", url=hook.url, attempts=2, backoff_seconds=0.01)
    assert deliver(seeded, channel).outcome == "sent"
    keys = [got["headers"]["Idempotency-Key"] for got in hook.received]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0].startswith("talkwatch-")
    assert json.loads(hook.received[1]["body"])["idempotency_key"] == keys[0]


def test_reports_of_alarms_alone_carry_keys_of_their_own(sqlite_url: str, hook: Hook) -> None:
    """Alarms are told again in every report: were their key that of "no alerts", always the same, a
    receiver that drops repeats would drop every alarm after the first, a new one too."""
    store = Store(sqlite_url, rules=TEXT_RULES)
    store.db.create_schema()
    store.runs.start("crawl-jiji-1", "crawl:jiji", "jiji")
    store.runs.finish("crawl-jiji-1", "failed", 1, message="boom")
    channel = ChannelConfig(name="hook", kind="webhook", url=hook.url, attempts=2, backoff_seconds=0.01)
    config = parse_config({})
    hook.plan = [503]  # a retry of one report keeps its key
    assert deliver(store, channel, config).outcome == "sent"
    assert deliver(store, channel, config).outcome == "sent"
    bodies = [json.loads(got["body"]) for got in hook.received]
    assert [b["counts"]["new"] + b["counts"]["changed"] + b["counts"]["follow_up"] for b in bodies] == [0] * 3
    assert all(b["alarms"] for b in bodies)
    keys = [got["headers"]["Idempotency-Key"] for got in hook.received]
    assert keys[0] == keys[1] != keys[2]
    assert [b["idempotency_key"] for b in bodies] == keys
    store.db.dispose()


def test_webhook_retried_with_backoff(seeded: Store, hook: Hook) -> None:
    hook.plan = [500, 503]
    waits: list[float] = []
    channel = ChannelConfig(name="hook", kind="webhook", url=hook.url, attempts=4, backoff_seconds=0.5)
    result = deliver(seeded, channel, sleep=waits.append)
    assert (result.outcome, result.attempts) == ("sent", 3)
    assert waits == [0.5, 1.0]
    assert len(hook.received) == 3


def test_webhook_failure_recorded_without_secret(seeded: Store, hook: Hook, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    hook.plan = [500] * 5
    monkeypatch.setenv("TALKWATCH_HOOK_URL", f"{hook.url}/hook?token={SECRET}")
    channel = ChannelConfig(name="hook", kind="webhook", url_env="TALKWATCH_HOOK_URL", attempts=3,
                            backoff_seconds=0.01)
    with caplog.at_level(logging.DEBUG):
        result = deliver(seeded, channel)
    assert (result.outcome, result.attempts) == ("failed", 3)
    [row] = seeded.runs.deliveries("webhook:hook")
    assert row["outcome"] == "failed" and row["attempts"] == 3 and "HTTP 500" in row["error"]
    assert SECRET not in row["error"] and SECRET not in caplog.text
    assert len(seeded.alerts.undelivered_alerts("webhook:hook")) == 5


def test_apprise_url(seeded: Store, hook: Hook, monkeypatch: pytest.MonkeyPatch) -> None:
    port = hook.server_address[1]
    monkeypatch.setenv("TALKWATCH_APPRISE_URL", f"json://127.0.0.1:{port}/notify")
    channel = ChannelConfig(name="ops", kind="apprise", url_env="TALKWATCH_APPRISE_URL")
    assert deliver(seeded, channel).outcome == "sent"
    [got] = hook.received
    assert got["path"] == "/notify"
    data = json.loads(got["body"])
    assert data["title"] == "talkwatch: 3 new, 1 follow-ups, 1 changed"
    assert "岩屋外相、ルビオ米国務長官と初会談" in data["message"]


def test_config_refuses_secrets_in_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler.service.config import ConfigError

    monkeypatch.setenv("HOOK", "https://hooks.example.org/x")
    with pytest.raises(ConfigError, match="password_env"):
        parse_config({"delivery": [{"kind": "email", "to": ["a@b"], "password": "x"}]})
    config = parse_config({"delivery": [{"kind": "webhook", "name": "h", "url_env": "HOOK"}]})
    assert config.channels[0].channel_id == "webhook:h"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 301])
def test_webhook_refusal_is_not_retried(seeded: Store, hook: Hook, status: int) -> None:
    hook.plan = [status] * 5
    waits: list[float] = []
    channel = ChannelConfig(name="hook", kind="webhook", url=hook.url, attempts=4, backoff_seconds=0.5)
    result = deliver(seeded, channel, sleep=waits.append)
    assert (result.outcome, result.attempts, waits) == ("failed", 1, [])
    assert len(hook.received) == 1 and f"HTTP {status}" in (result.error or "")
    assert len(seeded.alerts.undelivered_alerts("webhook:hook")) == 5


def test_webhook_too_many_requests_is_retried(seeded: Store, hook: Hook) -> None:
    hook.plan = [429]
    channel = ChannelConfig(name="hook", kind="webhook", url=hook.url, attempts=3, backoff_seconds=0.01)
    assert (deliver(seeded, channel).outcome, len(hook.received)) == ("sent", 2)


def test_refused_recipient_is_not_retried(seeded: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    channel = ChannelConfig(name="mail", kind="email", smtp_host="127.0.0.1", smtp_port=port,
                            to=["nobody@refused.example"], attempts=4, backoff_seconds=0.01)
    result = deliver(seeded, channel)
    assert (result.outcome, result.attempts) == ("failed", 1)
    assert inbox.messages == [] and "nobody@refused.example" in (result.error or "")
