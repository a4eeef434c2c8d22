"""The service configuration: one TOML file (``deploy/talkwatch.example.toml`` documents every key).

Every key has a default, so an empty file (or none) gives a working monitor of all outlets.
Secrets never live in this file: a delivery channel names the *environment variable* that
holds its password, token or secret URL (``password_env``, ``token_env``, ``url_env``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crawler.errors import ConfigError as _CliConfigError
from crawler.outlets import OUTLET_NAMES

# minutes between crawls: wires publish often, the ministry a few times a day
DEFAULT_INTERVALS = {"jiji": 20, "nhk": 30, "reuters": 30, "mofa": 120}
CHANNEL_KINDS = ("file", "email", "webhook", "apprise")
REPORT_FORMATS = ("md", "html", "json", "atom")


class ConfigError(_CliConfigError):
    """A bad key or value; the message names the key and what would be accepted (CLI exit code 2)."""


@dataclass
class OutletConfig:
    name: str
    interval_minutes: float
    enabled: bool = True
    timeout_minutes: float = 30.0


@dataclass
class HealthConfig:
    silent_intervals: float = 3.0  # alarm when an outlet has no successful run for this many intervals
    coverage_drop: float = 0.3  # alarm when a field's coverage falls this far below the recent median
    recent_runs: int = 5  # how many earlier runs make "recent"
    blocked_ratio: float = 0.5  # alarm when more than this share of a run's responses were bot walls


@dataclass
class ChannelConfig:
    name: str
    kind: str  # file, email, webhook, apprise
    format: str = "md"
    # file
    path: str = ""
    # email
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    starttls: bool = False
    username: str = ""
    password_env: str = "TALKWATCH_SMTP_PASSWORD"
    sender: str = "talkwatch@localhost"
    to: list[str] = field(default_factory=list)
    # webhook / apprise
    url: str = ""
    url_env: str = ""
    token_env: str = ""
    timeout_seconds: float = 20.0
    # retries: attempts in all, the first wait, doubling after each failure
    attempts: int = 4
    backoff_seconds: float = 2.0
    send_empty: bool = False  # also send when there is nothing new (health alarms are always sent)

    @property
    def channel_id(self) -> str:
        """What ``Store.mark_delivered`` records: an alert goes to each channel once."""
        return f"{self.kind}:{self.name}"

    def secret(self, env_name: str) -> str | None:
        return os.environ.get(env_name) if env_name else None

    def target_url(self) -> str:
        return (self.secret(self.url_env) if self.url_env else None) or self.url


@dataclass
class Config:
    database_url: str = ""  # empty: TALKWATCH_DATABASE_URL, else the embedded SQLite file
    mirror_url: str = ""  # crawl the local mirror instead of the live sites
    misfire_grace_minutes: float = 10.0
    progress_seconds: float = 60.0  # a progress line per running crawl this often
    stop_grace_seconds: float = 60.0  # on SIGTERM, how long a running crawl may take to close cleanly
    outlets: dict[str, OutletConfig] = field(default_factory=dict)
    revisit_minutes: float = 15.0
    revisit_enabled: bool = True
    report_minutes: float = 60.0
    report_dir: str = "var/reports"
    report_formats: list[str] = field(default_factory=lambda: ["md", "html"])
    health: HealthConfig = field(default_factory=HealthConfig)
    channels: list[ChannelConfig] = field(default_factory=list)

    def enabled_outlets(self) -> list[OutletConfig]:
        return [o for o in self.outlets.values() if o.enabled]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the scheduler's persisted jobs carry it; it pickles)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        data = dict(data)
        data["outlets"] = {k: OutletConfig(**v) for k, v in data.get("outlets", {}).items()}
        data["health"] = HealthConfig(**data.get("health", {}))
        data["channels"] = [ChannelConfig(**c) for c in data.get("channels", [])]
        return cls(**data)


def load_config(path: str | Path | None = None) -> Config:
    """Read ``path`` (TOML); ``None`` or a missing default file gives the defaults."""
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"config file {path} does not exist (see deploy/talkwatch.example.toml)")
        try:
            raw = tomllib.loads(path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    return parse_config(raw)


def parse_config(raw: dict[str, Any]) -> Config:
    _only(raw, "", {"talkwatch", "outlets", "revisit", "report", "health", "delivery"})
    top = _table(raw, "talkwatch")
    _only(top, "talkwatch.", {"database_url", "mirror_url", "misfire_grace_minutes", "progress_seconds",
                              "stop_grace_seconds"})
    config = Config(
        database_url=str(top.get("database_url", "")),
        mirror_url=str(top.get("mirror_url", "")),
        misfire_grace_minutes=_positive(top, "talkwatch.", "misfire_grace_minutes", 10.0),
        progress_seconds=_positive(top, "talkwatch.", "progress_seconds", 60.0),
        stop_grace_seconds=_positive(top, "talkwatch.", "stop_grace_seconds", 60.0),
    )
    outlets = _table(raw, "outlets")
    unknown = set(outlets) - set(OUTLET_NAMES)
    if unknown:
        raise ConfigError(f"[outlets.{sorted(unknown)[0]}]: unknown outlet; known: {', '.join(OUTLET_NAMES)}")
    for name in OUTLET_NAMES:
        table = outlets.get(name, {})
        prefix = f"outlets.{name}."
        _only(table, prefix, {"interval_minutes", "enabled", "timeout_minutes"})
        config.outlets[name] = OutletConfig(
            name=name,
            interval_minutes=_positive(table, prefix, "interval_minutes", DEFAULT_INTERVALS.get(name, 60)),
            enabled=bool(table.get("enabled", True)),
            timeout_minutes=_positive(table, prefix, "timeout_minutes", 30.0),
        )
    revisit = _table(raw, "revisit")
    _only(revisit, "revisit.", {"interval_minutes", "enabled"})
    config.revisit_minutes = _positive(revisit, "revisit.", "interval_minutes", 15.0)
    config.revisit_enabled = bool(revisit.get("enabled", True))
    report = _table(raw, "report")
    _only(report, "report.", {"interval_minutes", "dir", "formats"})
    config.report_minutes = _positive(report, "report.", "interval_minutes", 60.0)
    config.report_dir = str(report.get("dir", config.report_dir))
    formats = report.get("formats", config.report_formats)
    config.report_formats = [_format(f, "report.formats") for f in formats]
    health = _table(raw, "health")
    _only(health, "health.", set(HealthConfig.__dataclass_fields__))
    config.health = HealthConfig(
        silent_intervals=_positive(health, "health.", "silent_intervals", 3.0),
        coverage_drop=_positive(health, "health.", "coverage_drop", 0.3),
        recent_runs=int(_positive(health, "health.", "recent_runs", 5)),
        blocked_ratio=_positive(health, "health.", "blocked_ratio", 0.5),
    )
    deliveries = raw.get("delivery", [])
    if not isinstance(deliveries, list):
        raise ConfigError("delivery: use [[delivery]] tables, one per channel")
    names: set[str] = set()
    for index, table in enumerate(deliveries):
        config.channels.append(_channel(table, index))
        if config.channels[-1].name in names:
            raise ConfigError(f"delivery[{index}].name {config.channels[-1].name!r} is used twice")
        names.add(config.channels[-1].name)
    return config


def _channel(table: dict[str, Any], index: int) -> ChannelConfig:
    prefix = f"delivery[{index}]."
    known = set(ChannelConfig.__dataclass_fields__)
    _only(table, prefix, known | {"password", "token"})
    for secret in ("password", "token"):
        if secret in table:
            raise ConfigError(f"{prefix}{secret}: secrets are not read from files; put it in an environment "
                              f"variable and name that variable in {prefix}{secret}_env")
    kind = table.get("kind")
    if kind not in CHANNEL_KINDS:
        raise ConfigError(f"{prefix}kind must be one of {', '.join(CHANNEL_KINDS)} (got {kind!r})")
    values = {k: v for k, v in table.items() if k in known}
    values.setdefault("name", f"{kind}{index}")
    channel = ChannelConfig(**values)
    channel.format = _format(channel.format, f"{prefix}format")
    if kind == "file" and not channel.path:
        raise ConfigError(f"{prefix}path: a file channel needs a path")
    if kind == "email" and not channel.to:
        raise ConfigError(f"{prefix}to: an email channel needs at least one recipient")
    if kind in ("webhook", "apprise") and not (channel.url or channel.url_env):
        raise ConfigError(f"{prefix}url or url_env: a {kind} channel needs a URL")
    if kind == "apprise" and channel.url and not _apprise_understands(channel.url):
        raise ConfigError(f"{prefix}url: apprise does not understand this URL; see the apprise wiki for the "
                          "form of your service's URL (e.g. mailto://, slack://, json://host/path)")
    return channel


def _apprise_understands(url: str) -> bool:
    import apprise  # imported here: loading its plugins costs time every CLI call would pay

    return apprise.Apprise.instantiate(url, suppress_exceptions=True) is not None


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table")
    return value


def _only(table: dict[str, Any], prefix: str, known: set[str]) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(f"{prefix}{key}: unknown key; known: {', '.join(sorted(known))}")


def _positive(table: dict[str, Any], prefix: str, key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{prefix}{key} must be a positive number (got {value!r})")
    return float(value)


def _format(value: Any, key: str) -> str:
    if value not in REPORT_FORMATS:
        raise ConfigError(f"{key}: {value!r} is not a report format; use one of {', '.join(REPORT_FORMATS)}")
    return str(value)
