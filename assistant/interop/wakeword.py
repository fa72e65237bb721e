"""Wake-word detection: 16 kHz 16-bit mono PCM in, a detection (name, phrase, time) out; then the command after it.

Two engines, both offline (their wheels carry the TFLite runtime and the models; nothing is downloaded):

- ``micro`` (default): microWakeWord through ``pymicro-wakeword`` — okay_nabu, hey_jarvis, alexa, hey_mycroft.
- ``open``: openWakeWord through ``pyopen-wakeword`` — the same four plus hey_rhasspy.

``sensitivity`` (0..1, default 0.5) sets the probability threshold: 0.5 is the model's own cut-off (0.85 for the
microWakeWord models, 0.5 for openWakeWord), 1 lowers it to cut-off² (more detections, more false accepts), 0 turns
detection off; in general ``threshold = cutoff ** (2 * sensitivity)``.

``wake_then_command`` takes a recording, finds the wake word, keeps the speech after it up to the end of speech
(Silero VAD from faster-whisper) and runs that as a spoken turn with ``Assistant.handle_audio``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from assistant.audio import SAMPLE_RATE, decode_audio, wav_bytes
from contracts.messages import AssistantError, ErrorCode, TurnResult

__all__ = [
    "DEFAULT_ENGINE",
    "DEFAULT_WAKE_WORD",
    "ENGINES",
    "MicroWakeWordDetector",
    "OpenWakeWordDetector",
    "WakeCommandResult",
    "WakeDetection",
    "WakeWordDetector",
    "available_wake_words",
    "create_wake_detector",
    "find_wake_word",
    "threshold_for",
    "wake_then_command",
]

_log = logging.getLogger("assistant.wakeword")

Engine = Literal["micro", "open"]
ENGINES: tuple[Engine, ...] = ("micro", "open")
DEFAULT_ENGINE: Engine = "micro"
DEFAULT_WAKE_WORD = "okay_nabu"

_BYTES_PER_SAMPLE = 2
_MICRO_FRAME = 160  # samples (10 ms): one feature window step
_OPEN_FRAME = 1280  # samples (80 ms): one openWakeWord step
_OPEN_CUTOFF = 0.5
_PHRASES = {
    "okay_nabu": "Okay Nabu",
    "hey_jarvis": "Hey Jarvis",
    "alexa": "Alexa",
    "hey_mycroft": "Hey Mycroft",
    "hey_rhasspy": "Hey Rhasspy",
}


@dataclass(frozen=True, slots=True)
class WakeDetection:
    """The wake word was heard."""

    name: str
    """The model id, e.g. ``okay_nabu``."""
    phrase: str
    """What the user says, e.g. ``Okay Nabu``."""
    timestamp_ms: int
    """Where in the stream (since the last reset) the detection fired: just after the wake word ends."""
    probability: float
    """The model's (smoothed) probability that crossed the threshold."""


@runtime_checkable
class WakeWordDetector(Protocol):
    """Streaming wake-word detection on 16 kHz 16-bit mono little-endian PCM."""

    name: str
    """The model id."""

    def process(self, pcm: bytes) -> WakeDetection | None:
        """Feed the next chunk (any length); the detection it completed, if any."""
        ...

    def reset(self) -> None:
        """Forget the stream (timestamps start again at zero)."""
        ...


def threshold_for(cutoff: float, sensitivity: float) -> float:
    """The probability threshold for a sensitivity in [0, 1]: ``cutoff ** (2 * sensitivity)``."""
    if not 0.0 <= sensitivity <= 1.0:
        raise AssistantError(
            ErrorCode.CONFIG_INVALID,
            f"Wake-word sensitivity must be between 0 and 1, not {sensitivity}.",
            details={"key": "wakeword.sensitivity"},
        )
    return float(cutoff ** (2.0 * sensitivity))


def available_wake_words(engine: Engine = DEFAULT_ENGINE) -> dict[str, str]:
    """The built-in models of an engine: id → phrase (empty when the engine's package is not installed)."""
    try:
        folder = _models_dir(engine)
    except AssistantError:
        return {}
    suffix = ".json" if engine == "micro" else ".tflite"
    skip = {"melspectrogram", "embedding_model"}
    names = sorted(p.stem for p in folder.glob(f"*{suffix}") if p.stem not in skip)
    return {n: _PHRASES.get(n, n.replace("_", " ").title()) for n in names}


def _models_dir(engine: Engine) -> Path:
    module = "pymicro_wakeword" if engine == "micro" else "pyopen_wakeword"
    try:
        package = __import__(module)
    except ImportError as exc:
        dist = "pymicro-wakeword" if engine == "micro" else "pyopen-wakeword"
        raise AssistantError(
            ErrorCode.MODEL_UNAVAILABLE,
            f"The {engine} wake-word engine needs the {dist} package (pip install {dist}).",
            details={"engine": engine},
        ) from exc
    return Path(str(package.__file__)).parent / "models"


