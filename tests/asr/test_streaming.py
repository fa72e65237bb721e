"""StreamingSession logic with a fake decoder and a scripted VAD (the real one is in test_whisper.py)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.asr.streaming import StreamingSession
from contracts.messages import AssistantError, ErrorCode, Transcript


class FakeDecoder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[int, bool]] = []
        self.fail = fail

    def __call__(self, samples: np.ndarray, partial: bool) -> Transcript:
        self.calls.append((len(samples), partial))
        if self.fail:
            raise AssistantError(ErrorCode.ASR_NO_SPEECH, "none")
        return Transcript(text=f"{len(samples)}", is_final=not partial, duration_s=len(samples) / 16000)


def speech_until(end_s: float, start_s: float = 0.2):
    def vad(buffer: np.ndarray) -> list[tuple[int, int]]:
        if len(buffer) < int(start_s * 16000):
            return []
        return [(int(start_s * 16000), min(len(buffer), int(end_s * 16000)))]

    return vad


def test_partials_then_final_at_trailing_silence() -> None:
    decoder = FakeDecoder()
    session = StreamingSession(decoder, partial_interval_s=0.5, silence_s=0.5, vad=speech_until(1.5))
    results = [session.feed(np.zeros(1600, np.float32)) for _ in range(25)]
    finals = [r for r in results if r is not None and r.is_final]
    partials = [r for r in results if r is not None and not r.is_final]
    assert len(finals) == 1 and partials
    assert session.done and 2.0 <= session.duration_s <= 2.3
    assert session.finish() is finals[0]
    assert decoder.calls[-1] == (int(session.duration_s * 16000), False)
    assert results[-1] is None  # chunks after the end are ignored


def test_int16_at_other_rates_is_resampled() -> None:
    session = StreamingSession(FakeDecoder(), partial_interval_s=0, vad=lambda b: [])
    session.feed(np.zeros(8000, np.int16), sample_rate=8000)
    session.feed(np.zeros(4800, np.float32), sample_rate=48000)
    assert session.duration_s == pytest.approx(1.1, abs=0.01)
    assert not session.speech_detected
    assert session.finish().text == str(int(1.1 * 16000))


def test_length_limit_finalises() -> None:
    session = StreamingSession(FakeDecoder(), max_duration_s=1.0, partial_interval_s=0, vad=lambda b: [])
    out = [session.feed(np.zeros(4000, np.float32)) for _ in range(6)]
    assert out[3] is not None and out[3].is_final and session.duration_s == 1.0


def test_errors_are_kept_and_reraised() -> None:
    session = StreamingSession(FakeDecoder(fail=True), partial_interval_s=0.2, silence_s=0.3, vad=speech_until(0.5))
    with pytest.raises(AssistantError):
        for _ in range(20):
            session.feed(np.zeros(1600, np.float32))
    with pytest.raises(AssistantError) as info:
        session.finish()
    assert info.value.code == ErrorCode.ASR_NO_SPEECH
    empty = StreamingSession(FakeDecoder())
    with pytest.raises(AssistantError) as info:
        empty.finish()
    assert info.value.code == ErrorCode.ASR_EMPTY
