"""The filters every list shares (talks, search, edits, feeds), read from a query string and validated:
an unknown value is dropped, never passed on to SQL."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from urllib.parse import urlencode

from crawler.outlets import OUTLET_NAMES

LABELS = ("ministerial", "related", "other")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_PAIR = re.compile(r"^[a-z][a-z0-9_]{0,39}(\+[a-z][a-z0-9_]{0,39}){0,3}$")


@dataclass(frozen=True)
class Filters:
    pair: str = ""  # office holder ids joined by "+", e.g. "iwaya+rubio"
    type: str = ""  # meeting type id: foreign, tariff, economic_2plus2 …
    outlet: str = ""
    label: str = ""
    since: date | None = None  # JST days, both inclusive
    until: date | None = None
    edited: bool = False
    q: str = ""
    sort: str = ""  # "": newest report first; "edit": latest edit seen first (talks with edits)

    @property
    def people(self) -> list[str]:
        return self.pair.split("+") if self.pair else []

    @property
    def active(self) -> bool:
        return any((self.pair, self.type, self.outlet, self.label, self.since, self.until, self.edited))

    def params(self, **overrides: object) -> dict[str, str]:
        values = {**asdict(self), **overrides}
        out: dict[str, str] = {}
        for name, value in values.items():
            if value in (None, "", False):
                continue
            out[name] = "1" if value is True else value.isoformat() if isinstance(value, date) else str(value)
        return out

    def query(self, **overrides: object) -> str:
        return urlencode(self.params(**overrides))


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filters(args: Mapping[str, str]) -> Filters:
    pair = args.get("pair", "").strip().lower()
    kind = args.get("type", "").strip().lower()
    outlet = args.get("outlet", "").strip().lower()
    label = args.get("label", "").strip().lower()
    return Filters(
        pair=pair if _PAIR.match(pair) else "",
        type=kind if _ID.match(kind) else "",
        outlet=outlet if outlet in OUTLET_NAMES else "",
        label=label if label in LABELS else "",
        since=_day(args.get("since")),
        until=_day(args.get("until")),
        edited=args.get("edited", "") in ("1", "on", "true", "yes"),
        sort="edit" if args.get("sort") == "edit" else "",
        q=" ".join(args.get("q", "").split())[:200],
    )
