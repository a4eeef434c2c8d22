"""One entry point for every report format."""

from __future__ import annotations

from collections.abc import Callable

from crawler.reports import atom, html, jsondoc, markdown, text
from crawler.reports.data import Report

RENDERERS: dict[str, Callable[[Report], str]] = {
    "md": markdown.render,
    "html": html.render,
    "json": jsondoc.render,
    "atom": atom.render,
    "text": text.render,
}
MEDIA_TYPES = {"md": "text/markdown", "html": "text/html", "json": "application/json",
               "atom": "application/atom+xml", "text": "text/plain"}
SUFFIXES = {"md": ".md", "html": ".html", "json": ".json", "atom": ".atom.xml", "text": ".txt"}


def render(report: Report, fmt: str) -> str:
    try:
        return RENDERERS[fmt](report)
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(RENDERERS)}") from None
