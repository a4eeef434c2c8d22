"""The deployment files that cannot run here (no container engine) are at least well-formed and consistent."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROOT = DEPLOY.parent


def test_containerfile_copies_what_exists() -> None:
    lines = (DEPLOY / "Containerfile").read_text("utf-8").splitlines()
    copies = [line.split()[1:-1] for line in lines if line.startswith("COPY ")]
    sources = [src for srcs in copies for src in srcs]
    assert sources and all((ROOT / src).exists() for src in sources), sources
    assert any('"monitor"' in line for line in lines if line.startswith("CMD"))


def test_compose_has_monitor_and_postgres() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
    services = compose["services"]
    assert services["db"]["image"].split("/")[-1].startswith("postgres:")
    monitor = services["monitor"]
    assert (ROOT / monitor["build"]["dockerfile"]).exists()
    assert monitor["environment"]["TALKWATCH_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert monitor["depends_on"]["db"]["condition"] == "service_healthy"
    # secrets come from the environment, none is written in the file
    assert "${POSTGRES_PASSWORD" in services["db"]["environment"]["POSTGRES_PASSWORD"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_unit_verifies(tmp_path: Path) -> None:
    talkwatch = str(Path(sys.executable).with_name("talkwatch"))
    if not Path(talkwatch).exists():
        pytest.skip("the talkwatch console script is not installed")
    unit = (DEPLOY / "talkwatch-monitor.service").read_text("utf-8")
    assert "ExecStart=/opt/talkwatch/bin/talkwatch monitor --config" in unit
    local = tmp_path / "talkwatch-monitor.service"
    local.write_text(unit.replace("/opt/talkwatch/bin/talkwatch", talkwatch), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True)
    problems = [line for line in done.stderr.splitlines() if "talkwatch-monitor.service" in line]
    assert done.returncode == 0 and not problems, done.stderr
