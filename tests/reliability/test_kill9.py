"""Fault: kill -9 of a process running the assistant mid-conversation loses no committed turn; home state survives."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.helpers import build_assistant

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).with_name("kill_driver.py")
KILL_AFTER = 6


def _reader(stream: Any, out: queue.Queue[dict[str, Any] | None]) -> None:
    for line in stream:
        line = line.strip()
        if line.startswith("{"):
            out.put(json.loads(line))
    out.put(None)


def _pct_to_brightness(pct: int) -> float:
    return pct * 255 / 100


@pytest.mark.parametrize("run", [1, 2])
def test_kill_9_loses_no_committed_turn_and_the_home_state_survives(tmp_path: Path, run: int) -> None:
    data = tmp_path / "data"
    conversation = f"kill-test-{run}"
    percents = list(range(20, 80))
    texts = [f"set the kitchen light brightness to {p} percent" for p in percents]
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(data), PYTHONUNBUFFERED="1")
    log = (tmp_path / "driver.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), str(data), conversation, *texts],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )
    lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    committed: list[dict[str, Any]] = []
    try:
        while len(committed) < KILL_AFTER + run:  # kill at a slightly different point on each run
            item = lines.get(timeout=180)
            assert item is not None, (tmp_path / "driver.log").read_text()[-3000:]
            if "turn_id" in item:
                committed.append(item)
        os.kill(proc.pid, signal.SIGKILL)  # mid-conversation: the driver is already inside the next turn
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        log.close()
    assert proc.returncode == -signal.SIGKILL
    for item in committed:
        assert item["error"] is None and item["actions"] == [["light.kitchen", True]], item

    assistant = build_assistant(data, nlu={"semantic": False}, sentiment={"engine": "vader"})
    try:
        stored = assistant.db.conversations.turns(conversation)
        # every turn the driver saw committed is there, in order, complete; at most the in-flight one more
        assert [t.id for t in stored[: len(committed)]] == [c["turn_id"] for c in committed]
        assert len(committed) <= len(stored) <= len(committed) + 1
        assert [t.user_text for t in stored] == texts[: len(stored)]
        for turn in stored:
            assert turn.error_code is None
            assert [(a.entity_id, a.success) for a in turn.actions] == [("light.kitchen", True)]
        # the simulated home kept its state: the last stored turn's, or the in-flight command's if its action ran
        state = assistant.home.states()["light.kitchen"]
        assert state["state"] == "on"
        last_pct = percents[len(stored) - 1]
        allowed = [_pct_to_brightness(last_pct), _pct_to_brightness(percents[len(stored)])]
        assert any(abs(state["attributes"]["brightness"] - b) <= 1.5 for b in allowed), (state, allowed)
        # and the assistant keeps working in the same conversation after the restart
        result = assistant.handle_text("turn off the kitchen light", conversation_id=conversation)
        assert result.error is None and assistant.home.states()["light.kitchen"]["state"] == "off"
        assert len(assistant.db.conversations.turns(conversation)) == len(stored) + 1
    finally:
        assistant.close()
