"""The CUDA path (float16) on a real GPU; skipped cleanly where CTranslate2 sees none."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.asr import WhisperRecognizer
from assistant.asr.evaluate import word_errors
from assistant.config import AsrConfig

pytestmark = [pytest.mark.gpu, pytest.mark.slow]


def _cuda_devices() -> int:
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:
        return 0


@pytest.mark.skipif(_cuda_devices() == 0, reason="CTranslate2 sees no CUDA device")
def test_cuda_float16_transcribes(tmp_path: Path, speak: Callable[[str], Path]) -> None:
    rec = WhisperRecognizer(AsrConfig(device="cuda", load="start"), data_dir=tmp_path)
    assert (rec.device, rec.compute_type) == ("cuda", "float16")
    transcript = rec.transcribe(speak("turn on the kitchen light"))
    assert word_errors("turn on the kitchen light", transcript.text)[0] <= 1
