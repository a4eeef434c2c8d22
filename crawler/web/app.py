"""The Flask application: one Store, the search index, the pages (:mod:`crawler.web.views`)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from markupsafe import Markup

from crawler.reports import timefmt
from crawler.reports.common import safe_url
from crawler.web import security
from crawler.web.outlets import meeting_name, outlet_name, person_name
from crawler.web.search import SearchIndex
from storage.migrate import require_current_schema
from storage.store import Store

HERE = Path(__file__).parent


def create_app(store: Store, token: str | None = None, sync_search: bool = True) -> Flask:
    """The dashboard over ``store``. ``token``: required on every request (any non-loopback bind)."""
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.config.update(TALKWATCH_STORE=store, TEMPLATES_AUTO_RELOAD=False, JSON_AS_ASCII=False,
                      TALKWATCH_FORM_SECRET=secrets.token_bytes(32))
    app.jinja_env.autoescape = True  # every template, whatever its name
    app.jinja_env.filters.update(jst=timefmt.jst, iso=timefmt.iso, day=_day, outlet=outlet_name,
                                 person=person_name, meeting=meeting_name, safe_url=safe_url,
                                 link=external_link)
    require_current_schema(store.db.engine)  # an older schema: the desk says to run `talkwatch db upgrade`
    index = SearchIndex(store.db.engine)
    if sync_search:
        index.prune()
        index.sync(force=True)
    app.extensions["talkwatch_search"] = index
    security.install(app, token)
    from crawler.web.channels import bp as channels_bp
    from crawler.web.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(channels_bp)
    _error_pages(app)
    return app


def _day(value: str | None) -> str:
    day = timefmt.jst_day(value)
    return day.isoformat() if day else "–"


def _error_pages(app: Flask) -> None:
    from flask import render_template

    def _error(exc: Any) -> tuple[str, int]:
        code = getattr(exc, "code", None) or 500
        message = getattr(exc, "description", None) or "Something went wrong."
        return render_template("error.html", code=code, message=message), code

    for code in (400, 401, 403, 404, 405, 500):
        app.register_error_handler(code, _error)


def external_link(url: str | None, label: Any) -> Markup:
    """A link to the outlet's page when the URL is plain http(s); anything else is text only."""
    href = safe_url(url)
    if href is None:
        return Markup('<span class="nolink">{}</span>').format(label)
    return Markup('<a href="{}" rel="noopener noreferrer nofollow" class="out">{}</a>').format(href, label)
