"""Two versions compared as the reports do (sentence level, then characters inside a changed sentence:
:func:`storage.diff.version_diff`), laid out for an inline view and a side-by-side view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storage.diff import render, version_diff

FIELDS = ("title", "lead", "body")
Segment = tuple[str, str]  # (equal | insert | delete, text)


@dataclass
class FieldDiff:
    name: str
    inline: list[Segment] = field(default_factory=list)
    old: list[Segment] = field(default_factory=list)  # the left column: equal and deleted text
    new: list[Segment] = field(default_factory=list)  # the right column: equal and inserted text


@dataclass
class Comparison:
    change_kind: str
    added: int
    removed: int
    fields: list[FieldDiff]

    @property
    def same(self) -> bool:
        return not self.fields


def _add(fd: FieldDiff, kind: str, text: str) -> None:
    if not text:
        return
    fd.inline.append((kind, text))
    if kind != "insert":
        fd.old.append((kind, text))
    if kind != "delete":
        fd.new.append((kind, text))


def field_diff(name: str, ops: list[dict[str, Any]], shorten: int | None = None) -> FieldDiff:
    """Segments of one field's stored ops; ``shorten``: long unchanged stretches cut to their ends."""
    fd = FieldDiff(name)
    for op in ops:
        kind = op["op"]
        if kind == "replace":
            for char_kind, text in op["chars"]:
                _add(fd, char_kind, text)
        elif kind == "equal" and shorten and len(op["text"]) > shorten:
            text = op["text"]
            _add(fd, "equal", f"{text[: shorten // 2 - 10]} … {text[-(shorten // 2 - 10):]}")
        else:
            _add(fd, kind, op["text"])
    return fd


def stored_diff(diff: dict[str, list[dict[str, Any]]], shorten: int | None = 240) -> list[FieldDiff]:
    """A version's diff to the one before, read (:func:`storage.diff.render`), fields in reading order."""
    order = {name: i for i, name in enumerate(FIELDS)}
    return [field_diff(name, ops, shorten) for name, ops in sorted(diff.items(),
                                                                   key=lambda kv: order.get(kv[0], 9))]


def _text(version: Any) -> dict[str, str]:
    return {"title": version.title or "", "lead": version.lead or "", "body": version.body or ""}


def compare(old: Any, new: Any) -> Comparison:
    """Any two versions (either order), diffed afresh."""
    before = _text(old)
    diff, kind, added, removed = version_diff(before, _text(new))
    fields = stored_diff(render(diff, before), shorten=None)
    return Comparison(kind if diff else "same", added, removed, fields)
