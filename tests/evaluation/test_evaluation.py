"""Unit tests of `assistant eval`: suite discovery, missing/failed suites, option mapping, rendering, notes."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from benchmarks import evaluation
from benchmarks.evaluation import (
    NOTES_BEGIN,
    NOTES_END,
    flatten_metrics,
    headline_rows,
    render_markdown,
    render_table,
    run_suite,
    run_suites,
)


@pytest.fixture()
def fake_suites(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Register fake ``benchmarks.<name>_bench`` modules (a good one, a broken one, one with **kwargs)."""
    calls: dict[str, Any] = {}

    good = types.ModuleType("benchmarks.fakeok_bench")

    def run_good(data_dir: Path, *, quick: bool = False, limit: int | None = None) -> dict[str, Any]:
        calls["good"] = {"data_dir": data_dir, "quick": quick, "limit": limit}
        return {
            "accuracy": 0.91,
            "latency_ms": {"p50": 12.0, "p95": 30.5},
            "items": [{"id": 1}, {"id": 2}],
            "summary": {
                "accuracy": {"value": 0.91, "target": 0.9, "met": True},
                "p50 (ms)": {"value": 25.0, "target": 20.0, "met": False},
            },
        }

    good.run = run_good  # type: ignore[attr-defined]
    bad = types.ModuleType("benchmarks.fakebad_bench")

    def run_bad(data_dir: Path) -> dict[str, Any]:
        raise RuntimeError("model exploded")

    bad.run = run_bad  # type: ignore[attr-defined]
    limited = types.ModuleType("benchmarks.fakelimit_bench")

    def run_limited(data_dir: Path, *, limit: int | None = None) -> dict[str, Any]:
        calls["limited"] = limit
        return {"recall@5": 0.5}

    limited.run = run_limited  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "benchmarks.fakeok_bench", good)
    monkeypatch.setitem(sys.modules, "benchmarks.fakebad_bench", bad)
    monkeypatch.setitem(sys.modules, "benchmarks.fakelimit_bench", limited)
    monkeypatch.setitem(evaluation._QUICK_LIMITS, "fakelimit", 7)  # type: ignore[arg-type]
    yield calls


def test_a_missing_suite_is_reported_missing_not_a_number(tmp_path: Path) -> None:
    report = run_suite("doesnotexist", tmp_path, options={})
    assert report.status == "missing"
    assert "doesnotexist_bench.py" in (report.error or "")
    rows = headline_rows("doesnotexist", report.as_dict())
    assert rows[0][:2] == ("status", "missing")


def test_a_raising_suite_is_failed_with_its_error(tmp_path: Path, fake_suites: dict[str, Any]) -> None:
    report = run_suite("fakebad", tmp_path, options={"quick": True})
    assert report.status == "failed"
    assert "model exploded" in (report.error or "")


def test_options_reach_only_the_parameters_a_suite_declares(tmp_path: Path, fake_suites: dict[str, Any]) -> None:
    report = run_suite("fakeok", tmp_path, options={"quick": True, "device": "cpu", "progress": print})
    assert report.status == "ok"
    assert fake_suites["good"] == {"data_dir": tmp_path, "quick": True, "limit": None}
    run_suite("fakelimit", tmp_path, options={"quick": True})
    assert fake_suites["limited"] == 7
    run_suite("fakelimit", tmp_path, options={"quick": False})
    assert fake_suites["limited"] is None


def test_report_renders_targets_and_misses(tmp_path: Path, fake_suites: dict[str, Any]) -> None:
    report = run_suites(["fakeok", "fakebad", "nosuchsuite"], tmp_path, quick=True)
    assert [report["suites"][n]["status"] for n in ("fakeok", "fakebad", "nosuchsuite")] == ["ok", "failed", "missing"]
    table = render_table(report)
    assert "MISSED" in table and "missing" in table and "failed" in table
    markdown = render_markdown(report)
    assert "| fakeok | p50 (ms) | 25 | 20 | **MISSED** |" in markdown
    assert "| fakeok | accuracy | 0.91 | 0.9 | met |" in markdown
    assert "latency_ms.p95 | 30.5" in markdown
    assert "items | [2 items]" in markdown
    assert report["machine"]["cores"] >= 1
    json.dumps(report)  # JSON-able


def test_flatten_metrics_walks_nested_dicts() -> None:
    flat = dict(flatten_metrics({"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": [{"k": 1}]}))
    assert flat == {"a.b": 1, "a.c": "1, 2", "d": "x", "e": "[1 items]"}


def test_known_suite_headlines_apply_the_issue_targets() -> None:
    rag = {"status": "ok", "result": {"recall@5": 0.9, "p50_query_ms": 40.0, "questions": 10, "chunks": 20}}
    rows = {r[0]: r for r in headline_rows("rag", rag)}
    assert rows["recall@5"][2:] == ("≥ 0.95", "**MISSED**")
    assert rows["query p50 (ms)"][2:] == ("≤ 100", "met")


def test_cli_writes_markdown_and_keeps_hand_written_notes(
    tmp_path: Path, fake_suites: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evaluation, "SUITE_ORDER", ("fakeok", "nosuchsuite"))
    out = tmp_path / "BENCH.md"
    out.write_text(f"old\n{NOTES_BEGIN}\nWhy p50 missed: shared CPU.\n{NOTES_END}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "all", "--quick", "--data", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "Why p50 missed: shared CPU." in text
    assert "| nosuchsuite | status | missing |" in text
    assert "old" not in text.splitlines()[0]


def test_cli_json_output_and_failure_exit_code(
    tmp_path: Path, fake_suites: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evaluation, "SUITE_ORDER", ("fakeok", "fakebad"))
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, ["eval", "all", "--json", "--data", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 1  # a failed suite fails the command
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["suites"]["fakeok"]["result"]["accuracy"] == 0.91
    assert data["suites"]["fakebad"]["status"] == "failed"


def test_cli_refuses_a_missing_data_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "rag", "--data", str(tmp_path / "nope")])
    assert result.exit_code == 2
