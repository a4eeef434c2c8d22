"""A hostile article through every report format and every channel payload, opened in headless Chromium.

The article's headline and body carry ``<script>``, ``<img onerror>``, Markdown link and image syntax
(``[x](javascript:…)``, a phishing link, a tracking image), raw ``javascript:`` anchors, chat markup
(``<url|text>``, ``@channel``) and a line break followed by ``## Crawl alarms`` and list items; its URL is
``javascript:``. Each payload is opened as its reader would see it — the HTML report and e-mail part as
HTML (without the report's Content-Security-Policy: mail clients ignore it), Markdown through apprise's own
Markdown → HTML converter (Python-Markdown), chat text as Markdown (chat services render it), plain text as a
mail client shows it (links made of http(s) URLs), Atom entries as a feed reader shows them, JSON pasted raw
into a page. In every page, scripts enabled: no script runs, nothing is requested from the network, no
``javascript:`` link or event handler exists, no link or image comes from outlet text, no forged heading or
list item appears.
"""

from __future__ import annotations

import html as htmllib
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from crawler.reports import text
from crawler.reports.data import build_report
from crawler.reports.formats import render
from crawler.service.config import ChannelConfig
from crawler.service.delivery import deliver
from crawler.syndication import TEXT_RULES
from storage.store import Store
from tests.service.helpers import text as article_text
from tests.service.test_delivery import Hook, Inbox, free_port

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ATOM = "{http://www.w3.org/2005/Atom}"

try:
    import playwright.sync_api  # noqa: F401

    HAVE_PLAYWRIGHT = True
except ImportError:
    HAVE_PLAYWRIGHT = False

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                                                     "(/usr/bin/chromium): apt-get install chromium"),
    pytest.mark.skipif(not HAVE_PLAYWRIGHT, reason="playwright is not installed (the test extra has it)"),
]

HOSTILE = ("<script>window.__pwned=1</script>"
           '<img src="http://tracker.invalid/t.png" onerror="window.__pwned=2">'
           "日米外相会談 [login](https://phish.invalid/) [x](javascript:window.__pwned=3) "
           "![t](http://tracker.invalid/i.png) <a href=\"javascript:window.__pwned=4\">y</a> "
           "<http://phish.invalid/|click> @channel *bold* _it_ `code` ~~gone~~ | cell |"
           "\n## Crawl alarms\n- FORGED-ITEM\n\n# FORGED-HEADING\u2028- FORGED-ITEM2\r\n1. FORGED-ITEM3")
HOSTILE_URL = "javascript:window.__pwned=5"
HOSTILE_THREAD = '<b onmouseover="window.__pwned=6">talks</b>\n## Crawl alarms\n> FORGED-QUOTE'

# run in the page: everything that would make the payload active, or forge a section
CHECK = r"""() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase(), value = a.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) bad.push('event handler ' + name);
      if (value.startsWith('javascript:') || value.startsWith('data:') || value.startsWith('vbscript:'))
        bad.push('active URL in ' + name);
    }
  }
  for (const a of document.querySelectorAll('a[href]'))
    if (!/^https?:\/\//i.test(a.getAttribute('href'))) bad.push('non-http link ' + a.getAttribute('href'));
  for (const s of document.scripts)
    if (!s.type || /javascript|module/i.test(s.type)) bad.push('script element');
  const loaders = 'img,iframe,frame,object,embed,video,audio,source,link,base,form,input,svg,math,style[src]';
  if (document.querySelectorAll(loaders).length) bad.push('element that loads or submits');
  if (document.querySelector('meta[http-equiv="refresh" i]')) bad.push('refresh');
  for (const el of document.querySelectorAll('h1,h2,h3,h4,h5,h6,li,p,blockquote,td,th,dt,dd')) {
    const t = el.textContent.trim();
    if (/^(#+\s*)?crawl alarms/i.test(t) || /^[-*>\d.\s]*FORGED/.test(t))
      bad.push('forged ' + el.tagName + ': ' + t.slice(0, 50));
  }
  if (window.__pwned !== undefined) bad.push('script ran: ' + window.__pwned);
  return bad;
}"""


