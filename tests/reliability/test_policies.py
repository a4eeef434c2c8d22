"""The crawl's policies as pure functions: Retry-After, redirects, charsets, secrets, error messages."""

from __future__ import annotations

import errno
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError

from crawler.errors import describe_error
from crawler.middlewares.charset import sniff_japanese
from crawler.middlewares.redirects import redirect_refusal
from crawler.middlewares.retry import retry_after_seconds
from crawler.secrets import mask_secrets

ARTICLE = "https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html"
TEXT = "岩屋外務大臣は、ルビオ国務長官と会談し、日米同盟の抑止力・対処力を強化することで一致しました。"


@pytest.mark.parametrize("value, seconds", [
    (b"1", 1.0), ("120", 120.0), (None, None), (b"", None), (b"soon", None),
    ("Wed, 06 Aug 2025 12:00:30 GMT", 30.0), ("Wed, 06 Aug 2025 11:00:00 GMT", 0.0),
])
def test_retry_after_seconds(value, seconds) -> None:  # type: ignore[no-untyped-def]
    assert retry_after_seconds(value, now=datetime(2025, 8, 6, 12, 0, tzinfo=UTC)) == seconds


def test_article_redirect_to_another_host_is_refused() -> None:
    reason = redirect_refusal(ARTICLE, "https://evil.example.net/x.html", [], "article", 5)
    assert reason and "evil.example.net" in reason


def test_article_redirect_within_the_outlet_is_followed() -> None:
    assert redirect_refusal(ARTICLE, "https://mofa.go.jp/mofaj/x.html", [], "article", 5) is None
    assert redirect_refusal(ARTICLE, ARTICLE.replace("01515", "01516"), [], "article", 5) is None


def test_discovery_may_not_move_to_another_host() -> None:
    reason = redirect_refusal(ARTICLE, "https://feeds.example.net/rss.xml", [], "discovery", 5)
    assert reason == "off-site redirect of a discovery document to feeds.example.net not followed"


def test_discovery_may_move_between_the_outlets_hosts() -> None:
    moved = "https://mofa.go.jp/mofaj/press/release/index.html"
    assert redirect_refusal(ARTICLE, moved, [], "discovery", 5) is None


def test_redirect_loop_is_refused() -> None:
    assert "loop" in (redirect_refusal(ARTICLE + "?a=1", ARTICLE, [ARTICLE], "article", 5) or "")
    assert "loop" in (redirect_refusal(ARTICLE, ARTICLE, [], "discovery", 5) or "")


def test_too_many_redirects_and_odd_schemes_are_refused() -> None:
    chain = [f"{ARTICLE}?hop={n}" for n in range(5)]
    assert "more than 5" in (redirect_refusal(ARTICLE, ARTICLE + "?next", chain, "article", 5) or "")
    assert redirect_refusal(ARTICLE, "javascript:alert(1)", [], "article", 5)


@pytest.mark.parametrize("encoding", ["shift_jis", "cp932", "euc_jp"])
def test_sniffs_japanese_legacy_encodings(encoding: str) -> None:
    body = f"<html><body><p>{TEXT}</p></body></html>".encode(encoding)
    assert body.decode(sniff_japanese(body) or "ascii", errors="replace") == body.decode(encoding)


def test_sniff_gives_up_on_noise() -> None:
    assert sniff_japanese(bytes(range(0x80, 0x100)) * 3) is None


@pytest.mark.parametrize("text, masked", [
    ("postgresql+psycopg://talk:s3cr3t@db:5432/tw", "postgresql+psycopg://talk:***@db:5432/tw"),
    ("connect to https://user:pa55@host/x failed", "connect to https://user:***@host/x failed"),
    ("https://api.example/x?token=abc123&q=1", "https://api.example/x?token=***&q=1"),
    ("sqlite:///var/talkwatch.sqlite3", "sqlite:///var/talkwatch.sqlite3"),
])
def test_secrets_are_masked(text: str, masked: str) -> None:
    assert mask_secrets(text) == masked


def _operational(message: str) -> OperationalError:
    return OperationalError("INSERT ...", {}, sqlite3.OperationalError(message))


def test_read_only_database_message_names_the_fix() -> None:
    message = describe_error(_operational("attempt to write a readonly database"))
    assert "read-only" in message and "--db" in message and "Traceback" not in message


def test_full_database_message() -> None:
    assert "disk is full" in describe_error(_operational("database or disk is full"))


def test_full_disk_message() -> None:
    error = OSError(errno.ENOSPC, "No space left on device", "/var/report.md")
    message = describe_error(error)
    assert message == "no space left on the device for /var/report.md; free space or write elsewhere"


def test_unreachable_server_message_masks_the_password() -> None:
    message = describe_error(_operational("connection to postgresql://tw:hunter2@db:5432 refused"))
    assert "hunter2" not in message and "is it running?" in message
