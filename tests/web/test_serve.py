"""``talkwatch serve`` as a user runs it: one command, the demo's database, a browser's first request."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.web.data import DemoData

pytestmark = pytest.mark.slow  # the session's database comes from real crawls


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1)
        if ready:
            line = process.stdout.readline()
            if "talkwatch desk on" in line:
                return process, line.split("desk on ", 1)[1].split()[0]
            if not line and process.poll() is not None:
                break
    process.kill()
    raise AssertionError("talkwatch serve did not start")


def test_serve_answers_on_the_loopback(sqlite_demo: DemoData) -> None:
    port = _free_port()
    process, url = _serve("--db", sqlite_demo.url, "--port", str(port))
    try:
        assert url == f"http://127.0.0.1:{port}/"  # printed once bound: it answers at once
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode("utf-8")
            assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "日米外相会談 2025-01-21" in body
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_with_a_token(sqlite_demo: DemoData) -> None:
    process, url = _serve("--db", sqlite_demo.url, "--port", "0", "--token", "generate")  # a free port
    try:
        port = int(url.split(":")[2].split("/")[0])
        token = url.split("?token=", 1)[1]
        assert len(token) >= 16
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
        assert refused.value.code == 401
        request = urllib.request.Request(f"http://127.0.0.1:{port}/edits",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
