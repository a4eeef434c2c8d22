"""Diffs that read well for Japanese: sentence-level, then character-level inside a
changed sentence. Stored once (JSON), rendered by the reports."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

# a sentence ends at 。！？!? (keeping closing quotes/brackets with it) or at a line break
_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[」』）)]*|\n|$)")
CORRECTION_MARKERS = ("※当初", "訂正", "おわび", "Correction:", "CORRECTION", "correction:", "(Corrects",
                      "（訂正）")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def char_ops(old: str, new: str) -> list[list[str]]:
    """``[[op, text], ...]`` with op in equal/delete/insert."""
    ops: list[list[str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(["equal", old[i1:i2]])
        else:
            if i2 > i1:
                ops.append(["delete", old[i1:i2]])
            if j2 > j1:
                ops.append(["insert", new[j1:j2]])
    return ops


def text_diff(old: str, new: str) -> list[dict[str, Any]]:
    """Sentence-level opcodes; a replaced sentence carries its character-level ops."""
    a, b = sentences(old), sentences(new)
    out: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append({"op": "equal", "text": "".join(a[i1:i2])})
        elif tag == "delete":
            out.append({"op": "delete", "text": "".join(a[i1:i2])})
        elif tag == "insert":
            out.append({"op": "insert", "text": "".join(b[j1:j2])})
        else:
            old_part, new_part = "".join(a[i1:i2]), "".join(b[j1:j2])
            out.append({"op": "replace", "old": old_part, "new": new_part,
                        "chars": char_ops(old_part, new_part)})
    return out


def counts(ops: list[dict[str, Any]]) -> tuple[int, int]:
    """Characters added and removed by a diff."""
    added = removed = 0
    for op in ops:
        if op["op"] == "insert":
            added += len(op["text"])
        elif op["op"] == "delete":
            removed += len(op["text"])
        elif op["op"] == "replace":
            for kind, text in op["chars"]:
                if kind == "insert":
                    added += len(text)
                elif kind == "delete":
                    removed += len(text)
    return added, removed


def changed_sides(ops: list[dict[str, Any]]) -> tuple[str, str]:
    """The old-side and new-side text of the changed sentences."""
    old, new = [], []
    for op in ops:
        if op["op"] == "delete":
            old.append(op["text"])
        elif op["op"] == "insert":
            new.append(op["text"])
        elif op["op"] == "replace":
            old.append(op["old"])
            new.append(op["new"])
    return "".join(old), "".join(new)


def is_correction(ops: list[dict[str, Any]]) -> bool:
    old, new = changed_sides(ops)
    return any(marker in new and marker not in old for marker in CORRECTION_MARKERS)


def version_diff(
    old: dict[str, str], new: dict[str, str]
) -> tuple[dict[str, list[dict[str, Any]]], str, int, int]:
    """Diff two versions given as ``{"title", "lead", "body"}``.

    Returns the per-field diff (only changed fields), the change kind, chars added, chars removed. The
    kind names every field that changed, in reading order, after ``correction`` when a correction note
    appeared: ``title``, ``title+body``, ``correction+body``.
    """
    diff: dict[str, list[dict[str, Any]]] = {}
    for field in ("title", "lead", "body"):
        if (old.get(field) or "") != (new.get(field) or ""):
            diff[field] = text_diff(old.get(field) or "", new.get(field) or "")
    added = removed = 0
    for ops in diff.values():
        a, r = counts(ops)
        added, removed = added + a, removed + r
    correction = ["correction"] if any(is_correction(ops) for ops in diff.values()) else []
    kind = "+".join(correction + list(diff)) or "body"
    return diff, kind, added, removed
