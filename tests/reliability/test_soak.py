"""Long runs for `make soak` (marked ``bench``: excluded from the default test run)."""

from __future__ import annotations

import json

import pytest

from benchmarks import load_bench

pytestmark = [pytest.mark.bench, pytest.mark.slow]


def test_fifty_http_clients_twenty_turns_each_lose_no_turn() -> None:
    report = load_bench.run(clients=50, turns=20, transport="auto")
    print("\nload 50x20:", json.dumps({k: report[k] for k in ("transport", "latency_ms", "fairness", "wall_s")}))
    assert report["transport_errors"] == 0, report["transport_error_sample"]
    assert report["audit"]["ok"], report["audit"]["problems"]
    assert report["audit"]["stored_turns"] == 1000
