"""What every response carries (a strict Content-Security-Policy: no script at all, styles from our own
stylesheet only) and the access token a server on another interface than the loopback requires."""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from flask import Flask, Response, abort, redirect, request
from flask.typing import ResponseReturnValue

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
# a raw snapshot: shown only inside our own page's sandboxed frame, nothing in it may load or run
SNAPSHOT_CSP = "sandbox; default-src 'none'; frame-ancestors 'self'"
COOKIE = "talkwatch_token"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def _given_token() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip()
    return request.args.get("token") or request.cookies.get(COOKIE)


def install(app: Flask, token: str | None) -> None:
    @app.before_request
    def _check_access() -> ResponseReturnValue | None:
        if token is None:
            # bound to the loopback: refuse other Host names (a DNS-rebinding page cannot reach us)
            host = request.host.rsplit(":", 1)[0] if not request.host.startswith("[") else \
                request.host.split("]")[0] + "]"
            if host not in LOOPBACK_HOSTS:
                abort(403)
            return None
        given = _given_token()
        if given is None or not hmac.compare_digest(given.encode(), token.encode()):
            abort(401)
        if "token" in request.args and request.method == "GET" and not request.path.endswith(".atom"):
            # once accepted, the token moves to a cookie and out of the address bar (and history)
            rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
            response = redirect(request.path + ("?" + urlencode(rest) if rest else ""), code=303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
            return response
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        return response
