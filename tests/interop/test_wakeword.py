"""Wake-word detection on espeak-ng speech, and wake word → command → turn on the real assistant."""

from __future__ import annotations

import io
import wave

import pytest

from assistant import Assistant
from assistant.interop.wakeword import (
    WakeWordDetector,
    available_wake_words,
    command_span,
    create_wake_detector,
    find_wake_word,
    threshold_for,
    wake_then_command,
)
from contracts.messages import AssistantError

from .conftest import Speak, set_state, state


def _pcm(wav: bytes) -> bytes:
    with wave.open(io.BytesIO(wav), "rb") as reader:
        assert (reader.getframerate(), reader.getsampwidth(), reader.getnchannels()) == (16000, 2, 1)
        return reader.readframes(reader.getnframes())


def test_both_engines_ship_their_models_offline() -> None:
    for engine in ("micro", "open"):
        words = available_wake_words(engine)
        assert {"okay_nabu", "hey_jarvis", "alexa", "hey_mycroft"} <= set(words), (engine, words)
    assert available_wake_words("micro")["okay_nabu"] == "Okay Nabu"


@pytest.mark.parametrize(("engine", "voice"), [("micro", "en-us"), ("micro", "en"), ("open", "en-us")])
def test_detects_okay_nabu(engine: str, voice: str, speak: Speak) -> None:
    detector = create_wake_detector("okay_nabu", engine=engine)  # type: ignore[arg-type]
    assert isinstance(detector, WakeWordDetector)
    found = find_wake_word(detector, _pcm(speak("okay nabu", voice=voice)))
    assert found is not None
    assert found.name == "okay_nabu" and found.phrase == "Okay Nabu"
    assert 300 < found.timestamp_ms < 2500
    assert found.probability > detector.threshold  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ["micro", "open"])
def test_ignores_other_speech(engine: str, speak: Speak) -> None:
    detector = create_wake_detector("okay_nabu", engine=engine)  # type: ignore[arg-type]
    for text in ("turn on the kitchen light", "what is the weather like tomorrow", "good morning, how are you"):
        assert find_wake_word(detector, _pcm(speak(text))) is None, text


def test_chunk_size_does_not_change_the_result(speak: Speak) -> None:
    pcm = _pcm(speak("hey jarvis", voice="en-us+f3"))
    detector = create_wake_detector("hey_jarvis")
    times = {find_wake_word(detector, pcm, chunk_ms=ms).timestamp_ms for ms in (10, 32, 100)}  # type: ignore[union-attr]
    assert len(times) == 1


def test_sensitivity_maps_to_a_threshold() -> None:
    assert threshold_for(0.85, 0.5) == pytest.approx(0.85)
    assert threshold_for(0.85, 1.0) == pytest.approx(0.7225)
    assert threshold_for(0.85, 0.0) == pytest.approx(1.0)
    assert create_wake_detector(sensitivity=0.9).threshold < create_wake_detector(sensitivity=0.1).threshold  # type: ignore[attr-defined]
    with pytest.raises(AssistantError) as err:
        create_wake_detector(sensitivity=1.5)
    assert err.value.code.value == "config-invalid"


def test_unknown_word_or_engine_is_a_clear_error() -> None:
    with pytest.raises(AssistantError) as err:
        create_wake_detector("hey_computer")
    assert err.value.code.value == "model-unavailable"
    assert "okay_nabu" in err.value.message
    with pytest.raises(AssistantError) as err2:
        create_wake_detector(engine="porcupine")  # type: ignore[arg-type]
    assert err2.value.code.value == "config-invalid"


def test_refractory_period_reports_one_detection_per_utterance(speak: Speak) -> None:
    detector = create_wake_detector("okay_nabu", refractory_s=2.0)
    pcm = _pcm(speak("okay nabu")) + bytes(32000)
    hits = [d for i in range(0, len(pcm), 640) if (d := detector.process(pcm[i : i + 640])) is not None]
    assert len(hits) == 1


def test_command_span_stops_at_the_pause() -> None:
    import numpy as np

    def spans(_: object) -> list[tuple[int, int]]:
        return [(1600, 8000), (9600, 20000), (40000, 48000)]  # a short gap, then a long one

    samples = np.zeros(64000, dtype=np.float32)
    start, end = command_span(samples, end_silence_s=0.7, pad_s=0.0, spans=spans)  # type: ignore[misc]
    assert (start, end) == (1600, 20000)
    assert command_span(samples, spans=lambda _: []) is None


@pytest.mark.slow
def test_wake_word_then_command_turns_on_the_light(interop_assistant: Assistant, speak: Speak) -> None:
    set_state(interop_assistant, "light.turn_off", "light.kitchen")
    result = wake_then_command(interop_assistant, speak("okay nabu, turn on the kitchen light"))
    assert result.detection is not None and result.detection.name == "okay_nabu"
    assert result.turn is not None, result
    assert result.turn.transcript is not None and "kitchen" in result.turn.transcript.text.lower()
    assert state(interop_assistant, "light.kitchen") == "on"
    assert result.command_start_s is not None and result.command_end_s is not None
    assert result.command_start_s * 1000 >= result.detection.timestamp_ms


@pytest.mark.slow
def test_no_wake_word_runs_nothing(interop_assistant: Assistant, speak: Speak) -> None:
    set_state(interop_assistant, "light.turn_off", "light.kitchen")
    before = len(interop_assistant.db.conversations.list_conversations())
    result = wake_then_command(interop_assistant, speak("turn on the kitchen light"))
    assert result.detection is None and result.turn is None
    assert state(interop_assistant, "light.kitchen") == "off"
    assert len(interop_assistant.db.conversations.list_conversations()) == before


@pytest.mark.slow
def test_wake_word_then_silence_is_no_speech(interop_assistant: Assistant, speak: Speak) -> None:
    result = wake_then_command(interop_assistant, speak("okay nabu") + bytes(64000))
    assert result.detection is not None
    assert result.turn is None and result.error == "asr-no-speech"
