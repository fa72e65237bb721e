"""Streaming recognition: PCM chunks in, occasional partial transcripts, a final one at VAD end of speech."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from assistant.audio import SAMPLE_RATE, pcm_to_float32, resample
from contracts.messages import AssistantError, ErrorCode, Transcript

__all__ = ["StreamingSession", "speech_spans"]

FloatArray = npt.NDArray[np.float32]
Decoder = Callable[[FloatArray, bool], Transcript]
"""(16 kHz samples, partial) -> Transcript; raises AssistantError (asr-*)."""


def speech_spans(samples: FloatArray) -> list[tuple[int, int]]:
    """Silero VAD speech spans (start, end sample) of 16 kHz audio, unpadded."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_speech_duration_ms=120, min_silence_duration_ms=200, speech_pad_ms=0)
    return [(int(c["start"]), int(c["end"])) for c in get_speech_timestamps(samples, options)]


class StreamingSession:
    """One utterance from a microphone: ``feed`` chunks, then ``finish`` (or stop at the end of speech)."""

    def __init__(
        self,
        decode: Decoder,
        *,
        max_duration_s: float = 60.0,
        partial_interval_s: float = 1.0,
        silence_s: float = 0.8,
        vad_hop_s: float = 0.25,
        vad: Callable[[FloatArray], list[tuple[int, int]]] = speech_spans,
    ) -> None:
        self._decode = decode
        self._vad = vad
        self._max_samples = int(max_duration_s * SAMPLE_RATE)
        self._partial_samples = int(partial_interval_s * SAMPLE_RATE)
        self._silence_samples = int(silence_s * SAMPLE_RATE)
        self._hop_samples = max(1, int(vad_hop_s * SAMPLE_RATE))
        self._chunks: list[FloatArray] = []
        self._length = 0
        self._since_vad = 0
        self._last_partial_at = 0
        self._speech_seen = False
        self._final: Transcript | None = None
        self._error: AssistantError | None = None

    @property
    def done(self) -> bool:
        """True once the utterance was finalised (end of speech, length limit or ``finish``)."""
        return self._final is not None or self._error is not None

    @property
    def duration_s(self) -> float:
        """Seconds of audio received."""
        return self._length / SAMPLE_RATE

    @property
    def speech_detected(self) -> bool:
        """True once VAD heard speech."""
        return self._speech_seen

    def buffer(self) -> FloatArray:
        """All audio so far, 16 kHz mono float32."""
        if not self._chunks:
            return np.zeros(0, np.float32)
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0]

    def feed(self, pcm: npt.ArrayLike, sample_rate: int = SAMPLE_RATE) -> Transcript | None:
        """Add float32 ([-1, 1]) or int16 PCM at ``sample_rate``; returns a partial, the final transcript, or None.

        The final transcript (``is_final``) comes once VAD hears ``silence_s`` of silence after speech, or when the
        length limit is reached; later chunks are ignored. A failed final decode raises its ``AssistantError``.
        """
        if self.done:
            return None
        chunk = resample(pcm_to_float32(pcm), sample_rate)
        if len(chunk) == 0:
            return None
        room = self._max_samples - self._length
        chunk = chunk[: max(0, room)]
        self._chunks.append(chunk)
        self._length += len(chunk)
        self._since_vad += len(chunk)
        if self._length >= self._max_samples:
            return self._finalize()
        if self._since_vad >= self._hop_samples:
            self._since_vad = 0
            spans = self._vad(self.buffer())
            if spans:
                self._speech_seen = True
                if self._length - spans[-1][1] >= self._silence_samples:
                    return self._finalize()
        if (
            self._speech_seen
            and self._partial_samples > 0
            and self._length - self._last_partial_at >= self._partial_samples
        ):
            self._last_partial_at = self._length
            try:
                return self._decode(self.buffer(), True)
            except AssistantError:
                return None  # nothing intelligible yet
        return None

    def finish(self) -> Transcript:
        """End the utterance (the user pressed stop) and return the final transcript; raises asr-* errors."""
        if self._final is not None:
            return self._final
        if self._error is not None:
            raise self._error
        result = self._finalize()
        assert result is not None
        return result

    def _finalize(self) -> Transcript:
        if self._length == 0:
            self._error = AssistantError(ErrorCode.ASR_EMPTY, "No audio was received.")
            raise self._error
        try:
            self._final = self._decode(self.buffer(), False)
        except AssistantError as exc:
            self._error = exc
            raise
        return self._final
