"""The classifier's public records: fired terms, the event signature used for threading, the decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Term:
    """One vocabulary hit: ``category`` (jp_official, us_official, meeting, pair, marker, negative, ...),
    the matched ``surface`` (normalized text) and a ``ref`` (holder id, meeting type, side, cue kind)."""

    category: str
    surface: str
    ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "surface": self.surface, "ref": self.ref}


@dataclass(frozen=True)
class EventSignature:
    """What identifies the talks, for threading: pairing, meeting type, participants, date."""

    pair: str
    type: str
    label: str
    participants: tuple[str, ...]
    date: str | None  # ISO date of the talks when the text says so (「21日」 resolved against `published`)
    modality: str  # "meeting" | "call"
    preview: bool = False
    back_reference: bool = False
    names: tuple[str, ...] = ()
    places: tuple[str, ...] = ()  # venues the talks' sentences name (軽井沢), to tell undated talks apart

    def to_dict(self) -> dict[str, Any]:
        return {"pair": self.pair, "type": self.type, "label": self.label,
                "participants": list(self.participants), "date": self.date, "modality": self.modality,
                "preview": self.preview, "back_reference": self.back_reference, "names": list(self.names),
                "places": list(self.places)}


@dataclass
class TopicDecision:
    label: str  # "ministerial" | "related" | "other"
    score: float
    terms: list[Term] = field(default_factory=list)
    event: EventSignature | None = None
    evidence: list[Term] = field(default_factory=list)  # the terms of the deciding sentence(s)
    reason: str = ""

    def explain(self) -> str:
        """e.g. ``flagged: 岩屋外相 + ルビオ国務長官 + 会談``."""
        shown = self.evidence or [t for t in self.terms if t.category != "marker"][:6]
        parts = " + ".join(dict.fromkeys(t.surface for t in shown))
        head = "flagged" if self.label == "ministerial" else self.label
        tail = f" ({self.reason})" if self.reason else ""
        return f"{head}: {parts or 'no vocabulary hit'}{tail}"

