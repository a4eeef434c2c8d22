"""Subscriptions and mutes per delivery channel: set on the desk, applied to the channel's report."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from crawler.reports.data import build_report
from crawler.web import subscriptions as subs
from storage.store import Store
from tests.web.helpers import get_ok, thread_id

pytestmark = pytest.mark.slow  # the session's database comes from real crawls

IWAYA_RUBIO = "日米外相会談 2025-01-21"
TARIFFS = "日米関税協議"


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert found, page
    return found.group(1)


def _alert_threads(store: Store, channel: str) -> set[int | None]:
    report, _skipped = subs.narrow_report(store, build_report(store, channel=channel))
    return {a.thread_id for t in report.threads for a in (*t.new, *t.follow_ups)} | \
        {a.thread_id for a in report.changed}


def test_a_channel_without_subscriptions_gets_everything(store: Store) -> None:
    report = build_report(store, channel="web-all")
    narrowed, skipped = subs.narrow_report(store, report)
    assert skipped == [] and narrowed.alert_ids == report.alert_ids


def test_following_only_the_tariff_talks(store: Store) -> None:
    tariffs = thread_id(store, TARIFFS)
    subs.subscribe(store, "web-tariffs", "talk", str(tariffs))
    report = build_report(store, channel="web-tariffs")
    narrowed, skipped = subs.narrow_report(store, report)
    assert _alert_threads(store, "web-tariffs") == {tariffs}
    assert sorted(narrowed.alert_ids + skipped) == sorted(report.alert_ids) and skipped


def test_outlet_and_label_subscriptions(store: Store) -> None:
    subs.subscribe(store, "web-mofa", "outlet", "mofa")
    report, _ = subs.narrow_report(store, build_report(store, channel="web-mofa"))
    outlets = {a.outlet for t in report.threads for a in (*t.new, *t.follow_ups)} | {
        a.outlet for a in report.changed}
    assert outlets == {"mofa"}
    subs.subscribe(store, "web-other", "label", "other")
    assert subs.narrow_report(store, build_report(store, channel="web-other"))[0].alert_ids == []


def test_mute_and_snooze(store: Store) -> None:
    talk = thread_id(store, IWAYA_RUBIO)
    assert talk in _alert_threads(store, "web-muted")
    subs.mute(store, "web-muted", talk)
    assert talk not in _alert_threads(store, "web-muted")
    subs.mute(store, "web-muted", talk, until=subs.utcnow() - timedelta(minutes=1))  # a snooze that ended
    assert talk in _alert_threads(store, "web-muted")
    subs.mute(store, "web-muted", talk, until=subs.utcnow() + timedelta(days=1))
    assert talk not in _alert_threads(store, "web-muted")
    subs.unmute(store, "web-muted", talk)
    assert talk in _alert_threads(store, "web-muted")


def test_follow_and_mute_from_the_talk_page(client: Any, store: Store) -> None:
    talk = thread_id(store, TARIFFS)
    page = get_ok(client, f"/talk/{talk}")
    csrf = _csrf(page)
    done = client.post("/channels/subscribe", data={"csrf": csrf, "channel": "web-desk", "kind": "talk",
                                                    "value": str(talk), "back": f"/talk/{talk}"})
    assert done.status_code == 303 and done.headers["Location"] == f"/talk/{talk}"
    other = thread_id(store, IWAYA_RUBIO)
    done = client.post("/channels/mute", data={"csrf": csrf, "channel": "web-desk", "thread_id": str(other),
                                               "for": "7d"})
    assert done.status_code == 303
    rules = subs.rules(store, "web-desk")
    assert rules.talks == {talk} and other in rules.muted and rules.muted[other] is not None
    channel = get_ok(client, "/channel/web-desk")
    assert f'href="/talk/{talk}">talk {talk}</a>' in channel and "snoozed until" in channel
    assert "web-desk" in get_ok(client, "/channels")


def test_forms_refuse_requests_from_elsewhere(client: Any, store: Store) -> None:
    talk = str(thread_id(store, TARIFFS))
    data = {"channel": "web-evil", "kind": "talk", "value": talk}
    assert client.post("/channels/subscribe", data=data).status_code == 403  # no form token
    data["csrf"] = _csrf(get_ok(client, f"/talk/{talk}"))
    assert client.post("/channels/subscribe", data=data,
                       headers={"Origin": "https://attacker.example"}).status_code == 403
    assert client.post("/channels/subscribe", data=data,
                       headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/channels/subscribe", data={**data, "kind": "sql"}).status_code == 400
    assert client.post("/channels/subscribe", data={**data, "channel": "<b>x</b>"}).status_code == 400
    assert client.get("/channels/subscribe").status_code == 405
    assert subs.rules(store, "web-evil").talks == frozenset()


def test_a_delivery_sends_only_what_the_channel_follows(store: Store, tmp_path: Any) -> None:
    from crawler.service.config import ChannelConfig
    from crawler.service.delivery import deliver

    channel = ChannelConfig(name="tariff-desk", kind="file", path=str(tmp_path / "desk.md"))
    subs.subscribe(store, channel.channel_id, "talk", str(thread_id(store, TARIFFS)))
    assert deliver(store, channel).outcome == "sent"
    sent = (tmp_path / "desk.md").read_text("utf-8")
    assert TARIFFS in sent and IWAYA_RUBIO not in sent
    # what it does not follow is not asked again
    assert store.alerts.undelivered_alerts(channel.channel_id) == []