def seed_hostile(store: Store) -> None:
    hostile = article_text("reuters", "EVIL1", HOSTILE, [HOSTILE, "本文。"], url=HOSTILE_URL)
    first = store.articles.save_version(hostile)
    thread = store.threads.open_thread(HOSTILE_THREAD, {}, "2025-01-23")
    store.threads.join_thread(thread.id, hostile.key, "2025-01-23", "opener")
    store.alerts.add_alert("new", first.article_id, first.version_id, thread.id)
    edited = replace(hostile, title=HOSTILE + " (更新)", paragraphs=[
        HOSTILE + '<iframe src="http://tracker.invalid/f"></iframe>', "本文。", HOSTILE])
    second = store.articles.save_version(edited)
    store.alerts.add_alert("changed", second.article_id, second.version_id, thread.id)


@pytest.fixture
def hostile(sqlite_url: str) -> Iterator[Store]:
    store = Store(sqlite_url, rules=TEXT_RULES)
    store.db.create_schema()
    seed_hostile(store)
    yield store
    store.db.dispose()


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


# --- how each reader turns a payload into a page ------------------------------------------------------------

def page_of_markdown(markdown: str) -> str:
    from apprise.conversion.format import markdown_to_html  # what apprise does with a Markdown body

    return f"<!DOCTYPE html><html><body>{markdown_to_html(markdown)}</body></html>"


def page_of_html(document: str) -> str:
    # a mail client or chat app ignores the report's own CSP meta: the escaping alone must hold
    return re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", document)


