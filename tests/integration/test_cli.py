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


# an undecodable byte on the command line (assistant ask $'\xff'): Python hands it over as a lone surrogate; a
# terminal whose stdout is strict UTF-8 (PYTHONIOENCODING makes this machine's C.UTF-8 behave like one) used to get a
# UnicodeEncodeError traceback
STRICT_STDOUT = {"PYTHONIOENCODING": "utf-8:strict"}


def test_ask_with_invalid_utf8_prints_and_exits_with_the_error_status(tmp_path: Path) -> None:
    proc = run_cli("ask", "\udcff", "--json", data_dir=tmp_path / "data", env=STRICT_STDOUT)
    assert "Traceback" not in proc.stderr and "UnicodeEncodeError" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "error [input-invalid]:" in proc.stderr
    out = json.loads(proc.stdout)
    assert out["error"] == "input-invalid" and out["actions"] == []


def test_history_search_with_invalid_utf8_is_input_invalid(tmp_path: Path) -> None:
    proc = run_cli("history", "--search", "caf\udce9", data_dir=tmp_path / "data", env=STRICT_STDOUT)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2 and "error [input-invalid]:" in proc.stderr


@pytest.mark.parametrize("target", ["missing.wav", ".", "\udcff.wav"])
def test_transcribe_of_an_unreadable_path_is_asr_unreadable(tmp_path: Path, target: str) -> None:
    proc = run_cli("transcribe", str(tmp_path / target), data_dir=tmp_path / "data", env=STRICT_STDOUT)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2 and "error [asr-unreadable-audio]:" in proc.stderr


def test_printing_text_the_terminal_cannot_encode_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import typer

    from assistant import cli

    raw = io.BytesIO()
    strict = io.TextIOWrapper(raw, encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdout", strict)
    cli._safe_output()
    typer.echo("café \udcff")
    strict.flush()
    assert raw.getvalue() == "café \\udcff\n".encode()
