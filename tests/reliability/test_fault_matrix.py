"""The fault matrix: real crawls of the fault site; every fault handled (one test per fault)."""

from __future__ import annotations

import argparse
import json

import pytest

from crawler.cli import selftest as command
from crawler.service.selftest import FAULTS, FaultResult, run_fault_matrix

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def matrix() -> dict[str, FaultResult]:
    return {result.fault: result for result in run_fault_matrix()}


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_fault_is_handled(matrix: dict[str, FaultResult], fault) -> None:  # type: ignore[no-untyped-def]
    result = matrix[fault.name]
    assert not result.crashed
    assert result.outcome == fault.outcome, result.reason
    assert result.versions_written == fault.versions
    assert result.retried == fault.retried
    assert result.handled, result.problems


@pytest.mark.parametrize("fault", [f for f in FAULTS if f.versions == 0], ids=lambda f: f.name)
def test_a_refused_page_records_its_reason(matrix: dict[str, FaultResult], fault) -> None:  # type: ignore[no-untyped-def]
    assert matrix[fault.name].reason  # the fetch log says why nothing was stored


def test_command_prints_the_table_and_json_last(matrix: dict[str, FaultResult], monkeypatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(command, "run_fault_matrix", lambda db=None: list(matrix.values()))
    code = command.run(argparse.Namespace(suite="faults", json=True, db=None))
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert lines[0].split()[:4] == ["fault", "outcome", "versions", "retried"]
    rows = json.loads(lines[-1])
    assert [row["fault"] for row in rows] == [fault.name for fault in FAULTS]
    assert all(set(row) == {"fault", "outcome", "versions_written", "retried", "crashed"} for row in rows)
    assert f"{len(FAULTS)}/{len(FAULTS)} faults handled" in lines[-2]
