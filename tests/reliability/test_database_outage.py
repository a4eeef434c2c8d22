"""A short PostgreSQL outage in the middle of a crawl: the connection between the crawl and the server
goes through a loopback proxy that is cut for 0.2–0.8 s and restored, at several points of a state-1 then
state-2 mirror crawl of jiji and MOFA (``talkwatch crawl``, as an operator runs it).

What must hold: a crawl that met the outage says so (its run is recorded ``failed``, ``talkwatch crawl``
exits non-zero) unless it stored everything anyway, and after the next crawl the database equals a clean
run's (articles, versions, alerts, threads): nothing lost, nothing doubled.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from crawler.mirror.server import MirrorServer
from storage.migrate import ensure_schema
from storage.store import Store
from storage.tables import service_runs
from tests.reliability.databases import POSTGRES_URL, render, scratch_postgres
from tests.reliability.proxy import TcpProxy
from tests.reliability.sites import database_contents
from tests.support import REPO_ROOT

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not POSTGRES_URL, reason="TALKWATCH_TEST_DATABASE_URL is not set")]
OUTLETS = ("jiji", "mofa")


def _crawl(db_url: str, mirror: MirrorServer, state: int) -> subprocess.CompletedProcess[str]:
    mirror.state = state
    return subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", *OUTLETS, "--db", db_url,
                           "--mirror", mirror.base_url], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300)


def _runs(db_url: str) -> list[tuple[str, str]]:
    store = Store(db_url)
    try:
        with store.db.session() as s:
            query = select(service_runs.c.outlet, service_runs.c.outcome).order_by(service_runs.c.id)
            return [(r.outlet, r.outcome) for r in s.execute(query)]
    finally:
        store.db.dispose()


@pytest.fixture(scope="module")
def mirror() -> Iterator[MirrorServer]:
    server = MirrorServer()
    server.start_in_thread()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def clean(mirror: MirrorServer) -> list[dict[str, list[tuple[object, ...]]]]:
    """A clean run's contents after state 1 and after state 2."""
    with scratch_postgres("clean") as url:
        ensure_schema(Store(render(url)).db.engine)
        steps = []
        for state in (1, 2):
            done = _crawl(render(url), mirror, state)
            assert done.returncode == 0, done.stdout + done.stderr
            steps.append(database_contents(render(url)))
    return steps


# where the outage starts: after this many client chunks (about one statement each) of a crawl of
# ~200–250, and for how long
CUTS = [(15, 0.2), (80, 0.5), (150, 0.8)]
# A connection cut inside a transaction leaves its server session "idle in transaction", holding the row
# locks the next crawl waits on, until the server ends it (storage/db.py sets 1 minute; a URL's own
# ``options`` take its place, so the crawls through the proxy wait 2 s instead)
SHORT_IDLE_IN_TRANSACTION = {"options": "-c idle_in_transaction_session_timeout=2000"}


@pytest.mark.parametrize(("chunks", "seconds"), CUTS, ids=[f"after{c}-{s}s" for c, s in CUTS])
def test_a_short_outage_loses_nothing(mirror: MirrorServer, clean: list[dict[str, list[tuple[object, ...]]]],
                                      chunks: int, seconds: float):
    with scratch_postgres("outage") as url:
        direct = render(url)
        ensure_schema(Store(direct).db.engine)
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
        through = render(url.set(host="127.0.0.1", port=proxy.port, query=SHORT_IDLE_IN_TRANSACTION))
        try:
            for state, expected in zip((1, 2), clean, strict=True):
                proxy.restore()
                seen_runs = len(_runs(direct))
                proxy.cut_after(chunks, seconds)
                hit = _crawl(through, mirror, state)
                assert proxy.cuts, "the outage was never armed: the crawl sent fewer chunks than expected"
                proxy.cuts.clear()
                proxy.cut_after(10**9, 0)  # disarmed
                runs = _runs(direct)[seen_runs:]
                failed = [outlet for outlet, outcome in runs if outcome == "failed"]
                told = hit.stdout + hit.stderr
                if database_contents(direct) != expected:
                    # something is missing after this crawl: it must say so
                    assert hit.returncode != 0, told
                    assert failed or len(runs) < len(OUTLETS), (runs, told)
                else:
                    assert hit.returncode == (1 if failed else 0), (runs, told)
                assert all(outcome != "running" for _, outcome in runs), runs
                again = _crawl(through, mirror, state)  # the next crawl, the database reachable
                assert again.returncode == 0, again.stdout + again.stderr
                assert database_contents(direct) == expected
        finally:
            proxy.close()
