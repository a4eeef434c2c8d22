"""Route real outlet URLs to the local mirror and back."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def mirror_url(real_url: str, mirror_base: str) -> str:
    """``https://www.mofa.go.jp/a.html?x=1`` -> ``http://127.0.0.1:8800/https/www.mofa.go.jp/a.html?x=1``."""
    parts = urlsplit(real_url)
    base = mirror_base.rstrip("/")
    path = f"/{parts.scheme}/{parts.netloc}{parts.path or '/'}"
    return base + urlunsplit(("", "", path, parts.query, ""))


def real_url(mirror_path: str) -> str | None:
    """Inverse of :func:`mirror_url` for the path (and query) the mirror received."""
    parts = urlsplit(mirror_path)
    segments = parts.path.lstrip("/").split("/", 2)
    if len(segments) < 2 or segments[0] not in {"http", "https"} or not segments[1]:
        return None
    scheme, host = segments[0], segments[1]
    rest = "/" + (segments[2] if len(segments) > 2 else "")
    return urlunsplit((scheme, host, rest, parts.query, ""))
