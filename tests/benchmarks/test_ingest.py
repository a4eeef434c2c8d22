"""The ingest benchmark runs end to end at a tiny size and prints its figures as JSON (not timed)."""

from __future__ import annotations

import json

import pytest

from tests.benchmarks.ingest import main

pytestmark = pytest.mark.slow


def test_benchmark_prints_its_figures(capsys: pytest.CaptureFixture[str]):
    figures = main(["--pages", "30", "--neardup-sizes", "200,2000"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == json.loads(json.dumps(figures))
    for key in ("ingest_pages_per_s", "baseline_pages_per_s", "peak_rss_mb", "second_poll_bytes_ratio",
                "second_poll_new_versions", "neardup_10k_ms", "neardup_100k_ms"):
        assert figures[key] is not None, key
    assert figures["ingest_pages_per_s"] > 0 and figures["baseline_pages_per_s"] > 0
    assert figures["peak_rss_mb"] > 0  # the crawl process
    # an unchanged mirror: every article answers 304 and nothing new is stored
    assert figures["second_poll_articles_304"] == 30
    assert figures["second_poll_new_versions"] == 0
    assert figures["second_poll_bytes_ratio"] < 0.05
    # the corrections are stored, each diff well under its body's size
    assert figures["corrected_pages"] > 0
    assert figures["correction_diffs"]["corrections"] == figures["corrected_pages"]
    assert figures["correction_diff_ratio"] <= 0.3
