"""The service configuration: one TOML file (``deploy/talkwatch.example.toml`` documents every key).

Every key has a default, so an empty file (or none) gives a working monitor of all outlets.
Secrets never live in this file: a delivery channel names the *environment variable* that
holds its password, token or secret URL (``password_env``, ``token_env``, ``url_env``).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.errors import ConfigError
from crawler.outlets import OUTLET_NAMES

CHANNEL_KINDS = ("file", "email", "webhook", "apprise")
REPORT_FORMATS = ("md", "html", "json", "atom", "text")
WEEK_MINUTES = 7 * 24 * 60
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CHANNEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\\\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*")


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
    enabled: bool = True  # a disabled channel is checked but never sent to

    @property
    def channel_id(self) -> str:
        """What ``store.alerts.mark_delivered`` records: an alert goes to each channel once."""
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

    def enabled_channels(self) -> list[ChannelConfig]:
        return [c for c in self.channels if c.enabled]

    def channel(self, name: str) -> ChannelConfig | None:
        """The ``[[delivery]]`` channel called ``name`` (or whose ``kind:name`` id it is)."""
        return next((c for c in self.channels if name in (c.name, c.channel_id)), None)

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


def load_config(path: str | Path | None = None, sending: bool = True) -> Config:
    """Read ``path`` (TOML); ``None`` gives the defaults. Every fault is one :class:`ConfigError`.

    ``sending``: also require every environment variable an enabled channel names (the monitor, a
    delivery); a command that only reads (``status``, a report view) passes ``False``."""
    raw: dict[str, Any] = {}
    if path is not None:
        raw = _read_toml(Path(path))
    return parse_config(raw, sending)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist (see deploy/talkwatch.example.toml)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                          f"{exc.start}); save it as UTF-8") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def parse_config(raw: dict[str, Any], sending: bool = True) -> Config:
    """Check every key once, with its type and range; the first fault raises :class:`ConfigError`."""
    _only(raw, "", {"talkwatch", "outlets", "revisit", "report", "health", "delivery"})
    config = _top(_table(raw, "talkwatch", "talkwatch"))
    config.outlets = _outlets(_table(raw, "outlets", "outlets"))
    revisit = _table(raw, "revisit", "revisit")
    _only(revisit, "revisit.", {"interval_minutes", "enabled"})
    config.revisit_minutes = _interval(revisit, "revisit.", "interval_minutes", 15.0)
    config.revisit_enabled = _bool(revisit, "revisit.", "enabled", True)
    _report(_table(raw, "report", "report"), config)
    config.health = _health(_table(raw, "health", "health"))
    config.channels = _channels(raw.get("delivery", []), sending)
    return config


def _top(top: dict[str, Any]) -> Config:
    p = "talkwatch."
    _only(top, p, {"database_url", "mirror_url", "misfire_grace_minutes", "progress_seconds",
                   "stop_grace_seconds"})
    mirror_url = _string(top, p, "mirror_url", "")
    if mirror_url:
        _check_url(mirror_url, f"{p}mirror_url", ("http", "https"))
    return Config(
        database_url=_string(top, p, "database_url", ""),
        mirror_url=mirror_url,
        misfire_grace_minutes=_number(top, p, "misfire_grace_minutes", 10.0, 1, WEEK_MINUTES, "minutes"),
        progress_seconds=_number(top, p, "progress_seconds", 60.0, 0.1, 86400, "seconds"),
        stop_grace_seconds=_number(top, p, "stop_grace_seconds", 60.0, 1, 3600, "seconds"),
    )


def check_politeness(config: Config) -> None:
    """Crawl intervals under a minute are for the local mirror (a soak, a demo), never the live sites."""
    if config.mirror_url:
        return
    for outlet in config.enabled_outlets():
        if outlet.interval_minutes < 1:
            raise ConfigError(f"outlets.{outlet.name}.interval_minutes = {outlet.interval_minutes:g}: a live "
                              "site is crawled at most once a minute (shorter intervals need mirror_url)")


def default_interval(outlet: str) -> int:
    """Minutes between crawls when the config names none: the outlet's own ``default_interval_minutes``
    (wires publish often, the ministry a few times a day)."""
    from crawler.outlets import get_outlet

    return get_outlet(outlet).OUTLET.default_interval_minutes


def _outlets(outlets: dict[str, Any]) -> dict[str, OutletConfig]:
    unknown = set(outlets) - set(OUTLET_NAMES)
    if unknown:
        raise ConfigError(f"[outlets.{sorted(unknown)[0]}]: unknown outlet; known: {', '.join(OUTLET_NAMES)}")
    result: dict[str, OutletConfig] = {}
    for name in OUTLET_NAMES:
        table = _table(outlets, name, f"outlets.{name}")
        prefix = f"outlets.{name}."
        _only(table, prefix, {"interval_minutes", "enabled", "timeout_minutes"})
        result[name] = OutletConfig(
            name=name,
            interval_minutes=_interval(table, prefix, "interval_minutes", default_interval(name)),
            enabled=_bool(table, prefix, "enabled", True),
            timeout_minutes=_number(table, prefix, "timeout_minutes", 30.0, 1, 24 * 60, "minutes"),
        )
    return result


def _report(report: dict[str, Any], config: Config) -> None:
    _only(report, "report.", {"interval_minutes", "dir", "formats"})
    config.report_minutes = _interval(report, "report.", "interval_minutes", 60.0)
    config.report_dir = _string(report, "report.", "dir", config.report_dir, required=True)
    formats = _list(report, "report.", "formats", config.report_formats)
    config.report_formats = [_format(f, "report.formats") for f in formats]


def _health(health: dict[str, Any]) -> HealthConfig:
    p = "health."
    _only(health, p, set(HealthConfig.__dataclass_fields__))
    return HealthConfig(
        silent_intervals=_number(health, p, "silent_intervals", 3.0, 1, 1000, "intervals"),
        coverage_drop=_number(health, p, "coverage_drop", 0.3, 0.01, 1, "(a share)"),
        recent_runs=_integer(health, p, "recent_runs", 5, 1, 1000),
        blocked_ratio=_number(health, p, "blocked_ratio", 0.5, 0.01, 1, "(a share)"),
    )


def _channels(deliveries: Any, sending: bool) -> list[ChannelConfig]:
    if not isinstance(deliveries, list) or not all(isinstance(t, dict) for t in deliveries):
        raise ConfigError("delivery: use [[delivery]] tables, one per channel")
    channels: list[ChannelConfig] = []
    for index, table in enumerate(deliveries):
        channel = _channel(table, index, sending)
        if any(c.name == channel.name for c in channels):
            raise ConfigError(f"delivery[{index}].name {channel.name!r} is used twice")
        channels.append(channel)
    return channels


def _channel(table: dict[str, Any], index: int, sending: bool) -> ChannelConfig:
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
    channel = ChannelConfig(name=_channel_name(table, prefix, f"{kind}{index}"), kind=kind,
                            **_channel_values(table, prefix))
    _check_channel_target(channel, prefix, sending)
    return channel


def _channel_name(table: dict[str, Any], prefix: str, default: str) -> str:
    name = _string(table, prefix, "name", default, required=True)
    if not _CHANNEL_NAME.fullmatch(name):
        raise ConfigError(f"{prefix}name {name!r}: use letters, digits, '.', '_' and '-' "
                          "(it is what `talkwatch report --channel` takes)")
    return name


def _channel_values(t: dict[str, Any], p: str) -> dict[str, Any]:
    """Every key of a channel but its name and kind, each checked for type and range."""
    d = ChannelConfig("", "")
    return {
        "format": _format(_string(t, p, "format", d.format), f"{p}format"),
        "path": _string(t, p, "path", ""),
        "smtp_host": _string(t, p, "smtp_host", d.smtp_host, required=True),
        "smtp_port": _integer(t, p, "smtp_port", d.smtp_port, 1, 65535),
        "starttls": _bool(t, p, "starttls", d.starttls),
        "username": _string(t, p, "username", ""),
        "password_env": _env_name(t, p, "password_env", d.password_env),
        "sender": _address(_string(t, p, "sender", d.sender, required=True), f"{p}sender"),
        "to": [_address(a, f"{p}to") for a in _list(t, p, "to", [])],
        "url": _string(t, p, "url", ""),
        "url_env": _env_name(t, p, "url_env", ""),
        "token_env": _env_name(t, p, "token_env", ""),
        "timeout_seconds": _number(t, p, "timeout_seconds", d.timeout_seconds, 1, 600, "seconds"),
        "attempts": _integer(t, p, "attempts", d.attempts, 1, 20),
        "backoff_seconds": _number(t, p, "backoff_seconds", d.backoff_seconds, 0, 3600, "seconds"),
        "send_empty": _bool(t, p, "send_empty", d.send_empty),
        "enabled": _bool(t, p, "enabled", True),
    }


def _check_channel_target(channel: ChannelConfig, prefix: str, sending: bool) -> None:
    """What the channel's kind needs; its environment variables only when it is enabled and will send."""
    kind = channel.kind
    if kind == "file" and not channel.path:
        raise ConfigError(f"{prefix}path: a file channel needs a path")
    if kind == "email" and not channel.to:
        raise ConfigError(f"{prefix}to: an email channel needs at least one recipient")
    if kind in ("webhook", "apprise") and not (channel.url or channel.url_env):
        raise ConfigError(f"{prefix}url or url_env: a {kind} channel needs a URL")
    if channel.url:
        _check_target_url(channel.url, kind, f"{prefix}url")
    if not (channel.enabled and sending):
        return
    if channel.url_env:
        _check_target_url(_env_value(channel.url_env, f"{prefix}url_env"), kind,
                          f"{prefix}url_env (the URL in ${channel.url_env})", secret=True)
    if channel.token_env:
        _env_value(channel.token_env, f"{prefix}token_env")
    if kind == "email" and channel.username:
        _env_value(channel.password_env, f"{prefix}password_env (the SMTP password for {channel.username})")