def page_of_text(plain: str) -> str:
    # a mail client shows plain text as is and turns http(s) URLs into links
    escaped = htmllib.escape(plain)
    linked = re.sub(r"https?://[^\s<>&\"]+", lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return f"<!DOCTYPE html><html><body><pre>{linked}</pre></body></html>"


def page_of_json(document: str) -> str:
    json.loads(document)  # still valid JSON
    return f"<!DOCTYPE html><html><body><pre>{document}</pre></body></html>"  # pasted raw, unescaped


def page_of_atom(feed: str) -> str:
    root = ET.fromstring(feed.encode("utf-8"))
    parts = []
    for entry in root.findall(f"{ATOM}entry"):
        links = [link.get("href") or "" for link in entry.findall(f"{ATOM}link")]
        title = htmllib.escape(entry.findtext(f"{ATOM}title") or "")
        heading = f'<a href="{htmllib.escape(links[0])}">{title}</a>' if links else title
        content = entry.find(f"{ATOM}content")
        body = content.text or "" if content is not None else ""
        if content is not None and content.get("type") != "html":
            body = htmllib.escape(body)
        parts.append(f"<article><h2>{heading}</h2>{body}</article>")  # type="html" content goes in as HTML
    return f"<!DOCTYPE html><html><body>{''.join(parts)}</body></html>"


READERS = {"md": page_of_markdown, "html": page_of_html, "text": page_of_text, "json": page_of_json,
           "atom": page_of_atom, "chat": page_of_markdown}


# --- every payload -----------------------------------------------------------------------------------------

def mail_parts(message: Message) -> dict[str, str]:
    return {part.get_content_type(): part.get_payload(decode=True).decode("utf-8")
            for part in message.walk() if not part.is_multipart()}


def payloads(store: Store, tmp_path: Path, hook: Hook,
             inbox: tuple[Inbox, int]) -> dict[str, tuple[str, str]]:
    """label → (reader, payload) for every format and every channel kind."""
    report = build_report(store)
    out: dict[str, tuple[str, str]] = {f"format {fmt}": (fmt, render(report, fmt))
                                       for fmt in ("md", "html", "json", "atom", "text")}
    out["chat text"] = ("chat", text.render_chat(report))
    for fmt in ("md", "html", "json", "atom", "text"):
        path = tmp_path / f"channel.{fmt}"
        sent(store, ChannelConfig(name=f"file-{fmt}", kind="file", path=str(path), format=fmt))
        out[f"file channel {fmt}"] = (fmt, path.read_text("utf-8"))
    box, port = inbox
    for fmt in ("html", "md"):
        sent(store, ChannelConfig(name=f"mail-{fmt}", kind="email", smtp_host="127.0.0.1", smtp_port=port,
                                  to=["desk@example.org"], format=fmt))
        for kind, body in mail_parts(box.messages.pop()[2]).items():
            out[f"email {fmt} {kind}"] = ("html" if kind == "text/html" else "text", body)
    sent(store, ChannelConfig(name="hook", kind="webhook", url=f"{hook.url}/hook"))
    out["webhook"] = ("json", hook.received.pop()["body"].decode("utf-8"))
    out.update(apprise_payloads(store, hook, inbox))
    return out


def apprise_payloads(store: Store, hook: Hook, inbox: tuple[Inbox, int]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    box, smtp_port = inbox
    for fmt in ("html", "md", "text"):  # e-mail through apprise: the case that ran scripts before
        sent(store, ChannelConfig(name=f"mailto-{fmt}", kind="apprise", format=fmt,
                                  url=f"mailto://127.0.0.1:{smtp_port}?from=talkwatch@example.org"
                                      "&to=desk@example.org"))
        for kind, body in mail_parts(box.messages.pop()[2]).items():
            out[f"apprise mailto:// {fmt} {kind}"] = ("html" if kind == "text/html" else "text", body)
    port = hook.server_address[1]
    for fmt, reader in (("md", "md"), ("html", "html"), ("text", "chat")):
        sent(store, ChannelConfig(name=f"json-{fmt}", kind="apprise", url=f"json://127.0.0.1:{port}/n",
                                  format=fmt))
        out[f"apprise json:// {fmt}"] = (reader, json.loads(hook.received.pop()["body"])["message"])
    sent(store, ChannelConfig(name="mattermost", kind="apprise", url=f"mmost://127.0.0.1:{port}/token"))
    out["apprise mmost:// (text, rendered as Markdown by Mattermost)"] = (
        "chat", json.loads(hook.received.pop()["body"])["text"])
    return out


def sent(store: Store, channel: ChannelConfig) -> None:
    result = deliver(store, channel)
    assert result.outcome == "sent", (channel.channel_id, result.error)


# --- the browser ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


def open_inert(browser: Any, document: str) -> list[str]:
    """Open ``document`` with scripts on, every request refused and recorded; what made it active."""
    context = browser.new_context(java_script_enabled=True)
    problems: list[str] = []
    context.route("**/*", lambda route: (problems.append(f"network request {route.request.url}"),
                                         route.abort()))
    page = context.new_page()
    page.on("dialog", lambda dialog: (problems.append(f"dialog {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda exc: problems.append(f"page error {exc}"))
    try:
        page.set_content(document, wait_until="load")
        page.wait_for_timeout(50)
        problems += page.evaluate(CHECK)
    finally:
        context.close()
    return problems


def test_check_catches_an_unescaped_page(browser: Any) -> None:
    """The check itself: the hostile text pasted raw into a page or through Markdown is caught."""
    assert open_inert(browser, f"<html><body><p>{HOSTILE}</p></body></html>")
    assert any("forged" in p or "javascript" in p for p in open_inert(browser, page_of_markdown(HOSTILE)))


def test_every_format_and_channel_payload_is_inert(browser: Any, hostile: Store, tmp_path: Path, hook: Hook,
                                                   inbox: tuple[Inbox, int]) -> None:
    found = payloads(hostile, tmp_path, hook, inbox)
    assert len(found) >= 24, sorted(found)
    failures = {}
    for label, (reader, payload) in found.items():
        assert "日米外相会談" in payload, label  # the article is in it
        problems = open_inert(browser, READERS[reader](payload))
        if problems:
            failures[label] = problems
    assert failures == {}


def test_json_keeps_the_data(hostile: Store) -> None:
    data = json.loads(render(build_report(hostile), "json"))
    [article] = data["threads"][0]["new"]
    assert article["title"] == HOSTILE and article["url"] == HOSTILE_URL  # data intact, only encoded inertly
