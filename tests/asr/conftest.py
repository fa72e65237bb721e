"""Shared ASR fixtures: the real tiny.en recognizer (loaded once) and speech generated with espeak-ng + sox."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.asr import WhisperRecognizer, create_recognizer
from assistant.config import AsrConfig

EVAL_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "eval" / "speech"
COMMANDS_DIR = EVAL_DIR / "speech_stp_en_commands"


@pytest.fixture(scope="session")
def recognizer(tmp_path_factory: pytest.TempPathFactory) -> WhisperRecognizer:
    """The embedded tiny.en model on CPU, loaded once for the session."""
    rec = create_recognizer(AsrConfig(device="cpu"), data_dir=tmp_path_factory.mktemp("asr-data"))
    assert isinstance(rec, WhisperRecognizer)
    rec.warmup()
    return rec


@pytest.fixture(scope="session")
def speak(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Synthesize a sentence with espeak-ng and convert it with sox to 16 kHz mono 16-bit WAV."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox are needed to generate speech")
    folder = tmp_path_factory.mktemp("speech")
    made: dict[str, Path] = {}

    def make(text: str) -> Path:
        if text not in made:
            raw = folder / f"raw-{len(made)}.wav"
            out = folder / f"cmd-{len(made)}.wav"
            subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), text], check=True)
            subprocess.run(
                ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), "pad", "0.3", "0.5"], check=True
            )
            made[text] = out
        return made[text]

    return make
