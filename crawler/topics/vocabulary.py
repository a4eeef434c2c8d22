"""Load and validate ``vocabulary.yaml`` into typed, immutable data.

A malformed file raises :class:`VocabularyError` naming the key path (``office_holders[3].periods[0].from``),
so a reshuffle edit that breaks the file fails loudly at start-up instead of silently flagging nothing.
All surfaces come out normalized (:mod:`crawler.topics.normalize`), ready to be compiled into matchers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from crawler.topics.normalize import Folder, base_normalize

# read through importlib.resources so the vocabulary loads from a zipped egg (scrapyd) too
DEFAULT_PATH: Traversable = resources.files("crawler.topics") / "vocabulary.yaml"
SIDES = ("jp", "us")


class VocabularyError(ValueError):
    """The vocabulary file is malformed; the message names the offending key."""


@dataclass(frozen=True)
class Period:
    role: str
    start: dt.date | None
    end: dt.date | None

    def covers(self, day: dt.date, margin_days: int) -> bool:
        margin = dt.timedelta(days=margin_days)
        return (self.start is None or day >= self.start - margin) and (
            self.end is None or day <= self.end + margin
        )


@dataclass(frozen=True)
class OfficeHolder:
    id: str
    side: str
    display: str
    names: tuple[str, ...]
    short_names: tuple[str, ...]
    periods: tuple[Period, ...]

    def role_on(self, day: dt.date | None, margin_days: int) -> str | None:
        """The role held on ``day`` (± margin); without a date, the latest role."""
        if day is None:
            return self.periods[-1].role
        for period in sorted(self.periods, key=lambda p: p.start or dt.date.min, reverse=True):
            if period.covers(day, margin_days):
                return period.role
        return None


@dataclass(frozen=True)
class Role:
    side: str
    id: str
    titles: tuple[str, ...]
    implied: tuple[str, ...]


@dataclass(frozen=True)
class MeetingType:
    id: str
    label: str
    surfaces: tuple[str, ...]
    jp_roles: tuple[str, ...]
    us_roles: tuple[str, ...]
    # count only right after the pair: 日米外相, 日米両防衛相, US-Japan defense chiefs
    pair_roles: tuple[str, ...] = ()
    # a negotiation that runs for months (関税交渉): news about it is not talks unless someone is named
    process: bool = False


@dataclass(frozen=True, eq=False)  # identity hash: compiled matchers are cached per vocabulary
class Vocabulary:
    margin_days: int
    folder: Folder
    roles: tuple[Role, ...]
    holders: tuple[OfficeHolder, ...]
    meeting_types: tuple[MeetingType, ...]
    meeting_words: tuple[str, ...]
    call_words: tuple[str, ...]
    pair_label: str
    pairs: tuple[str, ...]
    pair_not_after: str
    pair_max_gap: int
    markers: dict[str, tuple[str, ...]]
    leader_meetings: tuple[str, ...]
    forums: tuple[str, ...]
    forum_roles: tuple[str, ...]
    forum_meetings: tuple[str, ...]
    joint_forums: tuple[str, ...]
    separately: tuple[str, ...]
    other_pairs: tuple[str, ...]
    foreign_prefixes: tuple[str, ...]
    foreign_titles: tuple[str, ...]
    foreign_names: tuple[str, ...]
    countries: tuple[str, ...]
    vice_prefixes: dict[str, tuple[str, ...]]
    vice_words: tuple[str, ...]
    ambassador: tuple[str, ...]
    attendance: tuple[str, ...]
    back_prefixes: tuple[str, ...]
    back_max_gap: int
    preview_words: tuple[str, ...]
    title_qualifiers: tuple[str, ...]
    # also in meeting_words; kept apart so an explanation prefers 会談 to 一致
    agreement_words: tuple[str, ...] = ()
    # words that put a talk in the past of a background paragraph (先月, last month): see topics.position
    past_words: tuple[str, ...] = ()
    # an ambassador of one of the two countries to the other: their meetings are US–Japan diplomacy
    bilateral_ambassador: tuple[str, ...] = ()
    # where a visit takes a minister: 訪日 puts a visiting US secretary with Japan (visits["jp"])
    visits: dict[str, tuple[str, ...]] = field(default_factory=dict)
    visit_agenda: tuple[str, ...] = ()
    # the two governments' standing working-level forums (拡大抑止協議)
    vice_forums: tuple[str, ...] = ()
    # meeting words only outside a multilateral meeting's sentence ("discussed")
    discussion_words: tuple[str, ...] = ()
    # venues: each a tuple of spellings, the first naming it
    places: tuple[tuple[str, ...], ...] = ()

    def role(self, side: str, role_id: str) -> Role | None:
        return next((r for r in self.roles if r.side == side and r.id == role_id), None)

    def holder(self, holder_id: str) -> OfficeHolder | None:
        return next((h for h in self.holders if h.id == holder_id), None)


# --- reading helpers: each takes the key path so errors can name it ---------------------------------------


def _get(node: dict[str, Any], key: str, path: str, default: Any = ...) -> Any:
    if not isinstance(node, dict):
        raise VocabularyError(f"{path}: expected a mapping, got {type(node).__name__}")
    if key not in node:
        if default is ...:
            raise VocabularyError(f"{path}.{key}: missing" if path else f"{key}: missing")
        return default
    return node[key]


def _strings(value: Any, path: str, norm: Folder | None, allow_empty: bool = True) -> tuple[str, ...]:
    if value is None:
        value = []
    if not isinstance(value, list):
        raise VocabularyError(f"{path}: expected a list of strings, got {type(value).__name__}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str | int | float) or isinstance(item, bool) or not str(item).strip():
            raise VocabularyError(f"{path}[{i}]: expected a non-empty string, got {item!r}")
        text = base_normalize(str(item))
        out.append(norm(text) if norm else text)
    if not out and not allow_empty:
        raise VocabularyError(f"{path}: must not be empty")
    return tuple(dict.fromkeys(out))


def _int(value: Any, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise VocabularyError(f"{path}: expected a non-negative integer, got {value!r}")
    return value


def _date(value: Any, path: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise VocabularyError(f"{path}: expected a date like 2025-01-21, got {value!r}") from None


def _roles(node: Any, norm: Folder) -> tuple[Role, ...]:
    roles = []
    for side in SIDES:  # roles.qualifiers is read separately
        side_node = _get(node, side, "roles")
        if not isinstance(side_node, dict) or not side_node:
            raise VocabularyError(f"roles.{side}: expected a mapping of role ids")
        for role_id, spec in side_node.items():
            path = f"roles.{side}.{role_id}"
            roles.append(
                Role(
                    side,
                    str(role_id),
                    _strings(_get(spec, "titles", path), f"{path}.titles", norm, False),
                    _strings(_get(spec, "implied", path, []), f"{path}.implied", norm),
                )
            )
    return tuple(roles)


def _holders(node: Any, roles: tuple[Role, ...], norm: Folder) -> tuple[OfficeHolder, ...]:
    if not isinstance(node, list) or not node:
        raise VocabularyError("office_holders: expected a non-empty list")
    known = {(r.side, r.id) for r in roles}
    holders, seen = [], set()
    for i, spec in enumerate(node):
        path = f"office_holders[{i}]"
        hid = str(_get(spec, "id", path))
        if hid in seen:
            raise VocabularyError(f"{path}.id: duplicate id {hid!r}")
        seen.add(hid)
        side = _get(spec, "side", path)
        if side not in SIDES:
            raise VocabularyError(f"{path}.side: expected one of {SIDES}, got {side!r}")
        periods = []
        raw_periods = _get(spec, "periods", path)
        if not isinstance(raw_periods, list) or not raw_periods:
            raise VocabularyError(f"{path}.periods: expected a non-empty list")
        for j, p in enumerate(raw_periods):
            ppath = f"{path}.periods[{j}]"
            role = str(_get(p, "role", ppath))
            if role != "leader" and (side, role) not in known:
                raise VocabularyError(
                    f"{ppath}.role: unknown role {role!r} for side {side!r} (see roles.{side})"
                )
            start, end = (
                _date(_get(p, "from", ppath, None), f"{ppath}.from"),
                _date(p.get("to"), f"{ppath}.to"),
            )
            if start and end and end < start:
                raise VocabularyError(f"{ppath}: 'to' {end} is before 'from' {start}")
            periods.append(Period(role, start, end))
        periods.sort(key=lambda p: p.start or dt.date.min)
        names = _strings(_get(spec, "names", path), f"{path}.names", norm, False)
        short_names = _strings(spec.get("short_names"), f"{path}.short_names", norm)
        if side == "jp":  # English prints Japanese names in both orders: Yoshimasa Hayashi, HAYASHI Yoshimasa
            names = tuple(dict.fromkeys(names + tuple(_reversed_names(names))))
        holders.append(
            OfficeHolder(
                hid,
                side,
                str(_get(spec, "display", path, names[0])),
                names,
                short_names,
                tuple(periods),
            )
        )
    return tuple(holders)


def _places(node: Any, norm: Folder) -> tuple[tuple[str, ...], ...]:
    if node is None:
        return ()
    if not isinstance(node, list):
        raise VocabularyError("places: expected a list of lists of spellings")
    return tuple(_strings(group, f"places[{i}]", norm, False) for i, group in enumerate(node))


def _reversed_names(names: tuple[str, ...]) -> list[str]:
    """Given name + family name in Latin letters, also family name first."""
    parts = [name.split(" ") for name in names if name.isascii()]
    return [f"{p[1]} {p[0]}" for p in parts if len(p) == 2 and all(w.isalpha() for w in p)]


def _meeting_types(node: Any, roles: tuple[Role, ...], norm: Folder) -> tuple[MeetingType, ...]:
    if not isinstance(node, list) or not node:
        raise VocabularyError("meeting_types: expected a non-empty list")
    known = {(r.side, r.id) for r in roles}
    out = []
    for i, spec in enumerate(node):
        path = f"meeting_types[{i}]"
        role_spec = _get(spec, "roles", path, {}) or {}
        by_side = {}
        for side in SIDES:
            ids = _strings(role_spec.get(side), f"{path}.roles.{side}", None)
            for rid in ids:
                if (side, rid) not in known:
                    raise VocabularyError(f"{path}.roles.{side}: unknown role {rid!r}")
            by_side[side] = ids
        out.append(
            MeetingType(
                str(_get(spec, "id", path)),
                str(_get(spec, "label", path)),
                _strings(_get(spec, "surfaces", path), f"{path}.surfaces", norm, False),
                by_side["jp"],
                by_side["us"],
                _strings(spec.get("pair_roles"), f"{path}.pair_roles", norm, True),
                bool(spec.get("process", False)),
            )
        )
    return tuple(out)


def parse_vocabulary(data: Any) -> Vocabulary:
    """Validate a parsed YAML document and build the :class:`Vocabulary`."""
    if not isinstance(data, dict):
        raise VocabularyError("top level: expected a mapping")
    folds = _get(data, "folds", "", {}) or {}
    if not isinstance(folds, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in folds.items()
    ):
        raise VocabularyError("folds: expected a mapping of variant -> canonical strings")
    norm = Folder(folds)
    roles = _roles(_get(data, "roles", ""), norm)

    def strings(key: str, path: str | None = None, required: bool = True) -> tuple[str, ...]:
        node: Any = data
        parts = (path or key).split(".")
        for depth, part in enumerate(parts):
            node = _get(node, part, ".".join(parts[:depth]), ... if required else [])
        return _strings(node, path or key, norm, not required)

    pair = _get(data, "pair", "")
    back = _get(data, "back_references", "")
    return Vocabulary(
        margin_days=_int(_get(data, "period_margin_days", ""), "period_margin_days"),
        folder=norm,
        roles=roles,
        holders=_holders(_get(data, "office_holders", ""), roles, norm),
        meeting_types=_meeting_types(_get(data, "meeting_types", ""), roles, norm),
        meeting_words=strings("meeting_words") + strings("agreement_words", required=False),
        call_words=strings("call_words"),
        pair_label=str(_get(pair, "label", "pair")),
        pairs=strings("pair", "pair.surfaces"),
        pair_not_after=str(_get(pair, "not_after", "pair", "")),
        pair_max_gap=_int(_get(pair, "max_gap", "pair", 4), "pair.max_gap"),
        markers={side: strings("markers", f"markers.{side}") for side in SIDES},
        leader_meetings=strings("leaders", "leaders.meetings"),
        forums=strings("multilateral", "multilateral.forums"),
        forum_roles=strings("multilateral", "multilateral.roles", required=False),
        forum_meetings=strings("multilateral", "multilateral.meetings", required=False),
        joint_forums=strings("multilateral", "multilateral.joint", required=False),
        separately=strings("separately", required=False),
        other_pairs=strings("other_countries", "other_countries.pairs"),
        foreign_prefixes=strings("other_countries", "other_countries.prefixes_ja")
        + strings("other_countries", "other_countries.prefixes_en"),
        foreign_titles=strings("other_countries", "other_countries.titles"),
        foreign_names=strings("other_countries", "other_countries.names", required=False),
        countries=strings("other_countries", "other_countries.countries", required=False),
        vice_prefixes={side: strings("vice", f"vice.prefixes.{side}") for side in SIDES},
        vice_words=strings("vice", "vice.words"),
        ambassador=strings("ambassador", required=False),
        attendance=strings("attendance", required=False),
        back_prefixes=strings("back_references", "back_references.prefixes"),
        back_max_gap=_int(_get(back, "max_gap", "back_references", 6), "back_references.max_gap"),
        preview_words=strings("preview_words", required=False),
        title_qualifiers=strings("roles", "roles.qualifiers", required=False),
        agreement_words=strings("agreement_words", required=False),
        past_words=strings("past_words", required=False),
        bilateral_ambassador=strings("bilateral_ambassador", required=False),
        visits={side: strings("visits", f"visits.{side}", required=False) for side in SIDES},
        visit_agenda=strings("visit_agenda", required=False),
        vice_forums=strings("vice", "vice.forums", required=False),
        discussion_words=strings("discussion_words", required=False),
        places=_places(data.get("places"), norm),
    )


def load_vocabulary(path: str | Path | Traversable | None = None) -> Vocabulary:
    """Read and validate a vocabulary file (default: the packaged ``vocabulary.yaml``)."""
    path = Path(path) if isinstance(path, str) else (path or DEFAULT_PATH)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise VocabularyError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return parse_vocabulary(data)
    except VocabularyError as exc:
        raise VocabularyError(f"{path}: {exc}") from None


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    return load_vocabulary(DEFAULT_PATH)