def _unknown_word(word: str, engine: Engine) -> AssistantError:
    known = ", ".join(available_wake_words(engine)) or "none"
    return AssistantError(
        ErrorCode.MODEL_UNAVAILABLE,
        f"There is no {engine} wake-word model {word!r} (built in: {known}; or give a model file path).",
        details={"key": "wakeword.word", "word": word, "engine": engine},
    )


class _Stream:
    """Byte buffering and sample counting shared by both engines."""

    def __init__(self, frame_samples: int, refractory_s: float) -> None:
        self._frame_bytes = frame_samples * _BYTES_PER_SAMPLE
        self._refractory = int(refractory_s * SAMPLE_RATE)
        self._buffer = b""
        self.samples = 0
        """Samples consumed since the last reset."""
        self._quiet_until = 0

    def frames(self, pcm: bytes) -> Iterator[bytes]:
        self._buffer += pcm
        n = len(self._buffer) // self._frame_bytes
        data, self._buffer = self._buffer[: n * self._frame_bytes], self._buffer[n * self._frame_bytes :]
        for i in range(n):
            self.samples += self._frame_bytes // _BYTES_PER_SAMPLE
            yield data[i * self._frame_bytes : (i + 1) * self._frame_bytes]

    def fire(self, name: str, phrase: str, probability: float) -> WakeDetection | None:
        if self.samples < self._quiet_until:
            return None
        self._quiet_until = self.samples + self._refractory
        return WakeDetection(name, phrase, int(self.samples * 1000 // SAMPLE_RATE), round(float(probability), 4))

    def reset(self) -> None:
        self._buffer = b""
        self.samples = 0
        self._quiet_until = 0


class MicroWakeWordDetector:
    """microWakeWord (``pymicro-wakeword``): the default engine; 10 ms features, a decision every 30 ms."""

    def __init__(self, word: str = DEFAULT_WAKE_WORD, *, sensitivity: float = 0.5, refractory_s: float = 2.0) -> None:
        try:
            from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures
        except ImportError:
            _models_dir("micro")  # raises the model-unavailable error naming the package
            raise
        config = Path(word) if word.endswith(".json") else _models_dir("micro") / f"{word}.json"
        if not config.is_file():
            raise _unknown_word(word, "micro")
        cutoff = float(json.loads(config.read_text(encoding="utf-8"))["micro"]["probability_cutoff"])
        self._model = MicroWakeWord.from_config(config)
        self._features = MicroWakeWordFeatures()
        self.name: str = self._model.id
        self.phrase: str = self._model.wake_word
        self.threshold = threshold_for(cutoff, sensitivity)
        """The probability a detection needs."""
        self._stream = _Stream(_MICRO_FRAME, refractory_s)

    def process(self, pcm: bytes) -> WakeDetection | None:
        found: WakeDetection | None = None
        for _, prob in self.scores(pcm):
            if prob > self.threshold and found is None:
                found = self._stream.fire(self.name, self.phrase, prob)
        return found

    def scores(self, pcm: bytes) -> Iterator[tuple[int, float]]:
        """(sample position, probability) of every decision ``pcm`` completes (threshold tuning, benchmarks)."""
        for frame in self._stream.frames(pcm):
            for features in self._features.process_streaming(frame):
                prob = self._model.process_streaming_prob(features)
                if prob is not None:
                    yield self._stream.samples, float(prob)

    def reset(self) -> None:
        self._model.reset()
        self._features.reset()
        self._stream.reset()


class OpenWakeWordDetector:
    """openWakeWord (``pyopen-wakeword``): mel spectrogram → speech embedding → word model, every 80 ms."""

    def __init__(self, word: str = DEFAULT_WAKE_WORD, *, sensitivity: float = 0.5, refractory_s: float = 2.0) -> None:
        try:
            from pyopen_wakeword import OpenWakeWord, OpenWakeWordFeatures
        except ImportError:
            _models_dir("open")
            raise
        model = Path(word) if word.endswith(".tflite") else _models_dir("open") / f"{word}.tflite"
        if not model.is_file() or model.stem in ("melspectrogram", "embedding_model"):
            raise _unknown_word(word, "open")
        self._model = OpenWakeWord.from_model(model)
        self._features = OpenWakeWordFeatures.from_builtin()
        self.name = model.stem
        self.phrase = _PHRASES.get(self.name, self.name.replace("_", " ").title())
        self.threshold = threshold_for(_OPEN_CUTOFF, sensitivity)
        """The probability a detection needs."""
        self._stream = _Stream(_OPEN_FRAME, refractory_s)

    def process(self, pcm: bytes) -> WakeDetection | None:
        found: WakeDetection | None = None
        for _, prob in self.scores(pcm):
            if prob > self.threshold and found is None:
                found = self._stream.fire(self.name, self.phrase, prob)
        return found

    def scores(self, pcm: bytes) -> Iterator[tuple[int, float]]:
        """(sample position, probability) of every decision ``pcm`` completes (threshold tuning, benchmarks)."""
        for frame in self._stream.frames(pcm):
            for embedding in self._features.process_streaming(frame):
                for prob in self._model.process_streaming(embedding):
                    yield self._stream.samples, float(prob)

    def reset(self) -> None:
        self._model.reset()
        self._features.reset()
        self._stream.reset()


def create_wake_detector(
    word: str = DEFAULT_WAKE_WORD,
    *,
    engine: Engine = DEFAULT_ENGINE,
    sensitivity: float = 0.5,
    refractory_s: float = 2.0,
) -> WakeWordDetector:
    """A fresh detector (one per audio stream: detectors keep state). ``word`` is a built-in id or a model file."""
    if engine == "micro":
        return MicroWakeWordDetector(word, sensitivity=sensitivity, refractory_s=refractory_s)
    if engine == "open":
        return OpenWakeWordDetector(word, sensitivity=sensitivity, refractory_s=refractory_s)
    raise AssistantError(
        ErrorCode.CONFIG_INVALID,
        f"Unknown wake-word engine {engine!r} (use one of {', '.join(ENGINES)}).",
        details={"key": "wakeword.engine"},
    )


def find_wake_word(detector: WakeWordDetector, pcm: bytes, *, chunk_ms: int = 20) -> WakeDetection | None:
    """Reset ``detector`` and stream ``pcm`` (16 kHz 16-bit mono) through it; the first detection, if any."""
    detector.reset()
    step = SAMPLE_RATE * chunk_ms // 1000 * _BYTES_PER_SAMPLE
    tail = bytes(SAMPLE_RATE // 2 * _BYTES_PER_SAMPLE)  # 0.5 s of silence lets a word that ends the clip finish
    data = pcm + tail
    for start in range(0, len(data), step):
        found = detector.process(data[start : start + step])
        if found is not None:
            return found
    return None


@dataclass(frozen=True, slots=True)
class WakeCommandResult:
    """What ``wake_then_command`` found and did."""

    detection: WakeDetection | None
    """The wake word (None: not heard, nothing ran)."""
    command_start_s: float | None = None
    """Where the command's speech starts in the recording."""
    command_end_s: float | None = None
    """Where it ends (VAD end of speech, or the length limit)."""
    turn: TurnResult | None = None
    """The turn the command ran as (None when there was no wake word or no speech after it)."""
    error: str | None = None
    """A stable error code when nothing ran after a wake word (``asr-no-speech``)."""


SpeechSpans = Callable[[npt.NDArray[np.float32]], list[tuple[int, int]]]


def _default_spans(samples: npt.NDArray[np.float32]) -> list[tuple[int, int]]:
    from assistant.asr.streaming import speech_spans

    return speech_spans(samples)


def command_span(
    samples: npt.NDArray[np.float32],
    *,
    end_silence_s: float = 0.7,
    max_command_s: float = 10.0,
    pad_s: float = 0.15,
    spans: SpeechSpans = _default_spans,
) -> tuple[int, int] | None:
    """(start, end) samples of the first utterance in ``samples``: speech up to a pause of ``end_silence_s``."""
    limit = int(max_command_s * SAMPLE_RATE)
    found = spans(samples[: limit + int(end_silence_s * SAMPLE_RATE)])
    if not found:
        return None
    gap = int(end_silence_s * SAMPLE_RATE)
    start, end = found[0]
    for s, e in found[1:]:
        if s - end >= gap:
            break
        end = e
    pad = int(pad_s * SAMPLE_RATE)
    return max(0, start - pad), min(len(samples), end + pad, start + limit)


def wake_then_command(
    assistant: Any,
    audio: bytes | str | Path,
    *,
    detector: WakeWordDetector | None = None,
    conversation_id: str | None = None,
    area: str | None = None,
    owner: str | None = None,
    end_silence_s: float = 0.7,
    max_command_s: float = 10.0,
    max_input_s: float = 300.0,
) -> WakeCommandResult:
    """Find the wake word in a recording, then run the speech after it (to the end of speech) as a spoken turn.

    ``audio`` is any format ``decode_audio`` reads (a path or file bytes). Nothing runs without a wake word.
    The command goes through ``assistant.handle_audio``, so sensitive actions still ask for a "yes".
    """
    decoded = decode_audio(audio, max_duration_s=max_input_s)
    samples = decoded.samples
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    detector = detector or create_wake_detector()
    detection = find_wake_word(detector, pcm)
    if detection is None:
        return WakeCommandResult(detection=None)
    after = int(detection.timestamp_ms * SAMPLE_RATE // 1000)
    span = command_span(samples[after:], end_silence_s=end_silence_s, max_command_s=max_command_s)
    if span is None:
        _log.info("wake word %s at %d ms, then no speech", detection.name, detection.timestamp_ms)
        return WakeCommandResult(detection=detection, error=ErrorCode.ASR_NO_SPEECH.value)
    start, end = after + span[0], after + span[1]
    wav = wav_bytes(samples[start:end], SAMPLE_RATE)
    turn = assistant.handle_audio(wav, conversation_id=conversation_id, area=area, owner=owner)
    return WakeCommandResult(
        detection=detection,
        command_start_s=round(start / SAMPLE_RATE, 3),
        command_end_s=round(end / SAMPLE_RATE, 3),
        turn=turn,
    )
