"""Keep credentials out of logs: mask the password of any URL in a text."""

from __future__ import annotations

import re

# scheme://user:password@host -> scheme://user:***@host
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)(?P<secret>[^@\s/]+)(?=@)")
# ?password=..., &token=..., api_key=... in query strings and settings dumps
_SECRET_PARAM = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|token|secret|api_?key)=)(?P<secret>[^&\s'\"]+)", re.IGNORECASE
)


def mask_secrets(text: str) -> str:
    """``text`` with URL passwords and secret-looking query parameters replaced by ``***``."""
    text = _URL_PASSWORD.sub(r"\g<head>***", text)
    return _SECRET_PARAM.sub(r"\g<head>***", text)
