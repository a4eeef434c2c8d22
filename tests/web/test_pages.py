"""The dashboard's pages, through Flask's test client, on a database a real crawl of the mirror built
(SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from storage.store import Store
from tests.web.helpers import article_id, get_ok, text_of, thread_id

pytestmark = pytest.mark.slow  # the session's database comes from real crawls

READOUT = "mofa:mofaj/na/na1/us/pageit_000001_01515"
ENGLISH_READOUT = "mofa:na/na1/us/pageite_000001_00768"
IWAYA_RUBIO = "日米外相会談 2025-01-21"
G7 = "日米外相会談 2025-03-13"


def test_home_lists_talks_newest_report_first(client: Any) -> None:
    page = get_ok(client, "/")
    titles = re.findall(r'<h2><a href="/talk/\d+">([^<]+)</a></h2>', page)
    assert titles[0].startswith("日米外相会談 2025-10-28"), titles
    assert titles.index(next(t for t in titles if t.startswith(IWAYA_RUBIO))) > titles.index(
        next(t for t in titles if t.startswith(G7)))


def test_home_row_says_who_met_where_and_what_reported_it(client: Any, store: Store) -> None:
    page = get_ok(client, "/")
    tid = thread_id(store, IWAYA_RUBIO)
    row = text_of(page.split(f'data-thread="{tid}"')[1].split("</li>")[0])
    assert "岩屋・ルビオ" in row and "日米外相会談" in row and "2025-01-21" in row
    assert "Washington" in row or "ワシントン" in row
    assert "外務省 MOFA" in row and "時事通信 Jiji Press" in row  # display names, not codes
    assert "Official readout yes" in row
    assert re.search(r"Last edit seen \d{4}-\d\d-\d\d \d\d:\d\d \+09:00", row), row
    reports = re.search(r"Reports (\d+)", row)
    assert reports and reports.group(1) == "4"


@pytest.mark.parametrize(("query", "present", "absent"), [
    # NHK reports the 茂木–ルビオ talks and the 赤沢–ラトニック trade talks, not the 赤沢–ベッセント ones
    ("outlet=nhk", ["2025-10-28 茂木", "赤沢–ラトニック"], [IWAYA_RUBIO, "赤沢–ベッセント"]),
    ("pair=akazawa%2Bbessent", ["日米関税協議"], [IWAYA_RUBIO, "2025-10-28 茂木"]),
    ("type=economic_2plus2", ["日米経済版2+2"], [IWAYA_RUBIO]),
    ("edited=1", [IWAYA_RUBIO, "日米関税協議"], [G7, "日米経済版2+2"]),
    ("since=2025-03-01&until=2025-04-30", [G7, "日米関税協議"], [IWAYA_RUBIO, "2025-10-28"]),
    ("label=ministerial&outlet=mofa", [IWAYA_RUBIO], [G7]),
])
def test_home_filters(client: Any, query: str, present: list[str], absent: list[str]) -> None:
    titles = " | ".join(re.findall(r'<h2><a href="/talk/\d+">([^<]+)</a></h2>', get_ok(client, f"/?{query}")))
    for title in present:
        assert title in titles, (query, titles)
    for title in absent:
        assert title not in titles, (query, titles)


def test_talks_by_latest_edit(client: Any) -> None:
    titles = re.findall(r'<h2><a href="/talk/\d+">([^<]+)</a></h2>', get_ok(client, "/?sort=edit"))
    assert titles and all("日米経済版2+2" not in t and "2025-03-13" not in t for t in titles)  # no edits
    assert any(t.startswith(IWAYA_RUBIO) for t in titles)
    assert '<option value="edit" selected>' in get_ok(client, "/?sort=edit")


def test_filter_form_keeps_its_values_and_unknown_values_are_dropped(client: Any) -> None:
    page = get_ok(client, "/?outlet=nhk&type=x%27%20OR%201%3D1&since=yesterday")
    assert '<option value="nhk" selected>' in page
    assert get_ok(client, "/?pair=%25") == get_ok(client, "/")


def test_talk_timeline_in_published_order_with_roles(client: Any, store: Store) -> None:
    page = get_ok(client, f"/talk/{thread_id(store, IWAYA_RUBIO)}")
    timeline = page.split('id="timeline"')[1]
    keys = re.findall(r'data-key="([^"]+)"', timeline)
    assert keys[:2] == [ENGLISH_READOUT, READOUT] or \
        set(keys[:2]) == {ENGLISH_READOUT, READOUT}
    assert keys.index("jiji:2025012100921") < keys.index("mofa:mofaj/na/na1/us/pageit_000001_01530")
    text = text_of(timeline)
    assert "official readout" in text and "follow-up" in text and "first seen" in text
    assert "時事通信 Jiji Press" in text and "2 versions" in text


def test_talk_shows_official_readouts_side_by_side_at_the_top(client: Any, store: Store) -> None:
    page = get_ok(client, f"/talk/{thread_id(store, IWAYA_RUBIO)}")
    assert page.index('id="readouts"') < page.index('id="timeline"')
    readouts = page.split('id="readouts"')[1].split('id="timeline"')[0]
    assert readouts.count('<article class="readout"') == 3
    assert "Japan-U.S. Foreign Ministers&#39; Meeting" in readouts and "日米外相会談" in readouts


def test_talk_folds_the_flash_under_its_full_story(client: Any, store: Store) -> None:
    page = get_ok(client, f"/talk/{thread_id(store, G7)}")
    folded = page.split('<details class="folded">')
    assert len(folded) == 2
    assert 'data-key="jiji:2025031300148"' in folded[1] and "速報" in folded[1]


def test_mofa_dates_are_dates_and_times_are_jst(client: Any, store: Store) -> None:
    page = text_of(get_ok(client, f"/article/{article_id(store, READOUT)}"))
    assert "Published 2025-01-21 " in page and "2025-01-21 00:00" not in page
    jiji = text_of(get_ok(client, f"/article/{article_id(store, 'jiji:2025012100921')}"))
    assert "Published 2025-01-22 00:13 +09:00" in jiji
    reuters = text_of(get_ok(client, f"/article/{article_id(store, 'reuters:Q7XKZMZTN5LRBVJ4WHCA3DPEYU')}"))
    assert "Published 2025-04-17 10:35 +09:00" in reuters  # stored as 01:35Z


def test_article_versions_and_inline_diff(client: Any, store: Store) -> None:
    aid = article_id(store, "jiji:2025012100921")
    page = get_ok(client, f"/article/{aid}")
    versions = text_of(page.split('id="versions"')[1].split('id="compare"')[0])
    assert re.search(r"1 \d{4}-\d\d-\d\d \d\d:\d\d \+09:00 .* first", versions)
    assert "body" in versions and "silent" in versions
    diff = page.split('id="diff"')[1]
    assert "<ins>" in diff and "首脳会談の早期実現へ調整" in text_of(diff)


def test_article_side_by_side_between_any_two_versions(client: Any, store: Store) -> None:
    aid = article_id(store, READOUT)
    page = get_ok(client, f"/article/{aid}?a=2&b=1&view=side")
    assert 'class="diff old"' in page and 'class="diff new"' in page
    assert "Version 2 → 1" in text_of(page)
    assert get_ok(client, f"/article/{aid}?a=1&b=1").count('id="diff"') == 0
    assert client.get(f"/article/{aid}?a=1&b=9").status_code == 404


def test_article_says_which_terms_fired(client: Any, store: Store) -> None:
    page = text_of(get_ok(client, f"/article/{article_id(store, READOUT)}"))
    assert "ministerial" in page and "日米外相会談" in page and "ルビオ長官" in page
    assert "flagged:" in page


def test_raw_snapshot_is_framed_sandboxed_and_inert(client: Any, store: Store) -> None:
    aid = article_id(store, "jiji:2025012100921")
    page = get_ok(client, f"/article/{aid}?raw=1")
    frame = re.search(r'<iframe class="snapshot" sandbox="" [^>]*src="(/snapshot/[0-9a-f]{64})"', page)
    assert frame, page
    raw = client.get(frame.group(1))
    assert raw.status_code == 200 and raw.headers["Content-Security-Policy"].startswith("sandbox;")
    assert "default-src 'none'" in raw.headers["Content-Security-Policy"]
    as_text = client.get(frame.group(1) + "?as=text")
    assert as_text.headers["Content-Type"].startswith("text/plain")
    assert client.get("/snapshot/../../etc/passwd").status_code == 404
    assert client.get("/snapshot/" + "0" * 64).status_code == 404


def test_edits_newest_first_with_diff_and_silent_marks(client: Any) -> None:
    page = get_ok(client, "/edits")
    keys = re.findall(r'<article class="edit" data-key="([^"]+)"', page)
    assert keys[0] == "reuters:EVIL123"  # stored last
    assert {"jiji:2025012100921", READOUT, "nhk:k10014920011000"} <= set(keys)
    nhk = page.split('data-key="nhk:k10014920011000"')[1].split("</article>")[0]
    assert "correction" in nhk and "silent" not in nhk  # the NHK edit carries a correction note
    jiji = page.split('data-key="jiji:2025012100921"')[1].split("</article>")[0]
    assert "silent" in jiji and "<ins>" in jiji
    only_nhk = get_ok(client, "/edits?outlet=nhk")
    assert re.findall(r'data-key="([^"]+)"', only_nhk) == ["nhk:k10014920011000"]


def test_health_page(client: Any) -> None:
    page = text_of(get_ok(client, "/health"))
    for name in ("外務省 MOFA", "時事通信 Jiji Press", "NHK", "ロイター Reuters"):
        assert name in page
    assert "blocked" in page and "datadome" in page.lower()


@pytest.mark.parametrize(("q", "key"), [
    ("ルビオ米国国務長官", READOUT),  # a Japanese substring (no word boundaries)
    ("関税", "reuters:Q7XKZMZTN5LRBVJ4WHCA3DPEYU"),  # two characters: below the trigram length
    ("rubio", ENGLISH_READOUT),  # English, whatever the case
    ("G7", "jiji:2025031300352"),  # typed half-width, printed Ｇ７
    ("同盟強化 岩屋", "jiji:2025012100921"),  # every word must appear
])
def test_search(client: Any, q: str, key: str) -> None:
    page = get_ok(client, f"/search?q={q}")
    assert f'data-key="{key}"' in page, (q, text_of(page)[:800])
    assert "<mark>" in page


def test_search_with_filters(client: Any) -> None:
    page = get_ok(client, "/search?q=ルビオ&outlet=nhk")
    keys = set(re.findall(r'<li class="hit" data-key="([^"]+)"', page))
    assert keys and all(k.startswith("nhk:") for k in keys)
    assert "data-key" not in get_ok(client, "/search?q=存在しない語句")


def test_atom_feed_per_talk_and_per_filter(client: Any, store: Store) -> None:
    ns = {"a": "http://www.w3.org/2005/Atom"}
    response = client.get(f"/talk/{thread_id(store, IWAYA_RUBIO)}/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    entries = ET.fromstring(response.data).findall("a:entry", ns)
    titles = [e.findtext("a:title", default="", namespaces=ns) for e in entries]
    assert any(t.startswith("Changed (body)") for t in titles) and any(t.startswith("New:") for t in titles)
    assert len({e.findtext("a:id", namespaces=ns) for e in entries}) == len(entries)
    nhk = ET.fromstring(client.get("/feed.atom?outlet=nhk").data).findall("a:entry", ns)
    alternates = [[link.get("href", "") for link in e.findall("a:link", ns) if link.get("rel", "alternate")
                   == "alternate"] for e in nhk]
    assert nhk and all(len(hrefs) == 1 and "/article/" in hrefs[0] for hrefs in alternates)
    assert len(nhk) < len(ET.fromstring(client.get("/feed.atom").data).findall("a:entry", ns))


def test_unknown_things_are_404(client: Any) -> None:
    for path in ("/talk/999999", "/article/999999", "/talk/999999/feed.atom", "/nothing"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Content-Security-Policy" in response.headers
