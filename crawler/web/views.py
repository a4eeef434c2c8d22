"""The pages. Each view reads in one short transaction and renders a template (autoescaped)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from sqlalchemy import Connection

from crawler.web import feeds, health, queries, subscriptions
from crawler.web.channels import form_token
from crawler.web.diffview import compare, stored_diff
from crawler.web.filters import LABELS, Filters, parse_filters
from crawler.web.outlets import meeting_choices, outlet_choices
from crawler.web.search import SearchIndex, terms_of
from crawler.web.security import SNAPSHOT_CSP
from storage.store import Store

bp = Blueprint("web", __name__)
_SHA = re.compile(r"^[0-9a-f]{64}$")


def _store() -> Store:
    return current_app.config["TALKWATCH_STORE"]


@contextmanager
def reading() -> Iterator[Connection]:
    with _store().db.session() as s:
        yield s.connection()


def _page() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        return 1


_PAIRS_TTL = 60.0


def _pairs(conn: Connection) -> list[tuple[str, str]]:
    """The minister pairs of recent talks, read at most once a minute per app."""
    cached = current_app.extensions.get("talkwatch_pairs")
    if cached is None or time.monotonic() - cached[0] > _PAIRS_TTL:
        cached = current_app.extensions["talkwatch_pairs"] = (time.monotonic(), queries.pair_choices(conn))
    return cached[1]


def _choices(conn: Connection) -> dict[str, Any]:
    return {"pairs": _pairs(conn), "meetings": meeting_choices(), "outlets": outlet_choices(),
            "labels": LABELS}


@bp.get("/")
def talks() -> str:
    filters = parse_filters(request.args)
    page = _page()
    with reading() as conn:
        rows, more = queries.list_talks(conn, filters, page)
        choices = _choices(conn)
    return render_template("talks.html", talks=rows, filters=filters, page=page, more=more, **choices)


@bp.get("/favicon.ico")
def favicon() -> Response:
    return current_app.send_static_file("favicon.svg")


@bp.get("/talk/<int:thread_id>")
def talk(thread_id: int) -> str:
    with reading() as conn:
        detail = queries.talk_detail(conn, thread_id)
    if detail is None:
        abort(404)
    return render_template("talk.html", d=detail, t=detail.talk, csrf=form_token(),
                           channels=subscriptions.channels(_store()))


def _seq(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        return default


@bp.get("/article/<int:article_id>")
def article(article_id: int) -> str:
    with reading() as conn:
        detail = queries.article_detail(conn, article_id)
    if detail is None:
        abort(404)
    versions = {v.seq: v for v in detail.versions}
    latest = max(versions)
    b = _seq("b", latest)
    a = _seq("a", max(1, b - 1) if b > 1 else b)
    if a not in versions or b not in versions:
        abort(404)
    comparison = compare(versions[a], versions[b]) if a != b else None
    view = "side" if request.args.get("view") == "side" else "inline"
    return render_template("article.html", d=detail, a=a, b=b, old=versions[a], new=versions[b],
                           latest=versions[latest], comparison=comparison, view=view)


@bp.get("/snapshot/<sha>")
def snapshot(sha: str) -> Response:
    """The raw page as fetched, served so that nothing in it can run or load: a CSP sandbox, no
    resources at all, and only inside our own frame; ``?as=text`` shows the source as plain text."""
    if not _SHA.match(sha):
        abort(404)
    try:
        _url, content_type, body = _store().fetches.load_snapshot(sha)
    except KeyError:
        abort(404)
    as_text = request.args.get("as") == "text" or "html" not in (content_type or "text/html")
    mimetype = "text/plain" if as_text else "text/html"
    response = Response(body, mimetype=mimetype)
    charset = re.search(r"charset=([\w-]+)", content_type or "")
    response.headers["Content-Type"] = f"{mimetype}; charset={charset.group(1) if charset else 'utf-8'}"
    response.headers["Content-Security-Policy"] = SNAPSHOT_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/edits")
def edits() -> str:
    filters = parse_filters(request.args)
    page = _page()
    with reading() as conn:
        rows, more = queries.list_edits(conn, filters, page)
        choices = _choices(conn)
    return render_template("edits.html", edits=rows, filters=filters, page=page, more=more,
                           diffs={e.version_id: stored_diff(e.diff) for e in rows}, **choices)


@bp.get("/search")
def search() -> str:
    filters = parse_filters(request.args)
    index: SearchIndex = current_app.extensions["talkwatch_search"]
    hits = []
    if filters.q:
        with reading() as conn:
            hits = index.search(conn, filters.q, filters)
    with reading() as conn:
        choices = _choices(conn)
    return render_template("search.html", hits=hits, filters=filters, terms=terms_of(filters.q), **choices)


@bp.get("/health")
def health_page() -> str:
    return render_template("health.html", h=health.overview(_store()))


def _atom(body: str) -> Response:
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/talk/<int:thread_id>/feed.atom")
def talk_feed(thread_id: int) -> Response:
    with reading() as conn:
        body = feeds.talk_feed(conn, thread_id, url_for("web.talk", thread_id=thread_id, _external=True))
    if body is None:
        abort(404)
    return _atom(body)


@bp.get("/feed.atom")
def filter_feed() -> Response:
    filters: Filters = parse_filters(request.args)
    with reading() as conn:
        body = feeds.filter_feed(conn, filters, url_for("web.talks", _external=True, **filters.params()))
    return _atom(body)
