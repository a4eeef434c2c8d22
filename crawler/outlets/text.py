"""Text out of markup: trimmed lines, ``<br>``-separated paragraphs, comments skipped."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

_SPACES = " \t\r\n\u3000\u00a0"
_INNER_SPACES = re.compile(r"[ \t\r\u00a0]+")


def clean_text(text: object) -> str:
    """Trim ASCII and full-width spaces and collapse inner runs of whitespace; non-strings give ``""``."""
    if not text or not isinstance(text, str):
        return ""
    return _INNER_SPACES.sub(" ", text).strip(_SPACES)


def split_lines(texts: Iterable[str]) -> list[str]:
    """Split text nodes on line breaks and drop empty lines (``<br>``-separated paragraphs)."""
    lines: list[str] = []
    for text in texts:
        for line in text.split("\n"):
            cleaned = clean_text(line)
            if cleaned:
                lines.append(cleaned)
    return lines


def block_lines(selector: Any) -> list[str]:
    """Text of a block element, one entry per ``<br>``-separated line.

    Takes text, not markup, so comments inside names (jiji's ``<!--es-->``) vanish.
    """
    return node_lines(selector.xpath("./node()"))


def node_lines(nodes: Iterable[Any]) -> list[str]:
    """Text of a run of sibling nodes, one entry per ``<br>``-separated line; comments and scripts skipped."""
    parts: list[str] = []
    for node in nodes:
        if is_comment(node):
            continue
        tag = tag_name(node)
        if tag == "br":
            parts.append("\n")
        elif tag is None:
            parts.append(node.get())
        elif tag not in {"script", "style"}:
            parts.append(_text_with_breaks(node))
    return split_lines(["".join(parts)])


def _text_with_breaks(node: Any) -> str:
    """An inline element's text, with its own ``<br>`` kept as line breaks."""
    if not node.xpath(".//br"):
        return "".join(node.xpath(".//text()[not(ancestor::script or ancestor::style)]").getall())
    return "\n".join(node_lines(node.xpath("./node()")))


def tag_name(node: Any) -> str | None:
    """The element name of a selector's node; ``None`` for text and comments."""
    tag = getattr(node.root, "tag", None)
    return tag if isinstance(tag, str) else None


def is_comment(node: Any) -> bool:
    return callable(getattr(node.root, "tag", None))  # lxml comments have a function as tag


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def squash(text: str) -> str:
    """NFKC text without any whitespace: for comparing lines that differ only in spacing and width."""
    return re.sub(r"\s+", "", nfkc(text))