def _check_target_url(url: str, kind: str, key: str, secret: bool = False) -> None:
    if kind == "webhook":
        _check_url(url, key, ("http", "https"), secret=secret)
    elif kind == "apprise" and not _apprise_understands(url):
        raise ConfigError(f"{key}: apprise does not understand this URL; see the apprise wiki for the "
                          "form of your service's URL (e.g. mailto://, slack://, json://host/path)")


def _env_value(name: str, key: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ConfigError(f"{key}: the environment variable {name} is not set")
    return value


def _apprise_understands(url: str) -> bool:
    import apprise  # imported here: loading its plugins costs time every CLI call would pay

    return apprise.Apprise.instantiate(url, suppress_exceptions=True) is not None


# --- typed readers: each names its key in the error ------------------------------------------------------

def _table(raw: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a table, written [{name}] with its keys below it (got {value!r})")
    return value


def _only(table: dict[str, Any], prefix: str, known: set[str]) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(f"{prefix}{key}: unknown key; known: {', '.join(sorted(known))}")


def _bool(table: dict[str, Any], prefix: str, key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{prefix}{key} must be true or false, without quotes (got {value!r})")
    return value


def _string(table: dict[str, Any], prefix: str, key: str, default: str, required: bool = False) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{prefix}{key} must be a string in quotes (got {value!r})")
    if required and not value.strip():
        raise ConfigError(f"{prefix}{key} must not be empty")
    return value


def _list(table: dict[str, Any], prefix: str, key: str, default: list[str]) -> list[str]:
    value = table.get(key, default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f'{prefix}{key} must be a list of strings, e.g. {key} = ["…"] (got {value!r})')
    return list(value)


def _number(table: dict[str, Any], prefix: str, key: str, default: float, low: float, high: float,
            unit: str) -> float:
    value = table.get(key, default)
    ok = (not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
          and low <= value <= high)
    if not ok:
        what = "a positive number" if low > 0 else "a number"
        raise ConfigError(f"{prefix}{key} must be {what} from {low:g} to {high:g} {unit} (got {value!r})")
    return float(value)


# the shortest interval of a job: a fraction of a minute is for a mirror or a test soak, not a live site
MIN_INTERVAL_MINUTES = 0.1


def _interval(table: dict[str, Any], prefix: str, key: str, default: float) -> float:
    return _number(table, prefix, key, default, MIN_INTERVAL_MINUTES, WEEK_MINUTES, "minutes (one week)")


def _integer(table: dict[str, Any], prefix: str, key: str, default: int, low: int, high: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{prefix}{key} must be a whole number from {low} to {high} (got {value!r})")
    return value


def _env_name(table: dict[str, Any], prefix: str, key: str, default: str) -> str:
    value = _string(table, prefix, key, default)
    if value and not _ENV_NAME.fullmatch(value):
        raise ConfigError(f"{prefix}{key} must name an environment variable (letters, digits, '_'), "
                          f"not hold a value (got {value[:40]!r})")
    return value


def _address(value: str, key: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ConfigError(f"{key}: {value[:80]!r} is not an e-mail address (name@example.org)")
    return value


def _check_url(url: str, key: str, schemes: tuple[str, ...], secret: bool = False) -> None:
    shown = "" if secret else f" {url[:120]!r}"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 -- a bad port raises here
    except ValueError:
        raise ConfigError(f"{key}:{shown} is not a URL") from None
    if parts.scheme.lower() not in schemes or not host or any(c in url for c in " \t\r\n\x00"):
        raise ConfigError(f"{key}:{shown} must be an {'/'.join(schemes)} URL with a host, "
                          f"e.g. https://host/path")


def _format(value: Any, key: str) -> str:
    if value not in REPORT_FORMATS:
        raise ConfigError(f"{key}: {value!r} is not a report format; use one of {', '.join(REPORT_FORMATS)}")
    return str(value)
