"""The dashboard benchmark runs end to end at a tiny size and prints its figures (nothing is timed)."""

from __future__ import annotations

import json

import pytest

from tests.benchmarks.dashboard import main

pytestmark = pytest.mark.slow


def test_dashboard_benchmark_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    figures = main(["--articles", "600", "--repeat", "2"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == json.loads(json.dumps(figures, ensure_ascii=False))
    assert figures["articles"] == 600 and figures["versions"] > 600 and figures["threads"] > 0
    assert {"talks", "talk", "article", "edits", "health", "search JA (common)", "search EN"} <= set(
        figures["pages"])
    assert all(f["p95_ms"] > 0 for f in figures["pages"].values())
