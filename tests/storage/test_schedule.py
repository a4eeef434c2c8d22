"""The revisit schedule, driven from the database, with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.syndication import TEXT_RULES
from storage.schedule import RevisitSchedule, as_utc, visits
from storage.store import Store
from tests.storage.helpers import STORY, text

PUBLISHED = datetime(2025, 1, 21, 3, 0, tzinfo=UTC)  # 12:00 JST


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(PUBLISHED + timedelta(minutes=5))


@pytest.fixture
def timed_store(db_url: str, clock: Clock, store: Store) -> Store:
    timed = Store(db_url, clock=clock, rules=TEXT_RULES)
    yield timed
    timed.db.dispose()


def test_default_schedule_decays():
    steps = visits(RevisitSchedule(), PUBLISHED)
    gaps = [b - a for a, b in zip([PUBLISHED, *steps], steps, strict=False)]
    assert gaps[:12] == [timedelta(minutes=15)] * 12  # the first 3 hours
    assert timedelta(hours=1) in gaps and timedelta(days=1) in gaps
    assert steps[-1] - PUBLISHED <= timedelta(days=30, hours=24)


def test_schedule_stops_after_the_last_step():
    assert RevisitSchedule().next_visit(PUBLISHED, PUBLISHED + timedelta(days=31)) is None


def test_schedule_is_configurable():
    schedule = RevisitSchedule.parse("1h:5m,2d:6h")
    half_hour = PUBLISHED + timedelta(minutes=30)
    assert schedule.next_visit(PUBLISHED, half_hour) == half_hour + timedelta(minutes=5)
    assert schedule.next_visit(PUBLISHED, PUBLISHED + timedelta(hours=2)) == PUBLISHED + timedelta(hours=8)
    assert schedule.next_visit(PUBLISHED, PUBLISHED + timedelta(days=3)) is None


def test_schedule_from_env(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TALKWATCH_REVISIT_SCHEDULE", "2h:10m")
    assert RevisitSchedule.from_env().steps == ((timedelta(hours=2), timedelta(minutes=10)),)


@pytest.mark.parametrize("spec", ["3h", "3x:15m", "1d:1h,3h:15m"])
def test_bad_schedule_is_refused(spec: str):
    with pytest.raises(ValueError):
        RevisitSchedule.parse(spec)


def test_save_sets_the_next_visit(timed_store: Store, clock: Clock):
    timed_store.articles.save_version(text(STORY))
    article = timed_store.articles.article("mofa:pageit_000001_01515")
    assert as_utc(article.next_visit_at) == clock.now + timedelta(minutes=15)


def test_nothing_is_due_before_its_time(timed_store: Store, clock: Clock):
    timed_store.articles.save_version(text(STORY))
    clock.now += timedelta(minutes=10)
    assert timed_store.articles.claim_due("mofa") == []


def test_due_article_is_claimed_once_and_rescheduled(timed_store: Store, clock: Clock):
    timed_store.articles.save_version(text(STORY))
    clock.now = PUBLISHED + timedelta(hours=5)
    assert timed_store.articles.due_counts() == {"mofa": 1}
    [due] = timed_store.articles.claim_due("mofa")
    assert due.key == "mofa:pageit_000001_01515"
    assert due.url == "https://example.test/mofa/pageit_000001_01515"  # where the version was fetched
    assert timed_store.articles.claim_due("mofa") == []  # a second crawl at the same moment gets nothing
    article = timed_store.articles.article(due.key)
    assert as_utc(article.next_visit_at) == clock.now + timedelta(hours=1)  # 5 h old: hourly


def test_unchanged_visit_moves_the_schedule(timed_store: Store, clock: Clock):
    timed_store.articles.save_version(text(STORY))
    clock.now = PUBLISHED + timedelta(days=2)
    assert timed_store.articles.save_version(text(STORY)).status == "unchanged"
    article = timed_store.articles.article("mofa:pageit_000001_01515")
    assert as_utc(article.next_visit_at) == clock.now + timedelta(days=1)


def test_old_articles_are_not_revisited(timed_store: Store, clock: Clock):
    clock.now = PUBLISHED + timedelta(days=40)
    timed_store.articles.save_version(text(STORY))
    assert timed_store.articles.article("mofa:pageit_000001_01515").next_visit_at is None
    clock.now += timedelta(days=400)
    assert timed_store.articles.claim_due("mofa") == []


def test_claim_is_per_outlet(timed_store: Store, clock: Clock):
    timed_store.articles.save_version(text(STORY))
    timed_store.articles.save_version(text(STORY, outlet="jiji", key="2025012100921"))
    clock.now = PUBLISHED + timedelta(hours=1)
    assert [d.key for d in timed_store.articles.claim_due("jiji")] == ["jiji:2025012100921"]
    assert timed_store.articles.due_counts() == {"mofa": 1}
