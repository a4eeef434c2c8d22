"""Crawl health from the fetch log, and the alarms judged from the run log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from crawler.reports import markdown
from crawler.reports.data import build_report
from crawler.service.config import parse_config
from storage.health import health_of, outlet_alarms, run_health
from storage.store import Store
from storage.tables import service_runs


@pytest.fixture
def hstore(store: Store) -> Store:
    return store


OWN = {"title": "own", "published": "own", "body": "own"}


def test_health_of_a_run() -> None:
    rows = [("robots", "fetched", None, None), ("discovery", "fetched", None, None),
            ("discovery", "blocked", None, "datadome"),
            ("article", "new", OWN, None), ("article", "changed", OWN, None),
            ("article", "unchanged", OWN, None),
            ("article", "not_modified", None, None),
            ("article", "rejected", {"title": "own", "published": "missing", "body": "own"}, "no date"),
            ("article", "rejected", None, "consent page"),  # a consent step: no article at all
            ("article", "error", None, "HTTP 500")]
    h = health_of(rows)
    assert (h.pages, h.blocked, h.errors, h.not_modified) == (10, 1, 1, 1)
    assert (h.items, h.new_versions, h.changed_versions, h.rejected) == (4, 1, 1, 2)
    assert h.parsed == 4  # new, changed, unchanged and the dateless page; the consent page is not an article
    assert h.coverage == {"title": 1.0, "date": 0.75, "body": 1.0}


def test_a_field_a_fallback_rescued_is_not_covered() -> None:
    # a redesign: the outlet's own rules find nothing, JSON-LD / meta / the extractor stand in
    rows = [("article", "new", {"title": "fallback", "published": "own", "body": "fallback"}, None),
            ("article", "unchanged", OWN, None)]
    assert health_of(rows).coverage == {"title": 0.5, "date": 1.0, "body": 0.5}


def _rows(*outcomes: tuple[str, str | None]) -> list[tuple[str, str, None, str | None]]:
    return [("discovery" if i == 0 else "article", outcome, None, reason)
            for i, (outcome, reason) in enumerate(outcomes)]


def test_a_run_with_nothing_fetched_failed() -> None:
    # no network: every request ended in a DNS or connection error
    h = health_of(_rows(("error", "DNSLookupError: no such host"),
                        ("error", "ConnectionRefusedError: refused")))
    assert h.outcome == "failed"
    assert h.error_causes == {"dns": 1, "connection": 1}


def test_only_304s_is_quiet_not_failed() -> None:
    assert health_of(_rows(("not_modified", None), ("not_modified", None))).outcome == "quiet"


def test_some_errors_beside_good_pages_is_degraded() -> None:
    h = health_of(_rows(("fetched", None), ("new", None), ("error", "TimeoutError: took too long")))
    assert (h.outcome, h.error_causes) == ("degraded", {"timeout": 1})


def test_a_storage_failure_fails_the_run_whatever_was_fetched() -> None:
    h = health_of(_rows(("fetched", None), ("new", None)), storage_errors=1)
    assert (h.outcome, h.error_causes) == ("failed", {"storage": 1})


def test_new_articles_and_no_errors_is_ok() -> None:
    assert health_of(_rows(("fetched", None), ("new", None))).outcome == "ok"


def test_run_health_reads_the_fetch_log(hstore: Store) -> None:
    for outcome, fields in (("new", OWN), ("rejected", {**OWN, "body": "missing"}), ("blocked", None)):
        fetch_id = hstore.fetches.record_fetch(run_id="r1", outlet="reuters", url=f"https://x/{outcome}",
                                               role="article", status=200, outcome=outcome)
        if fields:
            hstore.fetches.record_fields(fetch_id, fields)
    hstore.fetches.record_fetch(run_id="other", outlet="reuters", url="https://x/y", role="article",
                                status=200, outcome="new")
    h = run_health(hstore.fetches, "r1")
    assert (h.pages, h.items, h.blocked, h.parsed) == (3, 1, 1, 2)
    assert h.coverage["body"] == 0.5


def _run(store: Store, run_id: str, outlet: str, outcome: str, coverage: float = 1.0, items: int = 5,
         pages: int = 10, blocked: int = 0, age_minutes: float = 0) -> None:
    store.runs.start(run_id, f"crawl:{outlet}", outlet)
    health = {"pages": pages, "items": items, "blocked": blocked, "parsed": items,
              "coverage": {"title": coverage, "date": 1.0, "body": 1.0}}
    store.runs.finish(run_id, outcome, 0, {}, health)
    when = datetime.now(UTC) - timedelta(minutes=age_minutes)
    with store.db.session() as s:
        s.execute(update(service_runs).where(service_runs.c.run_id == run_id)
                  .values(started_at=when, finished_at=when))


def kinds(store: Store, outlet: str, interval: float = 30, **kw: float) -> list[str]:
    return [a.kind for a in outlet_alarms(store.runs, outlet, interval, **kw)]


def test_healthy_outlet_has_no_alarm(hstore: Store) -> None:
    for i in range(4):
        _run(hstore, f"j{i}", "jiji", "ok", age_minutes=30 * (4 - i))
    assert kinds(hstore, "jiji") == []


def test_silent_outlet(hstore: Store) -> None:
    _run(hstore, "a", "nhk", "ok", age_minutes=200)
    _run(hstore, "b", "nhk", "failed", age_minutes=20)
    assert "silent" in kinds(hstore, "nhk", interval=30, silent_intervals=3)
    assert "silent" not in kinds(hstore, "nhk", interval=30, silent_intervals=10)


def test_zero_items(hstore: Store) -> None:
    _run(hstore, "a", "mofa", "ok", items=0, age_minutes=1)
    assert kinds(hstore, "mofa") == ["zero_items"]


def test_coverage_drop_after_redesign(hstore: Store) -> None:
    for i in range(5):
        _run(hstore, f"j{i}", "jiji", "ok", coverage=1.0, age_minutes=30 * (6 - i))
    _run(hstore, "after", "jiji", "ok", coverage=0.4, age_minutes=1)
    alarms = outlet_alarms(hstore.runs, "jiji", 30)
    assert [a.kind for a in alarms] == ["coverage_drop"]
    assert "title found on 40% of article pages, usually 100%" in alarms[0].message
    _run(hstore, "slight", "jiji", "ok", coverage=0.9, age_minutes=0)
    assert kinds(hstore, "jiji") == []


def test_blocked_ratio(hstore: Store) -> None:
    _run(hstore, "a", "reuters", "ok", pages=10, blocked=8, age_minutes=1)
    assert "blocked" in kinds(hstore, "reuters", blocked_ratio=0.5)
    assert "blocked" not in kinds(hstore, "reuters", blocked_ratio=0.9)


def test_alarms_and_health_in_the_report(hstore: Store) -> None:
    _run(hstore, "a", "mofa", "ok", items=0, age_minutes=1)
    config = parse_config({"outlets": {name: {"enabled": name == "mofa"} for name in
                                       ("jiji", "nhk", "reuters", "mofa")}})
    report = build_report(hstore, config=config)
    assert [a.kind for a in report.alarms] == ["zero_items"]
    assert [h.outlet for h in report.health] == ["mofa"] and report.health[0].health is not None
    text = markdown.render(report)
    assert "## Crawl alarms" in text and "**zero_items**" in text and "| mofa |" in text
