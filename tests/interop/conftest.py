"""Interop tests: one real Assistant (real store, simulated default home, embedded models) and espeak-ng speech."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.audio import SAMPLE_RATE, decode_audio, wav_bytes


@pytest.fixture(scope="session")
def interop_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    data: Path = tmp_path_factory.mktemp("interop-data")
    a = Assistant.create(data_dir=str(data))
    try:
        yield a
    finally:
        a.close()


Speak = Callable[..., bytes]


@pytest.fixture(scope="session")
def speak(tmp_path_factory: pytest.TempPathFactory) -> Speak:
    """``speak(text, voice="en-us", speed=160)``: 16 kHz 16-bit mono WAV bytes rendered by espeak-ng."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    folder = tmp_path_factory.mktemp("speech")
    cache: dict[tuple[str, str, int], bytes] = {}

    def render(text: str, voice: str = "en-us", speed: int = 160) -> bytes:
        key = (text, voice, speed)
        if key not in cache:
            out = folder / f"{len(cache)}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True)
            cache[key] = wav_bytes(decode_audio(out).samples, SAMPLE_RATE)
        return cache[key]

    return render


def set_state(a: Assistant, service: str, entity_id: str) -> None:
    """Put a device in a known state directly (test set-up, not a turn)."""
    actions = a.home.call_service(service, [entity_id])
    assert all(x.success for x in actions), actions


def state(a: Assistant, entity_id: str) -> str:
    return str(a.home.states()[entity_id]["state"])
