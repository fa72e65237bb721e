"""Load (short CI variant of benchmarks/load_bench.py): concurrent chat clients, then an audit of the store.

HTTP: ``assistant serve`` on a free port, 10 gradio clients × 5 turns through the UI's ``/chat`` API. In-process:
20 threads × 5 turns on one Assistant. The store must hold every sent turn exactly once, in its own conversation, in
order. Latency figures are printed (run with ``-s``), never asserted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import load_bench
from tests.reliability.helpers import build_assistant

pytestmark = pytest.mark.slow


def _print(report: dict[str, Any]) -> None:
    figures = {k: report[k] for k in ("transport", "clients", "turns_per_client", "latency_ms", "fairness", "wall_s")}
    print("\nload:", json.dumps(figures))


def _check(report: dict[str, Any], clients: int, turns: int) -> None:
    assert report["transport_errors"] == 0, report["transport_error_sample"]
    assert report["turns_completed"] == clients * turns
    audit = report["audit"]
    assert audit["ok"], audit["problems"]
    assert audit["stored_turns"] == audit["expected_turns"] == clients * turns


def test_http_chat_clients_lose_no_turn(tmp_path: Path) -> None:
    pytest.importorskip("gradio_client")
    if not load_bench._http_available():
        pytest.skip("the UI does not expose the /chat API")
    report = load_bench.run(quick=True, transport="http")
    _print(report)
    _check(report, 10, 5)


def test_inprocess_threads_lose_no_turn(tmp_path: Path) -> None:
    assistant = build_assistant(tmp_path / "data", nlu={"semantic": False}, sentiment={"engine": "vader"})
    try:
        report = load_bench.run_inprocess(assistant, clients=20, turns=5)
    finally:
        assistant.close()
    _print(report)
    _check(report, 20, 5)
