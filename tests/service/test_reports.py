"""Reports in every format over a seeded store: grouping, escaping, diffs, copies, since / per-channel."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from crawler.cli import main
from crawler.cli.report import write_report
from crawler.reports import atom, html, jsondoc, markdown
from crawler.reports.data import build_report
from crawler.syndication import TEXT_RULES
from storage.models import Alert
from storage.store import Store
from tests.service.helpers import EVIL_URL, SCRIPT_TITLE, seed

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)
    return store


def test_grouped_by_thread(seeded: Store) -> None:
    report = build_report(seeded)
    talks = next(t for t in report.threads if t.title.startswith("岩屋・ルビオ"))
    assert [a.outlet for a in talks.new] == ["jiji", "mofa"]
    assert [a.outlet for a in talks.follow_ups] == ["nhk"]
    assert [(a.outlet, a.change_kind, a.version_seq) for a in report.changed] == [("mofa", "body", 2)]
    assert report.counts == {"new": 3, "follow_up": 1, "changed": 1, "alarms": 0}


def test_markdown_has_sections_and_diff(seeded: Store) -> None:
    text = markdown.render(build_report(seeded))
    assert "## New talks" in text and "## Follow-ups" in text and "## Changed articles" in text
    assert "{+6+}" in text and "[-5+}" not in text  # 約50分 → 約60分 at character level
    assert "[-5-]" in text
    assert "official readout" in text


def test_html_escapes_outlet_text(seeded: Store) -> None:
    page = html.render(build_report(seeded))
    assert "<script>" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; thread" in page  # thread titles come from articles too


def test_html_links_only_http(seeded: Store) -> None:
    page = html.render(build_report(seeded))
    assert 'href="javascript' not in page.lower()
    assert 'href="https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html"' in page


def test_html_inline_diff(seeded: Store) -> None:
    page = html.render(build_report(seeded))
    assert "<ins>6</ins>" in page and "<del>5</del>" in page
    assert "<ins>両外相は北朝鮮の核・ミサイル問題についても意見交換を行った。</ins>" in page
    assert 'class="change-kind">body<' in page


def test_html_is_self_contained(seeded: Store) -> None:
    page = html.render(build_report(seeded))
    assert "<link" not in page and "src=" not in page and "@import" not in page
    assert "Content-Security-Policy" in page


def test_copies_shown_as_copies(seeded: Store) -> None:
    report = build_report(seeded)
    talks = next(t for t in report.threads if t.title.startswith("岩屋・ルビオ"))
    talks.new[0] = replace(talks.new[0], copy_of="kyodo:abc")
    assert "copy of kyodo:abc" in markdown.render(report)
    assert '<span class="mark copy">copy of kyodo:abc</span>' in html.render(report)
    assert jsondoc.to_data(report)["threads"][0]["new"][0]["copy_of"] == "kyodo:abc"


def test_json_schema(seeded: Store) -> None:
    data = json.loads(jsondoc.render(build_report(seeded)))
    assert data["schema"] == "talkwatch-report/1"
    assert data["counts"] == {"new": 3, "follow_up": 1, "changed": 1, "alarms": 0}
    changed = data["changed"][0]
    assert changed["change"]["kind"] == "body" and changed["change"]["chars_added"] > 0
    assert {op["op"] for op in changed["change"]["diff"]["body"]} >= {"replace", "insert"}
    article = data["threads"][0]["new"][0]
    assert set(article) == {"alert_id", "kind", "alerted_at", "key", "outlet", "url", "title", "published",
                            "label", "explanation", "thread_id", "thread_title", "role", "copy_of",
                            "body_complete", "version", "change"}
    assert article["change"] is None
    assert datetime.fromisoformat(data["generated_at"]).tzinfo is not None
    assert sorted(h["outlet"] for h in data["health"]) == ["jiji", "mofa", "nhk", "reuters"]


def test_atom_feed(seeded: Store) -> None:
    root = ET.fromstring(atom.render(build_report(seeded)).encode())
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 5
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert f"New: {SCRIPT_TITLE}" in titles  # text, escaped by the XML writer, not markup
    assert any(t.startswith("Changed (body): 日米外相会談") for t in titles)
    ids = {e.findtext(f"{ATOM}id") for e in entries}
    assert len(ids) == 5 and all(i.startswith("tag:talkwatch,2025:alert/") for i in ids)
    hrefs = [link.get("href") for e in entries for link in e.findall(f"{ATOM}link")]
    assert EVIL_URL not in hrefs
    assert "https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html" in hrefs


def test_same_alert_never_twice_to_a_channel(seeded: Store, tmp_path: Path) -> None:
    write_report(seeded, tmp_path / "a.md", channel="desk")
    assert build_report(seeded, channel="desk").is_empty
    assert build_report(seeded, channel="other").counts["new"] == 3  # another channel still gets them
    write_report(seeded, tmp_path / "b.md", channel="desk")
    assert "Nothing new" in (tmp_path / "b.md").read_text("utf-8")


def test_since(seeded: Store) -> None:
    old = datetime.now(UTC) - timedelta(days=3)
    with seeded.db.session() as s:
        s.execute(update(Alert).where(Alert.kind != "changed").values(created_at=old))
    report = build_report(seeded, since=datetime.now(UTC) - timedelta(days=1))
    assert report.counts == {"new": 0, "follow_up": 0, "changed": 1, "alarms": 0}


def test_cli_formats(seeded: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", seeded.db.url, "--format", "json", "--out", "-", "--channel", "cli"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["new"] == 3
    out = tmp_path / "r.html"
    assert main(["report", "--db", seeded.db.url, "--out", str(out), "--channel", "cli2"]) == 0
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert main(["report", "--db", seeded.db.url, "--format", "atom", "--out", str(tmp_path / "f.xml"),
                    "--since", "2000-01-01"]) == 0
    assert ET.parse(tmp_path / "f.xml").getroot().tag == f"{ATOM}feed"


def test_markdown_and_text_are_inert_without_a_browser(sqlite_url: str) -> None:
    """The Chromium test (test_inert_outputs.py) in short, for machines without Chromium."""
    from apprise.conversion.format import markdown_to_html

    from crawler.reports import text
    from tests.service.test_inert_outputs import HOSTILE, seed_hostile

    store = Store(sqlite_url, rules=TEXT_RULES)
    store.db.create_schema()
    seed_hostile(store)
    report = build_report(store)
    import lxml.html

    md = markdown.render(report)
    tree = lxml.html.fromstring(markdown_to_html(md))
    assert tree.xpath("//script|//img|//iframe|//a[not(starts-with(@href, 'http'))]") == []
    assert [a for el in tree.iter() for a in el.attrib if a.lower().startswith("on")] == []
    assert not any("phish.invalid" in href for href in tree.xpath("//a/@href"))
    headings = [h.text_content().strip() for h in tree.xpath("//h1|//h2|//h3|//li|//blockquote")]
    assert not any(h.startswith(("Crawl alarms", "FORGED")) for h in headings), headings
    assert not any(line.lstrip("#- >").startswith(("Crawl alarms", "FORGED")) for line in md.splitlines())
    for body in (text.render(report), text.render_chat(report)):
        starts = [line.lstrip("#-* >") for line in body.splitlines()]
        assert not any(line.startswith(("Crawl alarms", "FORGED")) for line in starts)
        assert "javascript:window.__pwned=5" not in body  # the article's javascript: URL is never printed
    assert "[login](https" not in text.render_chat(report) and "@channel" not in text.render_chat(report)
    assert HOSTILE.split("\n")[0] in json.loads(jsondoc.render(report))["threads"][0]["new"][0]["title"]
    store.db.dispose()


def test_times_follow_the_desks_conventions(seeded: Store) -> None:
    text = markdown.render(build_report(seeded))
    assert "2025-01-22 07:00 +09:00" in text  # an outlet's time, in JST with its offset
    assert re.search(r"^# talkwatch report — \d{4}-\d{2}-\d{2} \d{2}:\d{2} \+09:00$", text, re.MULTILINE)


def test_a_mofa_date_only_page_is_shown_as_a_date() -> None:
    from types import SimpleNamespace

    from crawler.reports.common import published_text

    mofa = SimpleNamespace(outlet="mofa", published="2025-01-21T00:00:00+09:00")
    jiji = SimpleNamespace(outlet="jiji", published="2025-01-21T00:00:00+09:00")
    assert published_text(mofa) == "2025-01-21"
    assert published_text(jiji) == "2025-01-21 00:00 +09:00"  # a news wire's midnight is a time
    assert published_text(SimpleNamespace(outlet="nhk", published=None)) == "undated"


def test_changed_articles_stand_under_their_talk(seeded: Store) -> None:
    text = markdown.render(build_report(seeded))
    changed = text.split("## Changed articles", 1)[1]
    talk = next(t.title for t in build_report(seeded).threads if t.title.startswith("岩屋・ルビオ"))
    assert changed.lstrip().startswith(f"### {talk}")
    assert "#### 日米外相会談" in changed
