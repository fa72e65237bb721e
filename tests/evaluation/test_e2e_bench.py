"""The end-to-end benchmark's building blocks on real speech (short CI version of benchmarks/e2e_bench.py).

espeak-ng speech → real tiny.en → pipeline → simulated home; the home must really change. Latencies are printed
(run with ``-s``), never asserted.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.e2e_bench import (
    VoiceCommand,
    make_assistant,
    measure_text,
    measure_voice,
    recorded_commands,
    summarize_voice,
    synthesize,
    synthetic_commands,
)

pytestmark = pytest.mark.slow
SPEECH = Path(__file__).resolve().parents[3] / "shared" / "data" / "eval" / "speech" / "speech_stp_en_commands"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox are needed")
    a = make_assistant(tmp_path_factory.mktemp("e2e"), overrides={"llm": {"backend": "none"}, "nlu": {"llm": False}})
    a.warmup(asr=True)
    try:
        yield a
    finally:
        a.close()


def test_spoken_commands_change_the_home(assistant: Any, tmp_path: Path) -> None:
    commands = []
    for text, state in (("turn on the kitchen light", "on"), ("turn off the kitchen light", "off")):
        wav = tmp_path / f"{state}.wav"
        duration = synthesize(text, wav)
        assert 1.0 < duration < 5.0
        commands.append(
            VoiceCommand(
                id=state,
                text=text,
                audio=wav,
                source="synthetic",
                duration_s=duration,
                expected_intent="HassTurnOn" if state == "on" else "HassTurnOff",
                targets=("light.kitchen",),
                expected_state=state,
            )
        )
    outcomes = measure_voice(assistant, commands)
    for outcome in outcomes:
        assert outcome.error is None, outcome
        assert outcome.changed and outcome.correct_state, outcome
        assert outcome.action_ms is not None and 0 < outcome.action_ms <= outcome.turn_ms + 1
    summary = summarize_voice(outcomes)
    assert summary["all"]["device_state_changed"] == 2
    print("\ne2e voice:", json.dumps(summary["all"]["end_of_speech_to_action_ms"]))


def test_synthetic_commands_come_from_the_home(assistant: Any, tmp_path: Path) -> None:
    commands = synthetic_commands(assistant.home, tmp_path, limit=4)
    assert len(commands) == 4
    for command in commands:
        entity = assistant.home.entity(command.targets[0])
        assert entity is not None and entity.name in command.text
        assert command.audio.exists() and command.device_command


def test_recorded_commands_are_the_human_wavs() -> None:
    if not SPEECH.is_dir():
        pytest.skip("shared speech data not present")
    commands = recorded_commands(SPEECH)
    assert commands and all(c.source == "recorded" and c.audio.exists() for c in commands)
    assert all(2.0 <= c.duration_s <= 5.0 for c in commands)


def test_typed_template_commands_report_tier_latency(assistant: Any) -> None:
    report = measure_text(assistant, ["turn on the kitchen light", "turn off the kitchen light"], repeats=2)
    assert report["turns"] == 4
    assert report["tier_share"].get("template", 0) > 0
    print("\ne2e text:", json.dumps(report["template_turn_ms"]))
