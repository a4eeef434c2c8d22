"""Read undeclared Japanese legacy encodings right.

A page whose charset is declared nowhere (HTTP header, BOM, ``<meta>``) is decoded by Scrapy
as UTF-8 or cp1252: a Shift_JIS or EUC-JP page would become mojibake and then a bogus version.
Here such a page, when it is not valid UTF-8, gets the Japanese encoding that decodes it
strictly and reads most like Japanese; a page no candidate decodes is left alone (the parser
then sees replacement characters and the validator rejects what it cannot read).
"""

from __future__ import annotations

import re
from typing import TypeVar

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

R = TypeVar("R", bound=Response)

CANDIDATES = ("euc_jp", "cp932", "shift_jis")
_JAPANESE = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]")
_HALF_WIDTH_KANA = re.compile(r"[\uff61-\uff9f]")  # what EUC-JP bytes look like read as Shift_JIS


def sniff_japanese(body: bytes) -> str | None:
    """The legacy Japanese encoding ``body`` is most likely in, or ``None``."""
    best: tuple[int, str] | None = None
    for encoding in CANDIDATES:
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = len(_JAPANESE.findall(text)) - 5 * len(_HALF_WIDTH_KANA.findall(text))
        if best is None or score > best[0]:
            best = (score, encoding)
    return best[1] if best and best[0] > 0 else None


def declared_encoding(response: HtmlResponse) -> str | None:
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    bom, _ = read_bom(response.body)
    return http_content_type_encoding(content_type) or bom or html_body_declared_encoding(response.body)


class CharsetMiddleware:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetMiddleware:
        return cls()

    def process_response(self, request: Request, response: R) -> R:  # the kind it was given (HtmlResponse)
        if not isinstance(response, HtmlResponse) or declared_encoding(response):
            return response
        try:
            response.body.decode("utf-8")
            return response
        except UnicodeDecodeError:
            pass
        encoding = sniff_japanese(response.body)
        return response.replace(encoding=encoding) if encoding else response
