"""Shared audio helpers: bounded decoding of any container to 16 kHz mono, resampling, PCM and WAV conversions.

Decoding goes through PyAV (the library faster-whisper's ``decode_audio`` uses), frame by frame, so an over-long input
is refused after reading its header (or, when the container states no duration, as soon as the decoded samples pass
the limit) without ever holding the whole file's samples in memory.
"""

from __future__ import annotations

import io
import logging
import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "SAMPLE_RATE",
    "DecodedAudio",
    "decode_audio",
    "fix_wav_header",
    "pcm_to_float32",
    "probe_duration",
    "read_audio",
    "resample",
    "wav_bytes",
]

SAMPLE_RATE = 16000
"""The rate Whisper and Silero VAD expect."""

FloatArray = npt.NDArray[np.float32]

_log = logging.getLogger("assistant.audio")


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    """Mono float32 samples in [-1, 1] at ``sample_rate``."""

    samples: FloatArray
    """The waveform."""
    sample_rate: int = SAMPLE_RATE
    """Samples per second."""

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return float(len(self.samples)) / float(self.sample_rate)


def _unreadable_file(path: Path, exc: BaseException | None = None) -> AssistantError:
    if exc is not None:
        _log.warning("audio file %s cannot be read: %r", path, exc)
    return AssistantError(
        ErrorCode.ASR_UNREADABLE, f"The audio file {path.name} cannot be read.", details={"path": str(path)}
    )


def _check_file(path: Path) -> None:
    """A readable, non-empty regular file, or asr-unreadable-audio / asr-empty-audio (never an OSError)."""
    try:
        st = path.stat()
    except (OSError, ValueError) as exc:  # missing, no permission, a NUL in the name
        raise _unreadable_file(path, exc) from exc
    if not path.is_file():
        raise _unreadable_file(path)
    if st.st_size == 0:
        raise AssistantError(ErrorCode.ASR_EMPTY, "The audio file is empty.", details={"path": str(path)})


