"""The service configuration: defaults, the documented example, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.cli import main
from crawler.outlets import get_outlet
from crawler.service.config import ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "talkwatch.example.toml"


def test_defaults_without_a_file() -> None:
    config = load_config(None)
    assert {o.name: o.interval_minutes for o in config.enabled_outlets()} == {
        o.name: get_outlet(o.name).OUTLET.default_interval_minutes for o in config.enabled_outlets()}
    assert (config.revisit_minutes, config.report_minutes, config.misfire_grace_minutes) == (15, 60, 10)
    assert config.channels == []


def test_example_documents_the_defaults() -> None:
    example = load_config(EXAMPLE)
    defaults = parse_config({})
    example_without_channels = example.to_dict() | {"channels": []}
    assert example_without_channels == defaults.to_dict()
    assert [c.channel_id for c in example.channels] == ["file:desk-file", "email:desk-mail",
                                                        "webhook:newsroom-hook", "apprise:chat"]


def test_example_enables_no_live_channel_and_documents_every_key() -> None:
    example = load_config(EXAMPLE)
    assert example.channels and example.enabled_channels() == []
    text = EXAMPLE.read_text("utf-8")
    from crawler.service.config import ChannelConfig, HealthConfig, OutletConfig

    keys = (set(ChannelConfig.__dataclass_fields__) | set(HealthConfig.__dataclass_fields__)
            | set(OutletConfig.__dataclass_fields__)) - {"name"}
    undocumented = sorted(k for k in keys if f"{k} =" not in text and f"{k} (" not in text)
    assert undocumented == []


def test_round_trip_through_plain_data() -> None:
    config = load_config(EXAMPLE)
    assert type(config).from_dict(config.to_dict()) == config


@pytest.mark.parametrize(("raw", "message"), [
    ({"outlets": {"asahi": {}}}, "unknown outlet"),
    ({"outlets": {"jiji": {"interval_minutes": 0}}}, "outlets.jiji.interval_minutes must be a positive"),
    ({"outlets": {"jiji": {"intervall": 5}}}, "outlets.jiji.intervall: unknown key"),
    ({"report": {"formats": ["pdf"]}}, "report.formats"),
    ({"delivery": [{"kind": "fax"}]}, "delivery[0].kind"),
    ({"delivery": [{"kind": "webhook", "token": "abc"}]}, "secrets are not read from files"),
    ({"delivery": [{"kind": "file"}]}, "delivery[0].path"),
])
def test_errors_name_the_key(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_config(raw)


def test_cli_exit_code_2_on_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[outlets.jiji]\ninterval_minutes = -1\n", encoding="utf-8")
    assert main(["status", "--config", str(bad), "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}"]) == 2
    assert "interval_minutes must be a positive number" in capsys.readouterr().err


def test_a_live_site_is_never_crawled_more_than_once_a_minute(tmp_path):
    # short intervals are for a soak on the local mirror; the monitor refuses them for the live sites
    config = tmp_path / "fast.toml"
    config.write_text("[outlets.jiji]\ninterval_minutes = 0.2\n", encoding="utf-8")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "crawler.cli", "monitor", "--config", str(config),
                           "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2, done.stderr
    assert "outlets.jiji.interval_minutes" in done.stderr and "mirror_url" in done.stderr
