"""Real audio through the real tiny.en model (loaded once per session): formats, biasing, error codes, streaming."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.asr import WhisperRecognizer
from assistant.asr.evaluate import normalize_text, word_errors
from assistant.audio import decode_audio, wav_bytes
from contracts.engines import SpeechRecognizer
from contracts.messages import AssistantError, ErrorCode
from tests.asr.audio_files import encode
from tests.asr.conftest import COMMANDS_DIR

pytestmark = pytest.mark.slow


def _eval_rows(limit: int) -> list[dict[str, object]]:
    manifest = COMMANDS_DIR / "manifest.jsonl"
    if not manifest.is_file():
        pytest.skip("the shared speech eval data is not present")
    rows = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    human = [r for r in rows if r["speaker_source"] == "human_recording" and r["reference_text"]]
    return human[:limit]


def test_is_a_speech_recognizer(recognizer: WhisperRecognizer) -> None:
    assert isinstance(recognizer, SpeechRecognizer)
    assert recognizer.device == "cpu" and recognizer.compute_type == "int8"
    assert recognizer.multilingual is False


def test_espeak_command_transcribed_with_confidence(
    recognizer: WhisperRecognizer, speak: Callable[[str], Path]
) -> None:
    path = speak("turn on the kitchen light")
    transcript = recognizer.transcribe(path)
    assert normalize_text(transcript.text) == "turn on the kitchen light"
    assert transcript.language == "en" and transcript.is_final
    assert transcript.avg_logprob < 0 and 0.0 <= transcript.no_speech_prob < 0.5
    assert 0.5 < transcript.confidence <= 1.0
    assert transcript.duration_s == pytest.approx(decode_audio(path).duration_s, abs=0.01)


@pytest.mark.parametrize("fmt", ["flac", "mp3", "webm"])
def test_formats_as_bytes(recognizer: WhisperRecognizer, speak: Callable[[str], Path], fmt: str) -> None:
    data = encode(speak("turn off the office light"), fmt)
    # the home's names, as the pipeline passes them: lossy codecs (webm/opus) blur a short synthetic command
    transcript = recognizer.transcribe(data, hotwords=("Office Light", "Office", "Kitchen Light"))
    errors, _ = word_errors("turn off the office light", transcript.text)
    assert errors <= 2 and normalize_text(transcript.text).startswith("turn off"), transcript.text


def test_human_eval_recordings(recognizer: WhisperRecognizer) -> None:
    rows = _eval_rows(3)
    total_errors = total_words = 0
    for row in rows:
        transcript = recognizer.transcribe(COMMANDS_DIR / str(row["audio"]))
        errors, words = word_errors(str(row["reference_text"]), transcript.text)
        total_errors += errors
        total_words += words
        assert transcript.confidence > 0.2
    assert total_errors / total_words < 0.35


def test_biasing_passes_the_names(recognizer: WhisperRecognizer, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}
    model = recognizer._ensure_model()
    original = model.transcribe

    def spy(*args: object, **kwargs: object) -> object:
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(model, "transcribe", spy)
    path = COMMANDS_DIR / "audio" / "activate Mood Lighting.wav"
    if not path.is_file():
        pytest.skip("the shared speech eval data is not present")
    names = ["Mood Lighting", "Bed Light", "Kitchen", "Office"]
    before = recognizer.config
    recognizer.update_config(grammar_rescoring=False, window_s=30.0)  # the plain faster-whisper path
    try:
        transcript = recognizer.transcribe(path, hotwords=names)
    finally:
        recognizer.update_config(grammar_rescoring=before.grammar_rescoring, window_s=before.window_s)
    prompt = seen.get("initial_prompt") or seen.get("hotwords")
    assert isinstance(prompt, str) and "Mood Lighting" in prompt
    assert "mood lighting" in normalize_text(transcript.text)


def test_silence_is_no_speech(recognizer: WhisperRecognizer) -> None:
    with pytest.raises(AssistantError) as info:
        recognizer.transcribe(wav_bytes(np.zeros(16000 * 2, np.float32), 16000))
    assert info.value.code == ErrorCode.ASR_NO_SPEECH
    noise = np.random.default_rng(7).normal(0, 0.02, 16000 * 2).astype(np.float32)
    with pytest.raises(AssistantError) as info:
        recognizer.transcribe(wav_bytes(noise, 16000))
    assert info.value.code == ErrorCode.ASR_NO_SPEECH


def test_bad_inputs_have_codes(recognizer: WhisperRecognizer, tmp_path: Path) -> None:
    cases: list[tuple[object, ErrorCode]] = [
        (b"", ErrorCode.ASR_EMPTY),
        (b"RIFF\x00\x00garbage" * 50, ErrorCode.ASR_UNREADABLE),
        (str(tmp_path / "missing.mp3"), ErrorCode.ASR_UNREADABLE),
    ]
    for audio, code in cases:
        with pytest.raises(AssistantError) as info:
            recognizer.transcribe(audio)  # type: ignore[arg-type]
        assert info.value.code == code


def test_over_long_file_refused_fast(recognizer: WhisperRecognizer, tmp_path: Path) -> None:
    long_audio = wav_bytes(np.zeros(16000 * 600, np.float32), 16000)  # 10 minutes
    start = time.perf_counter()
    with pytest.raises(AssistantError) as info:
        recognizer.transcribe(long_audio)
    assert info.value.code == ErrorCode.ASR_TOO_LONG
    assert time.perf_counter() - start < 2.0


def test_streaming_finalises_at_end_of_speech(recognizer: WhisperRecognizer, speak: Callable[[str], Path]) -> None:
    samples = decode_audio(speak("set a timer for five minutes")).samples
    pcm48 = (np.interp(np.arange(0, len(samples), 1 / 3), np.arange(len(samples)), samples) * 32767).astype(np.int16)
    pcm48 = np.concatenate([pcm48, np.zeros(48000 * 2, np.int16)])  # 2 s of trailing silence
    session = recognizer.stream(hotwords=["Kitchen"])
    partials, final = [], None
    for start in range(0, len(pcm48), 4800):  # 100 ms chunks at 48 kHz, as a browser sends
        result = session.feed(pcm48[start : start + 4800], sample_rate=48000)
        if result is not None and not result.is_final:
            partials.append(result)
        elif result is not None:
            final = result
            break
    assert final is not None, "VAD end of speech should finalise before the audio ends"
    assert session.done and session.duration_s < len(pcm48) / 48000
    assert word_errors("set a timer for 5 minutes", final.text)[0] <= 1, final.text
    assert partials and all(not p.is_final for p in partials)
    assert session.finish() is final
