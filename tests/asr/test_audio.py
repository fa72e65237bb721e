"""Bounded decoding, resampling and WAV helpers (no model)."""

from __future__ import annotations

import io
import logging
import os
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.audio import (
    decode_audio,
    fix_wav_header,
    pcm_to_float32,
    probe_duration,
    read_audio,
    resample,
    wav_bytes,
)
from contracts.messages import AssistantError, ErrorCode
from tests.asr.audio_files import encode


def _tone(seconds: float, rate: int = 16000, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_wav_roundtrip_and_resample_to_16k() -> None:
    data = wav_bytes(_tone(1.0, 44100), 44100)
    decoded = decode_audio(data)
    assert decoded.sample_rate == 16000
    assert abs(decoded.duration_s - 1.0) < 0.01
    assert 0.2 < float(np.abs(decoded.samples).max()) < 0.35


@pytest.mark.parametrize("fmt", ["flac", "mp3", "ogg", "webm"])
def test_common_containers_decode(fmt: str) -> None:
    data = encode(wav_bytes(_tone(1.5), 16000), fmt)
    decoded = decode_audio(data, max_duration_s=10)
    assert abs(decoded.duration_s - 1.5) < 0.15


def test_empty_and_garbage_inputs(tmp_path: Path) -> None:
    with pytest.raises(AssistantError) as info:
        decode_audio(b"")
    assert info.value.code == ErrorCode.ASR_EMPTY
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AssistantError) as info:
        decode_audio(tmp_path / "empty.wav")
    assert info.value.code == ErrorCode.ASR_EMPTY
    with pytest.raises(AssistantError) as info:
        decode_audio(b"\x00\x01garbage" * 200)
    assert info.value.code == ErrorCode.ASR_UNREADABLE
    with pytest.raises(AssistantError) as info:
        decode_audio(tmp_path / "missing.wav")
    assert info.value.code == ErrorCode.ASR_UNREADABLE
    with pytest.raises(AssistantError) as info:
        decode_audio(wav_bytes(np.zeros(0, np.float32), 16000))
    assert info.value.code == ErrorCode.ASR_EMPTY


def test_two_hour_file_is_refused_from_its_header_fast(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as out:  # 2 h of 16 kHz audio: 230 MB, written in blocks of silence
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        block = bytes(16000 * 2 * 60)
        for _ in range(120):
            out.writeframes(block)
    start = time.perf_counter()
    with pytest.raises(AssistantError) as info:
        decode_audio(path, max_duration_s=60)
    assert info.value.code == ErrorCode.ASR_TOO_LONG
    assert time.perf_counter() - start < 2.0
    assert info.value.details["duration_s"] == pytest.approx(7200, rel=0.01)
    assert probe_duration(path) == pytest.approx(7200, rel=0.01)


def test_stream_without_stated_duration_is_cut_while_decoding() -> None:
    data = encode(wav_bytes(_tone(5.0), 16000), "webm")
    with pytest.raises(AssistantError) as info:
        decode_audio(data, max_duration_s=2.0)
    assert info.value.code == ErrorCode.ASR_TOO_LONG


def test_pcm_conversions() -> None:
    assert pcm_to_float32(np.array([0, 16384, -32768], np.int16)).tolist() == [0.0, 0.5, -1.0]
    stereo = np.array([[0.5, -0.5], [1.0, 0.0]], np.float32)
    assert pcm_to_float32(stereo).tolist() == [0.0, 0.5]
    up = resample(_tone(1.0, 8000), 8000)
    assert len(up) == 16000
    down = resample(_tone(1.0, 48000, freq=300), 48000)
    assert len(down) == 16000
    # a 300 Hz tone survives, a 12 kHz tone (above the new Nyquist) is filtered out
    assert float(np.abs(down[1000:-1000]).max()) > 0.25
    assert float(np.abs(resample(_tone(1.0, 48000, freq=12000), 48000)[1000:-1000]).max()) < 0.05


def test_fix_streamed_wav_header() -> None:
    good = wav_bytes(_tone(0.1), 16000)
    broken = bytearray(good)
    broken[4:8] = b"\xff\xff\xff\x7f"
    broken[40:44] = b"\x00\xf0\xff\x7f"
    fixed = fix_wav_header(bytes(broken))
    assert fixed == good
    with wave.open(io.BytesIO(fixed)) as reader:
        assert reader.getnframes() == 1600
    with pytest.raises(ValueError):
        fix_wav_header(b"not a wav")


# ------------------------------------------------------------------ the audio loading boundary: stable codes only


@pytest.mark.parametrize("kind", ["missing", "folder", "nul-in-name", "no-permission"])
def test_unreadable_paths_are_asr_unreadable_never_os_errors(tmp_path: Path, kind: str) -> None:
    path: str | Path = tmp_path / "missing.wav"
    if kind == "folder":
        path = tmp_path
    elif kind == "nul-in-name":
        path = str(tmp_path / "a\x00b.wav")
    elif kind == "no-permission":
        path = tmp_path / "secret.wav"
        path.write_bytes(wav_bytes(_tone(0.2), 16000))
        path.chmod(0)
        if os.access(path, os.R_OK):  # root reads anything
            pytest.skip("running as root: permissions are not enforced")
    for load in (read_audio, decode_audio, probe_duration):
        with pytest.raises(AssistantError) as info:
            load(path)
        assert info.value.code == ErrorCode.ASR_UNREADABLE, load


def test_read_audio_returns_bytes_and_refuses_empty(tmp_path: Path) -> None:
    data = wav_bytes(_tone(0.2), 16000)
    (tmp_path / "a.wav").write_bytes(data)
    assert read_audio(tmp_path / "a.wav") == data == read_audio(str(tmp_path / "a.wav")) == read_audio(data)
    (tmp_path / "empty.wav").write_bytes(b"")
    for empty in (b"", tmp_path / "empty.wav"):
        with pytest.raises(AssistantError) as info:
            read_audio(empty)
        assert info.value.code == ErrorCode.ASR_EMPTY


def test_a_decoder_failure_is_logged_and_shown_as_a_stable_code(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import av

    def broken(*_: object, **__: object) -> None:
        raise MemoryError("decoder internals 0xdeadbeef")

    monkeypatch.setattr(av, "open", broken)
    with caplog.at_level(logging.WARNING, logger="assistant.audio"):
        for load in (decode_audio, probe_duration):
            with pytest.raises(AssistantError) as info:
                load(wav_bytes(_tone(0.2), 16000))
            assert info.value.code == ErrorCode.ASR_UNREADABLE
            assert "deadbeef" not in info.value.message
    assert "deadbeef" in caplog.text


@pytest.mark.slow
def test_handle_audio_of_a_missing_path_is_asr_unreadable(tmp_path: Path) -> None:
    from tests.reliability.helpers import build_assistant

    a = build_assistant(tmp_path / "data", nlu={"semantic": False}, sentiment={"engine": "vader"})
    try:
        with pytest.raises(AssistantError) as info:
            a.handle_audio(tmp_path / "no-such-recording.wav")
        assert info.value.code == ErrorCode.ASR_UNREADABLE
    finally:
        a.close()