def read_audio(audio: bytes | bytearray | memoryview | str | Path) -> bytes:
    """The bytes of an audio input: bytes as given, a path read from disk.

    Raises ``AssistantError``: asr-unreadable-audio for a missing, unreadable or non-file path (never
    FileNotFoundError or another OSError), asr-empty-audio for no bytes.
    """
    if isinstance(audio, bytes | bytearray | memoryview):
        data = bytes(audio)
    else:
        path = Path(audio)
        _check_file(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise _unreadable_file(path, exc) from exc
    if not data:
        raise AssistantError(ErrorCode.ASR_EMPTY, "The audio is empty.")
    return data


def _open_source(audio: bytes | str | Path) -> io.BytesIO | str:
    if isinstance(audio, bytes | bytearray | memoryview):
        data = bytes(audio)
        if not data:
            raise AssistantError(ErrorCode.ASR_EMPTY, "The audio is empty.")
        return io.BytesIO(data)
    path = Path(audio)
    _check_file(path)
    return str(path)


def probe_duration(audio: bytes | str | Path) -> float | None:
    """The duration a container states in its header, in seconds; None when it states none (e.g. browser WebM)."""
    import av

    source = _open_source(audio)
    try:
        with av.open(source, mode="r", metadata_errors="ignore") as container:
            return _container_duration(container)
    except AssistantError:
        raise
    except Exception as exc:  # PyAV raises many error types (av.error.*, ValueError, OSError, MemoryError)
        raise _undecodable(exc) from exc


def _undecodable(exc: BaseException) -> AssistantError:
    """The decoder boundary: PyAV's error is logged, the user gets asr-unreadable-audio."""
    _log.warning("audio could not be decoded: %r", exc)
    return AssistantError(ErrorCode.ASR_UNREADABLE, "The audio could not be decoded.")


def _container_duration(container: object) -> float | None:
    streams = getattr(container, "streams", None)
    audio_streams = list(getattr(streams, "audio", ()) or ())
    if audio_streams:
        stream = audio_streams[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
    duration = getattr(container, "duration", None)
    if duration is not None and duration > 0:
        return float(duration) / 1_000_000.0  # AV_TIME_BASE
    return None


def decode_audio(audio: bytes | str | Path, *, max_duration_s: float | None = None) -> DecodedAudio:
    """Decode any common container (wav, flac, mp3, ogg, webm, ...) to 16 kHz mono float32.

    Raises ``AssistantError`` with asr-empty-audio, asr-unreadable-audio or asr-too-long.
    """
    import av

    source = _open_source(audio)
    limit = None if max_duration_s is None else int(max_duration_s * SAMPLE_RATE)
    chunks: list[npt.NDArray[Any]] = []
    total = 0
    try:
        with av.open(source, mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AssistantError(ErrorCode.ASR_UNREADABLE, "The file holds no audio track.")
            stated = _container_duration(container)
            if max_duration_s is not None and stated is not None and stated > max_duration_s + 0.05:
                raise _too_long(stated, max_duration_s)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in _frames(container):
                for out in resampler.resample(frame):
                    array = out.to_ndarray().reshape(-1)
                    chunks.append(array)
                    total += len(array)
                if limit is not None and total > limit + SAMPLE_RATE // 20:
                    raise _too_long(total / SAMPLE_RATE, max_duration_s or 0.0)
            for out in resampler.resample(None):
                array = out.to_ndarray().reshape(-1)
                chunks.append(array)
                total += len(array)
    except AssistantError:
        raise
    except Exception as exc:  # PyAV raises many error types (av.error.*, ValueError, OSError, MemoryError)
        raise _undecodable(exc) from exc
    if total == 0:
        raise AssistantError(ErrorCode.ASR_EMPTY, "The audio holds no samples.")
    if limit is not None and total > limit + SAMPLE_RATE // 20:
        raise _too_long(total / SAMPLE_RATE, max_duration_s or 0.0)
    pcm = np.concatenate(chunks)
    return DecodedAudio(samples=pcm.astype(np.float32) / 32768.0)


def _frames(container: Any) -> Iterator[Any]:
    import av

    iterator = container.decode(audio=0)
    while True:
        try:
            yield next(iterator)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue  # a damaged frame in an otherwise valid stream, as faster-whisper does


def _too_long(duration_s: float, max_duration_s: float) -> AssistantError:
    return AssistantError(
        ErrorCode.ASR_TOO_LONG,
        f"The recording is too long ({duration_s:.0f} s); the limit is {max_duration_s:.0f} s.",
        details={"duration_s": round(duration_s, 2), "max_duration_s": max_duration_s},
    )


def pcm_to_float32(pcm: npt.ArrayLike) -> FloatArray:
    """int16 (or any integer) PCM → float32 in [-1, 1]; float input is passed through as float32, mixed to mono."""
    array = np.asarray(pcm)
    if array.ndim == 2:  # (frames, channels)
        array = array.mean(axis=1) if np.issubdtype(array.dtype, np.floating) else array.astype(np.float64).mean(1)
    if np.issubdtype(array.dtype, np.integer):
        scale = float(np.iinfo(array.dtype).max) + 1.0 if array.dtype != np.uint8 else 128.0
        offset = 128.0 if array.dtype == np.uint8 else 0.0
        return ((array.astype(np.float32) - offset) / scale).astype(np.float32)
    return np.asarray(array, dtype=np.float32).reshape(-1)


def resample(samples: npt.ArrayLike, rate: int, target: int = SAMPLE_RATE) -> FloatArray:
    """Resample mono float audio with numpy: a windowed-sinc low-pass when downsampling, then linear interpolation."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate}")
    if rate == target or len(x) == 0:
        return x
    if target < rate:
        cutoff = 0.5 * target / rate * 0.92  # cycles per input sample, a little below the new Nyquist
        taps = 63
        n = np.arange(taps) - (taps - 1) / 2
        kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
        kernel /= kernel.sum()
        x = np.convolve(x, kernel.astype(np.float32), mode="same").astype(np.float32)
    length = max(1, round(len(x) * target / rate))
    positions = np.arange(length, dtype=np.float64) * (rate / target)
    return np.interp(positions, np.arange(len(x), dtype=np.float64), x).astype(np.float32)


def wav_bytes(samples: npt.ArrayLike, sample_rate: int) -> bytes:
    """16-bit mono WAV bytes (with header) from float [-1, 1] or int16 samples."""
    array = np.asarray(samples)
    if not np.issubdtype(array.dtype, np.integer):
        array = np.clip(np.asarray(array, dtype=np.float32), -1.0, 1.0) * 32767.0
    pcm = np.asarray(array).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def fix_wav_header(data: bytes) -> bytes:
    """Rewrite the RIFF and data sizes of a streamed WAV (e.g. ``espeak-ng --stdout`` writes 0x7FFFF000 there)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE stream")
    out = bytearray(data)
    pos = 12
    while pos + 8 <= len(out):
        chunk_id = bytes(out[pos : pos + 4])
        size = struct.unpack_from("<I", out, pos + 4)[0]
        if chunk_id == b"data":
            real = len(out) - (pos + 8)
            real -= real % 2
            struct.pack_into("<I", out, pos + 4, real)
            del out[pos + 8 + real :]
            break
        pos += 8 + size + (size % 2)
    struct.pack_into("<I", out, 4, len(out) - 8)
    return bytes(out)
