"""Bot walls recognised as blocks, so they are logged and backed off from, never stored as pages.

Pure: looks only at the status, the headers and the start of the body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# a wall page is small; reading the head is enough and keeps this cheap on big article pages
_HEAD_BYTES = 64 * 1024
_SMALL_PAGE = 32 * 1024  # wall pages answered with 200 are tiny

_DENIED_STATUSES = {401, 403}
# DataDome's response headers; it sends x-datadome on every answer of a protected site, so a
# header alone on a 200 is not a block
_DATADOME_HEADERS = {"x-datadome", "x-dd-b", "x-datadome-cid"}

# DataDome's captcha / device-check page: `var dd={'rt':'c',...,'host':'geo.captcha-delivery.com'}`
# All patterns below run over the lower-cased head (bytes.lower() folds ASCII only, as IGNORECASE does on
# bytes, and keeps offsets): a case-sensitive literal is found with a fast scan, where IGNORECASE tried
# every alternative at each of the head's 64 KB positions (~1 ms a page).
_DATADOME_HOST = b"captcha-delivery.com"
_DATADOME_DD = re.compile(rb"dd\s*=\s*\{\s*['\"]rt['\"]")  # after a word boundary: see _dd_object
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
_DATADOME_WORD = b"datadome"

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.DOTALL)
_CAPTCHA_TITLE = re.compile(
    rb"captcha|are you a robot|verify you are human|just a moment|attention required|"
    rb"\xe3\x83\xad\xe3\x83\x9c\xe3\x83\x83\xe3\x83\x88",  # ロボット (「ロボットではありません」)
)
_CAPTCHA_BODY = re.compile(rb"g-recaptcha|h-captcha|hcaptcha\.com/|cf-chl-|challenge-platform|cf_chl_opt")
_DENIED_TITLE = re.compile(rb"access denied|403 forbidden|request blocked|forbidden")
# whole titles of wall pages, for walls answered with 200 (news headlines may contain the words)
_WALL_TITLE_CAPTCHA = re.compile(
    rb"\s*(?:captcha|just a moment\.*|attention required!?(?: \| cloudflare)?|are you a robot\??|"
    rb"verify you are human)\s*"
)
_WALL_TITLE_DENIED = re.compile(rb"\s*(?:access denied|403 forbidden|forbidden|request blocked)\s*")


def _header_names(headers: Mapping[Any, Any] | None) -> set[str]:
    """Lower-case header names from Scrapy ``Headers`` (bytes keys) or a plain ``dict``."""
    names: set[str] = set()
    for key in headers or {}:
        name = key.decode("latin-1") if isinstance(key, bytes | bytearray) else str(key)
        names.add(name.strip().lower())
    return names


def _title(head: bytes) -> bytes:
    match = _TITLE.search(head)
    return match.group(1).strip() if match else b""


def _dd_object(head: bytes) -> bool:
    """``\\bdd\\s*=\\s*{'rt'``: the literal start lets the engine skip ahead; the boundary is checked here."""
    at = 0
    while (match := _DATADOME_DD.search(head, at)) is not None:
        if match.start() == 0 or head[match.start() - 1] not in _WORD_BYTES:
            return True
        at = match.start() + 1
    return False


def detect_block(status: int, headers: Mapping[Any, Any] | None, body: bytes | None) -> str | None:
    """Why this response is a bot wall (``"datadome"``, ``"captcha"``, ``"access-denied"``,
    ``"rate-limited"``), or ``None`` for an ordinary answer."""
    head = (body or b"")[:_HEAD_BYTES].lower()
    names = _header_names(headers)
    refused = status in _DENIED_STATUSES or status in {429, 503}

    if status in _DENIED_STATUSES and names & _DATADOME_HEADERS:
        return "datadome"
    # the captcha page itself is unmistakable whatever the status; the bare word "datadome" is
    # not (article pages load DataDome's JS tag), so it counts only on a refusal
    if (
        _DATADOME_HOST in head
        or _dd_object(head)
        or (refused and _DATADOME_WORD in head)
    ):
        return "datadome"

    title = _title(head)
    if refused:
        if _CAPTCHA_TITLE.search(title) or _CAPTCHA_BODY.search(head):
            return "captcha"
        if _DENIED_TITLE.search(title):
            return "access-denied"
        return "rate-limited" if status == 429 else None
    # a wall served as 200: only a small page whose whole title is the wall's
    if len(body or b"") <= _SMALL_PAGE and title:
        if _WALL_TITLE_CAPTCHA.fullmatch(title):
            return "captcha"
        if _WALL_TITLE_DENIED.fullmatch(title):
            return "access-denied"
    return None
