"""Deploy to a real scrapyd on loopback: build the egg, addversion.json, schedule ``mofa`` against the
mirror with the database passed as a setting, and find the articles in the database."""

from __future__ import annotations

import configparser
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.mirror.server import MirrorServer
from crawler.syndication import TEXT_RULES
from storage.store import Store

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, data: dict[str, Any] | list[tuple[str, str]] | None = None,
         files: dict[str, bytes] | None = None, timeout: float = 30) -> dict[str, Any]:
    if files:
        boundary = uuid.uuid4().hex
        body = b""
        for key, value in (data or {}).items():  # type: ignore[union-attr]
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
            body += f"{head}{value}\r\n".encode()
        for key, content in files.items():
            head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; filename="{key}.egg"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n")
            body += head.encode() + content + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        content_type = f"multipart/form-data; boundary={boundary}"
        request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    elif data is not None:
        request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode())
    else:
        request = urllib.request.Request(url)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    conf = configparser.ConfigParser()
    conf.read(REPO / "deploy" / "scrapyd.conf")
    conf["scrapyd"].update({"http_port": str(port), "bind_address": "127.0.0.1",
                            "eggs_dir": str(tmp_path / "eggs"), "dbs_dir": str(tmp_path / "dbs"),
                            "logs_dir": str(tmp_path / "logs"), "poll_interval": "0.5"})
    with (tmp_path / "scrapyd.conf").open("w") as f:
        conf.write(f)
    log = (tmp_path / "scrapyd.out").open("w")
    process = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=tmp_path, stdout=log,
                               stderr=subprocess.STDOUT,
                               env={k: v for k, v in os.environ.items() if not k.startswith("TALKWATCH_")})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if call(f"{base}/daemonstatus.json", timeout=2)["status"] == "ok":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("scrapyd did not start:\n" + (tmp_path / "scrapyd.out").read_text())
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def deploy_and_crawl(scrapyd: str, mirror: MirrorServer, tmp_path: Path, *egg_args: str) -> tuple[Store, str]:
    built = subprocess.run([sys.executable, str(REPO / "deploy" / "build_egg.py"), "--out", str(tmp_path),
                            "--version", "r1", *egg_args], check=True, capture_output=True, text=True)
    egg = built.stdout.strip()
    added = call(f"{scrapyd}/addversion.json", {"project": "talkwatch", "version": "r1"},
                 files={"egg": Path(egg).read_bytes()})
    assert added["status"] == "ok", added
    assert added["spiders"] == 4
    spiders = call(f"{scrapyd}/listspiders.json?project=talkwatch")["spiders"]
    assert spiders == ["jiji", "mofa", "nhk", "reuters"]

    db_url = f"sqlite:///{tmp_path / 'deployed.sqlite3'}"
    job = call(f"{scrapyd}/schedule.json", [("project", "talkwatch"), ("spider", "mofa"),
                                            ("setting", f"TALKWATCH_MIRROR_URL={mirror.base_url}"),
                                            ("setting", f"TALKWATCH_DATABASE_URL={db_url}")])
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        jobs = call(f"{scrapyd}/listjobs.json?project=talkwatch")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the scrapyd job did not finish: {jobs}")
    log = next((tmp_path / "logs" / "talkwatch" / "mofa").glob(f"{job['jobid']}.log")).read_text()
    return Store(db_url, rules=TEXT_RULES), log


def check_items(store: Store, log: str) -> None:
    assert "Spider closed (finished)" in log, log[-3000:]
    assert "ERROR" not in log, log[-3000:]
    keys = {a.key for a in _articles(store)}
    wanted = {"mofa:mofaj/na/na1/us/pageit_000001_01515", "mofa:mofaj/a_o/ocn/au/pageit_000001_01522"}
    assert wanted <= keys, log[-3000:]
    assert {f.outlet for f in store.fetches.where()} == {"mofa"}
    # the fetch log has the real URLs; the bytes came from the mirror
    assert any(f.url.startswith("https://www.mofa.go.jp/") for f in store.fetches.where())


@pytest.mark.slow
def test_deploy_thin_egg_and_schedule_mofa(scrapyd: str, mirror: MirrorServer, tmp_path: Path) -> None:
    """The code installed in scrapyd's environment, the egg naming the project and its settings."""
    check_items(*deploy_and_crawl(scrapyd, mirror, tmp_path, "--thin"))


@pytest.mark.slow
def test_deploy_full_egg_and_schedule_mofa(scrapyd: str, mirror: MirrorServer, tmp_path: Path) -> None:
    check_items(*deploy_and_crawl(scrapyd, mirror, tmp_path))


def _articles(store: Store) -> list[Any]:
    from sqlalchemy import select

    from storage.models import Article

    with store.db.session() as s:
        return list(s.scalars(select(Article)))
