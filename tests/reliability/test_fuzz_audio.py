"""Fuzz: audio decoding through ``handle_audio`` with the real recognizer (tiny.en).

200 hypothesis examples: random bytes, other containers' magic numbers followed by garbage, truncated and lying WAV
headers, tiny valid WAVs of noise or silence, and files whose extension does not match their content. Every outcome
must be a TurnResult (asr-* codes for bad audio) or an AssistantError with a stable code; never internal-error.
"""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import examples
from tests.reliability.fuzz_common import check_outcome, run_turn
from tests.reliability.helpers import build_assistant

pytestmark = pytest.mark.slow

EXAMPLES = 200
MAGIC = [b"RIFF", b"RIFF\x00\x00\x00\x00WAVE", b"ID3\x04", b"\xff\xfb", b"OggS", b"fLaC", b"\x1aE\xdf\xa3", b"%PDF-1.4"]


def _wav(seconds: float, amplitude: float, rate: int = 16000, channels: int = 1, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    samples = (rng.uniform(-1, 1, int(seconds * rate) * channels) * amplitude * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def _lying_header(data: bytes, riff_size: int, data_size: int, rate: int) -> bytes:
    head = bytearray(data)
    struct.pack_into("<I", head, 4, riff_size)
    struct.pack_into("<I", head, 24, rate)
    struct.pack_into("<I", head, 40, data_size)
    return bytes(head)


valid_wavs = st.builds(
    _wav,
    st.floats(0.0, 0.6),
    st.sampled_from([0.0, 0.001, 0.3, 1.0]),
    st.sampled_from([8000, 16000, 44100]),
    st.sampled_from([1, 2]),
    st.integers(0, 1000),
)
audio_bytes = st.one_of(
    st.binary(max_size=2048),
    st.builds(lambda m, junk: m + junk, st.sampled_from(MAGIC), st.binary(max_size=2048)),
    st.builds(lambda w, cut: w[: max(1, int(len(w) * cut))], valid_wavs, st.floats(0.0, 0.99)),
    st.builds(
        _lying_header,
        st.builds(_wav, st.just(0.2), st.just(0.3)),
        st.integers(0, 2**32 - 1),
        st.integers(0, 2**32 - 1),
        st.integers(0, 2**32 - 1),
    ),
    valid_wavs,
)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    a = build_assistant(tmp_path_factory.mktemp("fuzz-audio"), nlu={"semantic": False}, sentiment={"engine": "vader"})
    try:
        a.warmup(asr=True)
        yield a
    finally:
        a.close()


@settings(max_examples=examples(EXAMPLES))
@given(
    data=audio_bytes,
    as_file=st.booleans(),
    suffix=st.sampled_from([".wav", ".mp3", ".ogg", ".flac", ".webm", ".txt", ""]),
)
def test_any_audio_gives_a_result_with_a_stable_code(
    assistant: Any, tmp_path_factory: pytest.TempPathFactory, data: bytes, as_file: bool, suffix: str
) -> None:
    source: bytes | Path = data
    if as_file:
        path = tmp_path_factory.getbasetemp() / f"clip{suffix}"
        path.write_bytes(data)
        source = path
    before = assistant.home.states()
    outcome = run_turn(lambda: assistant.handle_audio(source))
    check_outcome(outcome, assistant.home)
    if not isinstance(outcome, Exception):
        if not data:
            assert outcome.error == "asr-empty-audio"
        if outcome.error and outcome.error.startswith("asr-"):
            assert outcome.actions == () and assistant.home.states() == before
