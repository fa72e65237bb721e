"""The `assistant` command end to end, as a user runs it: real store, real home, real models."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "assistant"]


def run_cli(
    *args: str, data_dir: Path, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), **(env or {})}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=full_env, cwd=PROJECT_ROOT, timeout=timeout, check=False
    )


def test_ask_json_turns_on_the_kitchen_light_and_stores_the_turn(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = run_cli("ask", "turn on the kitchen light", "--json", data_dir=data)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for key in (
        "reply",
        "intent",
        "tier",
        "confidence",
        "slots",
        "sentiment",
        "actions",
        "changes",
        "needs_confirmation",
        "timings_ms",
        "error",
    ):
        assert key in out
    assert out["intent"] == "HassTurnOn"
    assert out["error"] is None
    assert out["actions"] and all(a["success"] for a in out["actions"])
    kitchen = [a["entity_id"] for a in out["actions"]]
    assert all(e.startswith("light.") for e in kitchen)

    states = json.loads(run_cli("home", data_dir=data).stdout)
    assert all(states[e]["state"] == "on" for e in kitchen)  # the simulated home persisted the change

    with sqlite3.connect(data / "assistant.sqlite") as db:
        row = db.execute(
            "select user_text, intent, tier, timings from turns where id = ?", (out["turn_id"],)
        ).fetchone()
        assert row is not None
        assert row[0] == "turn on the kitchen light" and row[1] == "HassTurnOn"
        timings = json.loads(row[3])
        assert timings["total"] > 0 and "nlu" in timings


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("nlu:\n  semantic_treshold: 0.5\n")
    proc = run_cli("ask", "hello", data_dir=tmp_path / "d", env={"ASSISTANT_CONFIG": str(bad)})
    assert proc.returncode == 2
    assert "config-invalid" in proc.stderr and "nlu.semantic_treshold" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_data_dir_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    proc = run_cli("history", data_dir=blocker / "data")
    assert proc.returncode == 2
    assert "store-unavailable" in proc.stderr and "Traceback" not in proc.stderr


def test_locked_database_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli("history", data_dir=data).returncode == 0  # creates and migrates the store
    holder = sqlite3.connect(data / "assistant.sqlite", timeout=0.1, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        proc = run_cli("history", "--delete", "all", data_dir=data, timeout=120)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 2
    assert "store-locked" in proc.stderr and "Traceback" not in proc.stderr
