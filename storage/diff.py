"""Diffs that read well for Japanese: sentence-level, then character-level inside a changed sentence.

Stored once per version (``versions.diff``, UTF-8 JSON) as opcodes against the previous version, per
field: ``{"body": [op, ...]}``. Each op is a list over the previous version's sentences
(:func:`sentences`):

- ``["equal", i1, i2]`` — sentences ``i1:i2`` unchanged;
- ``["delete", i1, i2]`` — sentences ``i1:i2`` removed;
- ``["insert", i1, i1, text]`` — ``text`` added before sentence ``i1``;
- ``["replace", i1, i2, chars]`` — sentences ``i1:i2`` changed, ``chars`` the character-level ops over
  their joined text, in the same form (``equal`` / ``delete`` as ranges, ``insert`` / ``replace`` carrying
  only the new text).

Only new text is stored, so a one-sentence correction costs about that sentence, whatever the body's
length. :func:`render` turns stored opcodes and the previous version's text back into what a reader
shows: ``[{"op": "equal" | "delete" | "insert", "text"}, {"op": "replace", "old", "new", "chars":
[[equal | delete | insert, text], ...]}]`` — the form diffs were stored in before migration 0005, which
:func:`render` passes through unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from difflib import SequenceMatcher
from typing import Any

# a sentence ends at 。！？!? (keeping closing quotes/brackets with it) or at a line break
_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[」』）)]*|\n|$)")
CORRECTION_MARKERS = ("※当初", "訂正", "おわび", "Correction:", "CORRECTION", "correction:", "(Corrects",
                      "（訂正）")
FIELDS = ("title", "lead", "body")
log = logging.getLogger(__name__)

Op = list[Any]  # a stored opcode: [tag, i1, i2] or [tag, i1, i2, new text | char ops]
Shown = dict[str, Any]  # a rendered op: {"op": ..., "text": ...} or {"op": "replace", ...}


class DiffMismatch(ValueError):
    """Stored opcodes that do not fit the text they are said to be against."""


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


# --- computing ------------------------------------------------------------------------------------------

def char_opcodes(old: str, new: str) -> list[Op]:
    """Character-level opcodes of ``new`` against ``old`` (ranges over ``old``, only new text kept)."""
    ops: list[Op] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        ops.append([tag, i1, i2] if tag in ("equal", "delete") else [tag, i1, i2, new[j1:j2]])
    return ops


def field_opcodes(old: str, new: str) -> list[Op]:
    """Sentence-level opcodes of ``new`` against ``old``; a replaced run carries its character ops."""
    a, b = sentences(old), sentences(new)
    ops: list[Op] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("equal", "delete"):
            ops.append([tag, i1, i2])
        elif tag == "insert":
            ops.append([tag, i1, i2, "".join(b[j1:j2])])
        else:
            ops.append([tag, i1, i2, char_opcodes("".join(a[i1:i2]), "".join(b[j1:j2]))])
    return ops


# --- rendering ------------------------------------------------------------------------------------------

def _range(op: Op, length: int) -> tuple[int, int]:
    i1, i2 = op[1], op[2]
    if not (isinstance(i1, int) and isinstance(i2, int) and 0 <= i1 <= i2 <= length):
        raise DiffMismatch(f"opcode {op[:3]} does not fit a text of {length}")
    return i1, i2


def render_chars(ops: list[Op], old: str) -> list[list[str]]:
    """``[[equal | delete | insert, text], ...]`` from character opcodes over ``old``."""
    out: list[list[str]] = []
    for op in ops:
        i1, i2 = _range(op, len(old))
        tag = op[0]
        if tag == "equal":
            out.append(["equal", old[i1:i2]])
            continue
        if i2 > i1:
            out.append(["delete", old[i1:i2]])
        if tag in ("insert", "replace") and op[3]:
            out.append(["insert", op[3]])
    return out


def _new_side(chars: list[list[str]]) -> str:
    return "".join(text for kind, text in chars if kind != "delete")


def render_field(ops: list[Any], previous_text: str | None) -> list[Shown]:
    """One field's stored opcodes, read against the previous version's text of that field."""
    if any(isinstance(op, dict) for op in ops):
        return list(ops)  # the form before migration 0005: already readable
    a = sentences(previous_text or "")
    out: list[Shown] = []
    for op in ops:
        i1, i2 = _range(op, len(a))
        tag, old = op[0], "".join(a[i1:i2])
        if tag in ("equal", "delete"):
            out.append({"op": tag, "text": old})
        elif tag == "insert":
            out.append({"op": "insert", "text": op[3]})
        elif tag == "replace":
            chars = render_chars(op[3], old)
            out.append({"op": "replace", "old": old, "new": _new_side(chars), "chars": chars})
        else:
            raise DiffMismatch(f"unknown opcode {tag!r}")
    return out


def render(diff: Mapping[str, list[Any]] | None,
           previous: Mapping[str, str | None]) -> dict[str, list[Shown]]:
    """A stored diff as a reader shows it (removed and added text with the unchanged text around), from the
    previous version's ``{"title", "lead", "body"}``; :func:`texts` gives them for a version row.

    A field whose opcodes do not fit that text (a database edited by hand) shows only the text it added,
    with a warning in the log: a report or a page never fails on one diff."""
    out: dict[str, list[Shown]] = {}
    for field, ops in (diff or {}).items():
        try:
            out[field] = render_field(ops, previous.get(field))
        except (DiffMismatch, IndexError, TypeError, KeyError) as exc:
            log.warning("a stored %s diff does not fit the version before it (%s): new text shown",
                        field, exc)
            out[field] = [{"op": "insert", "text": text} for text in _added_texts(ops)]
    return out


def _added_texts(ops: list[Any]) -> list[str]:
    added: list[str] = []
    for op in ops:
        if isinstance(op, list) and len(op) > 3:
            if isinstance(op[3], str):
                added.append(op[3])
            elif isinstance(op[3], list):
                added.extend(_added_texts(op[3]))
    return added


def texts(version: Any) -> dict[str, str]:
    """A version (row or object with ``title``, ``lead``, ``body``) as :func:`render` reads it."""
    if version is None:
        return {}
    return {field: getattr(version, field, None) or "" for field in FIELDS}


def text_diff(old: str, new: str) -> list[Shown]:
    """The readable sentence-level diff of two texts."""
    return render_field(field_opcodes(old, new), old)


# --- the stored form from the readable one (migration 0005) ----------------------------------------------

def _take(a: list[str], at: int, text: str) -> int:
    """How many sentences from ``a[at]`` on join to ``text``."""
    joined, end = "", at
    while len(joined) < len(text) and end < len(a):
        joined += a[end]
        end += 1
    if joined != text:
        raise DiffMismatch("the diff does not fit the previous version's text")
    return end


def compact_chars(chars: list[list[str]]) -> list[Op]:
    ops: list[Op] = []
    at = 0
    for kind, text in chars:
        if kind == "insert":
            ops.append(["insert", at, at, text])
        else:
            ops.append([kind, at, at + len(text)])
            at += len(text)
    return ops


def compact_field(shown: list[Shown], previous_text: str | None) -> list[Op]:
    """The stored opcodes of a readable field diff (:func:`render_field` gives it back, or this raises
    :class:`DiffMismatch`)."""
    a = sentences(previous_text or "")
    ops: list[Op] = []
    at = 0
    for op in shown:
        kind = op["op"]
        if kind == "insert":
            ops.append(["insert", at, at, op["text"]])
            continue
        end = _take(a, at, op["old"] if kind == "replace" else op["text"])
        ops.append(["replace", at, end, compact_chars(op["chars"])] if kind == "replace" else [kind, at, end])
        at = end
    if render_field(ops, previous_text) != shown:
        raise DiffMismatch("the diff does not read back the same")
    return ops


# --- what a diff says ------------------------------------------------------------------------------------

def counts(ops: list[Shown]) -> tuple[int, int]:
    """Characters added and removed by a readable diff."""
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


def changed_sides(ops: list[Shown]) -> tuple[str, str]:
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


def is_correction(ops: list[Shown]) -> bool:
    old, new = changed_sides(ops)
    return any(marker in new and marker not in old for marker in CORRECTION_MARKERS)


def version_diff(
    old: dict[str, str], new: dict[str, str]
) -> tuple[dict[str, list[Op]], str, int, int]:
    """Diff two versions given as ``{"title", "lead", "body"}``.

    Returns the per-field stored opcodes (only changed fields; :func:`render` with ``old`` reads them),
    the change kind, chars added, chars removed. The kind names every field that changed, in reading
    order, after ``correction`` when a correction note appeared: ``title``, ``title+body``,
    ``correction+body``.
    """
    diff: dict[str, list[Op]] = {}
    added = removed = 0
    correction = False
    for field in FIELDS:
        before, after = old.get(field) or "", new.get(field) or ""
        if before == after:
            continue
        diff[field] = field_opcodes(before, after)
        shown = render_field(diff[field], before)
        a, r = counts(shown)
        added, removed = added + a, removed + r
        correction = correction or is_correction(shown)
    kind = "+".join((["correction"] if correction else []) + list(diff)) or "body"
    return diff, kind, added, removed
