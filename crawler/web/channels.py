"""The channel pages: what a delivery channel subscribes to, which talks it has muted or snoozed.

The only pages that write. Each form carries a token only this desk can make (a page elsewhere cannot
post to it across sites), and a request that says it comes from another origin is refused."""

from __future__ import annotations

import hmac
import re
from datetime import timedelta
from hashlib import sha256

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from crawler.web import subscriptions as subs
from crawler.web.filters import LABELS
from crawler.web.outlets import outlet_choices
from storage.store import Store

bp = Blueprint("channels", __name__)
SNOOZES = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30), "forever": None}
_CHANNEL = re.compile(r"^[\w.:@+-]{1,200}$")


def _store() -> Store:
    return current_app.config["TALKWATCH_STORE"]


def form_token() -> str:
    secret: bytes = current_app.config["TALKWATCH_FORM_SECRET"]
    return hmac.new(secret, b"talkwatch desk form", sha256).hexdigest()


def _check_form() -> None:
    given = request.form.get("csrf", "")
    if not hmac.compare_digest(given.encode(), form_token().encode()):
        abort(403, "This form is out of date or came from elsewhere: reload the page and try again.")
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") != request.host_url.rstrip("/"):
        abort(403, "A form from another site.")
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        abort(403, "A form from another site.")


def _channel(value: str | None) -> str:
    name = (value or "").strip()
    if not _CHANNEL.match(name):
        abort(400, "A channel name is 1–200 letters, digits or . : @ + - _")
    return name


@bp.get("/channels")
def channel_list() -> ResponseReturnValue:
    if request.args.get("name"):
        return redirect(url_for("channels.channel", name=_channel(request.args["name"])), code=303)
    return render_template("channels.html", channels=subs.channels(_store()))


@bp.get("/channel/<name>")
def channel(name: str) -> str:
    name = _channel(name)
    rules = subs.rules(_store(), name)
    return render_template("channel.html", name=name, rules=rules, labels=LABELS, outlets=outlet_choices(),
                           csrf=form_token(), snoozes=SNOOZES)


def _back(name: str) -> ResponseReturnValue:
    target = request.form.get("back", "")
    if re.fullmatch(r"/talk/\d+", target):
        return redirect(target, code=303)
    return redirect(url_for("channels.channel", name=name), code=303)


@bp.post("/channels/subscribe")
def subscribe() -> ResponseReturnValue:
    _check_form()
    name, kind, value = _channel(request.form.get("channel")), request.form.get("kind", ""), \
        request.form.get("value", "").strip()
    valid = {"label": set(LABELS), "outlet": {code for code, _ in outlet_choices()}}
    if kind not in subs.KINDS or not value or (kind in valid and value not in valid[kind]) or \
            (kind == "talk" and not value.isdigit()):
        abort(400, "Subscribe to a label, an outlet or a talk (its number).")
    subs.subscribe(_store(), name, kind, value)
    return _back(name)


@bp.post("/channels/unsubscribe")
def unsubscribe() -> ResponseReturnValue:
    _check_form()
    name = _channel(request.form.get("channel"))
    subs.unsubscribe(_store(), name, request.form.get("kind", ""), request.form.get("value", ""))
    return _back(name)


@bp.post("/channels/mute")
def mute() -> ResponseReturnValue:
    _check_form()
    name = _channel(request.form.get("channel"))
    thread = request.form.get("thread_id", "")
    snooze = request.form.get("for", "forever")
    if not thread.isdigit() or snooze not in SNOOZES:
        abort(400, "Mute a talk (its number) for 1d, 7d, 30d or forever.")
    length = SNOOZES[snooze]
    subs.mute(_store(), name, int(thread), subs.utcnow() + length if length else None)
    return _back(name)


@bp.post("/channels/unmute")
def unmute() -> ResponseReturnValue:
    _check_form()
    name = _channel(request.form.get("channel"))
    thread = request.form.get("thread_id", "")
    if thread.isdigit():
        subs.unmute(_store(), name, int(thread))
    return _back(name)
