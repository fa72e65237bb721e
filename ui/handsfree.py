"""Hands-free mode for the web UI: stream the microphone, wait for the wake word, record to the end of speech, run it.

Three parts:

- ``HandsFreeSession`` (pure Python, no Gradio): one per browser session. ``feed(samples, sample_rate)`` takes
  microphone chunks of any rate and channel count, resamples them to 16 kHz mono int16 and feeds the wake-word
  detector (``assistant.interop.wakeword``); after a detection it collects the command until Silero VAD hears
  ``end_silence_s`` (0.8 s) of silence after speech, or ``max_command_s`` (8 s) have passed; then
  ``run(conversation_id=..., area=..., owner=...)`` runs it with ``assistant.handle_audio`` and goes back to
  listening. Memory is bounded (a 2 s ring buffer while listening, a fixed ``max_command_s`` buffer while recording)
  and no audio is kept after the turn.
- ``BackgroundFeeder`` runs a session's ``feed`` in a worker thread: Gradio keeps only the newest chunk of a stream
  while the handler of the previous one runs, so the stream handler must only queue the chunk and return.
- ``build_handsfree(assistant, *, owner_state, conversation_state, area_component, on_result=None)`` creates, inside
  the current ``gr.Blocks``, a "Hands-free" checkbox (``#handsfree-toggle``), a status line (``#handsfree-status``:
  "Listening for 'okay nabu'…", "Heard you — listening…", "Thinking…"; its ``.handsfree-status`` element carries the
  phase as a class and ``data-phase``), a streaming microphone (``#handsfree-mic``) and a hidden autoplaying cue
  player (``#handsfree-cue``) that beeps when the wake word is heard. Ticking the box starts the microphone; the
  turn runs as a separate event after "Thinking…" shows; ``on_result`` (``OnResult(fn, inputs, outputs)``) then gets
  ``fn(result, *input values)`` to update the rest of the page (the chat), like any Gradio handler.

Mounting it in an app (``ui/app.py``): where the widgets go in the layout, then with the chat's wiring::

    from ui.handsfree import build_handsfree
    hands_free = build_handsfree(assistant, owner_state=owner, conversation_state=conversation, area_component=area)
    hands_free.on_result(show_handsfree_turn, [chatbot, owner], chat_outputs)

(or ``on_result=OnResult(fn, inputs, outputs)`` in the call when those widgets already exist), with e.g.::

    def show_handsfree_turn(result, history, who):
        heard = result.transcript.text if result.transcript else result.text
        return finish_turn(result, [*(history or []), views.user_message(heard, voice=True), {}], who, False)
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import re
import struct
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.audio import SAMPLE_RATE, pcm_to_float32, wav_bytes
from assistant.interop.wakeword import (
    DEFAULT_ENGINE,
    DEFAULT_WAKE_WORD,
    Engine,
    SpeechSpans,
    WakeDetection,
    WakeWordDetector,
    create_wake_detector,
)
from contracts.messages import AssistantError, ErrorCode, TurnResult

__all__ = [
    "HANDSFREE_CSS",
    "BackgroundFeeder",
    "HandsFreeController",
    "HandsFreeParts",
    "HandsFreeSession",
    "HandsFreeStep",
    "OnResult",
    "Phase",
    "StreamResampler",
    "beep_wav",
    "build_handsfree",
    "read_stream_chunk",
    "status_html",
]

_log = logging.getLogger("assistant.ui.handsfree")

FloatArray = npt.NDArray[np.float32]


class Phase(StrEnum):
    """Where a hands-free session is."""

    OFF = "off"
    """Hands-free is switched off (the UI's state only; a session is never off)."""
    LISTENING = "listening"
    """Waiting for the wake word."""
    HEARD = "heard"
    """The wake word was heard: recording the command until the end of speech."""
    THINKING = "thinking"
    """The command is recorded and runs (or waits for ``run``); microphone audio is dropped meanwhile."""


@dataclass(frozen=True, slots=True)
class HandsFreeStep:
    """What one ``feed`` did."""

    phase: Phase
    """The session's phase after the chunk."""
    detection: WakeDetection | None = None
    """The wake word, on the chunk it was heard in (play the cue)."""
    command_ready: bool = False
    """End of speech after the wake word: call ``run`` to run the command."""
    error: str | None = None
    """A stable code when a wake word led to nothing (``asr-no-speech``: no speech after it); back to listening."""


# ---------------------------------------------------------------------------------------------- audio helpers


class StreamResampler:
    """Chunked resampling to 16 kHz mono float32 with state across chunks (no clicks at chunk edges).

    Downsampling low-passes with a 63-tap windowed sinc (as ``assistant.audio.resample``), then interpolates
    linearly; the filter history and the fractional read position carry over from chunk to chunk.
    """

    _TAPS = 63

    def __init__(self, rate: int, target: int = SAMPLE_RATE) -> None:
        if rate <= 0:
            raise ValueError(f"sample rate must be positive, got {rate}")
        self.rate = rate
        self.target = target
        self._step = rate / target
        self._kernel: FloatArray | None = None
        if target < rate:
            cutoff = 0.5 * target / rate * 0.92
            n = np.arange(self._TAPS) - (self._TAPS - 1) / 2
            kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(self._TAPS)
            self._kernel = (kernel / kernel.sum()).astype(np.float32)
        self._history = np.zeros(self._TAPS - 1, np.float32)
        self._carry = np.zeros(0, np.float32)
        self._pos = 0.0

    def __call__(self, samples: FloatArray) -> FloatArray:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if self.rate == self.target or len(x) == 0:
            return x
        if self._kernel is not None:
            padded = np.concatenate([self._history, x])
            self._history = padded[-(self._TAPS - 1) :]
            x = np.convolve(padded, self._kernel, mode="valid").astype(np.float32)
        buf = np.concatenate([self._carry, x])
        last = len(buf) - 1
        if last < self._pos:
            self._carry = buf
            return np.zeros(0, np.float32)
        count = int((last - self._pos) // self._step) + 1
        positions = self._pos + np.arange(count, dtype=np.float64) * self._step
        out = np.interp(positions, np.arange(len(buf), dtype=np.float64), buf).astype(np.float32)
        self._pos = self._pos + count * self._step - last
        self._carry = buf[-1:]
        return out


class _Ring:
    """The last ``size`` samples (float32), in a fixed array."""

    def __init__(self, size: int) -> None:
        self._data = np.zeros(size, np.float32)
        self._end = 0
        self._filled = 0

    def push(self, samples: FloatArray) -> None:
        size = len(self._data)
        x = samples[-size:]
        first = min(len(x), size - self._end)
        self._data[self._end : self._end + first] = x[:first]
        self._data[: len(x) - first] = x[first:]
        self._end = (self._end + len(x)) % size
        self._filled = min(size, self._filled + len(x))

    @property
    def filled(self) -> int:
        """How many samples it holds."""
        return self._filled

    def tail(self, n: int) -> FloatArray:
        n = max(0, min(n, self._filled))
        idx = (self._end - n + np.arange(n)) % len(self._data)
        return self._data[idx].copy()

    def clear(self) -> None:
        self._data[:] = 0.0
        self._end = 0
        self._filled = 0


def _default_vad(samples: FloatArray) -> list[tuple[int, int]]:
    from assistant.asr.streaming import speech_spans

    return speech_spans(samples)


def _to_float(samples: npt.ArrayLike) -> FloatArray:
    """Integer or float PCM, mono, (frames, channels) or (channels, frames) → mono float32 in [-1, 1]."""
    array = np.asarray(samples)
    if array.ndim == 2 and array.shape[0] < array.shape[1] and array.shape[0] <= 8:
        array = array.T  # (channels, frames) → (frames, channels)
    if array.ndim == 2:  # scale each channel first (pcm_to_float32 mixes integers before scaling), then mix
        return np.asarray([pcm_to_float32(array[:, c]) for c in range(array.shape[1])]).mean(axis=0, dtype=np.float32)
    return pcm_to_float32(array.reshape(-1))


# ---------------------------------------------------------------------------------------------- the session


class HandsFreeSession:
    """One browser's hands-free loop: wake word → command to the end of speech → one turn → listening again.

    Thread-safe: ``feed`` (the microphone stream) and ``run`` (the turn) may run in different threads; audio that
    arrives while a command runs is dropped.
    """

    def __init__(
        self,
        assistant: Any,
        *,
        word: str = DEFAULT_WAKE_WORD,
        engine: Engine = DEFAULT_ENGINE,
        sensitivity: float = 0.5,
        end_silence_s: float = 0.8,
        max_command_s: float = 8.0,
        no_speech_s: float = 4.0,
        vad_hop_s: float = 0.2,
        pad_s: float = 0.15,
        detector: WakeWordDetector | None = None,
        vad: SpeechSpans | None = None,
    ) -> None:
        self._assistant = assistant
        self.detector: WakeWordDetector = detector or create_wake_detector(word, engine=engine, sensitivity=sensitivity)
        self.phrase: str = str(getattr(self.detector, "phrase", word.replace("_", " ")))
        """What the user says, e.g. ``Okay Nabu``."""
        self._vad = vad or _default_vad
        self._end_silence = int(end_silence_s * SAMPLE_RATE)
        self._max_command = int(max_command_s * SAMPLE_RATE)
        self._no_speech = int(no_speech_s * SAMPLE_RATE)
        self._hop = max(1, int(vad_hop_s * SAMPLE_RATE))
        self._pad = int(pad_s * SAMPLE_RATE)
        self._tail = int(0.3 * SAMPLE_RATE)  # speech ending this early after the detection is the wake word's own
        self._lock = threading.Lock()
        self._resampler: StreamResampler | None = None
        self._ring = _Ring(2 * SAMPLE_RATE)
        self._fed = 0  # 16 kHz samples given to the detector since its last reset
        self._buffer: FloatArray | None = None
        self._length = 0
        self._since_vad = 0
        self._command: bytes | None = None
        self.phase: Phase = Phase.LISTENING
        self.last_detection: WakeDetection | None = None

    # -------------------------------------------------------------------------------------- state
    @property
    def buffered_samples(self) -> int:
        """16 kHz samples of audio the session holds (the ring buffer, the command being recorded or waiting)."""
        held = self._ring.filled + (len(self._buffer) if self._buffer is not None else 0)
        return held + (len(self._command) // 2 if self._command else 0)

    def reset(self) -> None:
        """Back to listening: forget the stream and any command (recorded or waiting)."""
        with self._lock:
            self._listen()

    def _listen(self) -> None:
        self.detector.reset()
        self._ring.clear()
        self._fed = 0
        self._buffer = None
        self._length = 0
        self._since_vad = 0
        self._command = None
        self._resampler = None
        self.phase = Phase.LISTENING

    # -------------------------------------------------------------------------------------- audio in
    def feed(self, samples: npt.ArrayLike, sample_rate: int = SAMPLE_RATE) -> HandsFreeStep:
        """Add a microphone chunk (int or float PCM, mono or (frames, channels), any rate)."""
        with self._lock:
            if self.phase == Phase.THINKING:
                return HandsFreeStep(self.phase)
            if self._resampler is None or self._resampler.rate != sample_rate:
                self._resampler = StreamResampler(sample_rate)
            chunk = self._resampler(_to_float(samples))
            if len(chunk) == 0:
                return HandsFreeStep(self.phase)
            if self.phase == Phase.LISTENING:
                return self._listen_chunk(chunk)
            return self._record_chunk(chunk)

    def _listen_chunk(self, chunk: FloatArray) -> HandsFreeStep:
        self._ring.push(chunk)
        self._fed += len(chunk)
        pcm = (np.clip(chunk, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        found = self.detector.process(pcm)
        if found is None:
            return HandsFreeStep(self.phase)
        self.last_detection = found
        _log.info("hands-free: %s heard (p=%.2f)", found.name, found.probability)
        at = min(self._fed, max(0, found.timestamp_ms * SAMPLE_RATE // 1000))
        after = self._ring.tail(self._fed - at)  # from the detection on (the ring holds the last 2 s)
        self._ring.clear()
        self._buffer = np.zeros(self._max_command, np.float32)
        self._length = 0
        self._since_vad = 0
        self.phase = Phase.HEARD
        step = self._record_chunk(after) if len(after) else HandsFreeStep(self.phase)
        return HandsFreeStep(step.phase, found, step.command_ready, step.error)

    def _record_chunk(self, chunk: FloatArray) -> HandsFreeStep:
        assert self._buffer is not None
        room = self._max_command - self._length
        take = chunk[: max(0, room)]
        self._buffer[self._length : self._length + len(take)] = take
        self._length += len(take)
        self._since_vad += len(take)
        full = self._length >= self._max_command
        if self._since_vad < self._hop and not full:
            return HandsFreeStep(self.phase)
        self._since_vad = 0
        audio = self._buffer[: self._length]
        spans = [(s, e) for s, e in self._vad(audio) if e > self._tail]
        if not spans:
            if full or self._length >= self._no_speech:
                _log.info("hands-free: no speech after the wake word")
                self._listen()
                return HandsFreeStep(self.phase, error=ErrorCode.ASR_NO_SPEECH.value)
            return HandsFreeStep(self.phase)
        start, end = spans[0]
        for s, e in spans[1:]:
            if s - end >= self._end_silence:
                break
            end = e
        if not full and self._length - end < self._end_silence:
            return HandsFreeStep(self.phase)
        lo, hi = max(0, start - self._pad), min(self._length, end + self._pad)
        self._command = wav_bytes(audio[lo:hi], SAMPLE_RATE)
        self._buffer = None
        self._length = 0
        self.phase = Phase.THINKING
        return HandsFreeStep(self.phase, command_ready=True)

    # -------------------------------------------------------------------------------------- the turn
    def run(
        self, *, conversation_id: str | None = None, area: str | None = None, owner: str | None = None
    ) -> TurnResult | None:
        """Run the recorded command as a spoken turn (None when none waits); the session then listens again."""
        with self._lock:
            command, self._command = self._command, None
        if command is None:
            return None
        try:
            result: TurnResult = self._assistant.handle_audio(
                command, conversation_id=conversation_id, area=area, owner=owner
            )
            return result
        finally:
            del command
            with self._lock:
                self._listen()

    def process(
        self,
        samples: npt.ArrayLike,
        sample_rate: int = SAMPLE_RATE,
        *,
        conversation_id: str | None = None,
        area: str | None = None,
        owner: str | None = None,
    ) -> tuple[HandsFreeStep, TurnResult | None]:
        """``feed``, then ``run`` when that completed a command."""
        step = self.feed(samples, sample_rate)
        if not step.command_ready:
            return step, None
        return step, self.run(conversation_id=conversation_id, area=area, owner=owner)


class BackgroundFeeder:
    """Feeds a ``HandsFreeSession`` from a worker thread, so that a Gradio stream handler returns at once.

    Gradio (6.x) keeps only the newest chunk of a stream while the handler of the previous one still runs, so a
    handler slower than ``stream_every`` silently loses audio (measured: a 350 ms handler on 200 ms chunks kept half
    of them). ``put`` only queues the chunk; the worker runs the detector and VAD; ``take_steps`` hands over what
    happened since the last call. The queue holds at most ``max_queued_s`` of audio (the oldest is dropped); the worker
    thread ends after ``idle_s`` without audio and starts again with the next chunk.
    """

    def __init__(self, session: HandsFreeSession, *, max_queued_s: float = 5.0, idle_s: float = 30.0) -> None:
        self.session = session
        self._max_queued = max_queued_s
        self._idle_s = idle_s
        self._chunks: deque[tuple[npt.NDArray[Any], int]] = deque()
        self._queued_s = 0.0
        self._steps: list[HandsFreeStep] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._busy = False
        self._closed = False
        self.dropped_s = 0.0
        """Seconds of audio dropped because the worker fell more than ``max_queued_s`` behind."""

    def put(self, samples: npt.ArrayLike, sample_rate: int) -> None:
        """Queue a chunk for the session (returns at once)."""
        array = np.asarray(samples)
        seconds = len(array) / max(1, sample_rate)
        with self._cond:
            if self._closed:
                return
            self._chunks.append((array, sample_rate))
            self._queued_s += seconds
            while self._queued_s > self._max_queued and len(self._chunks) > 1:
                old, rate = self._chunks.popleft()
                self._queued_s -= len(old) / max(1, rate)
                self.dropped_s += len(old) / max(1, rate)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="handsfree-feeder", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def take_steps(self) -> list[HandsFreeStep]:
        """The steps with news (a detection, a command ready, an error) since the last call."""
        with self._cond:
            steps, self._steps = self._steps, []
        return steps

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every queued chunk was fed (True) or the timeout passed (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._chunks and not self._busy, timeout=timeout_s)

    def close(self) -> None:
        """Drop the queue and stop the worker (the session is left as it is)."""
        with self._cond:
            self._closed = True
            self._chunks.clear()
            self._queued_s = 0.0
            self._cond.notify_all()

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._chunks or self._closed, timeout=self._idle_s)
                if self._closed or not self._chunks:
                    self._thread = None
                    self._cond.notify_all()
                    return
                samples, rate = self._chunks.popleft()
                self._queued_s -= len(samples) / max(1, rate)
                self._busy = True
            try:
                step = self.session.feed(samples, rate)
            except Exception:  # a broken chunk must not end the loop
                _log.exception("hands-free: a chunk could not be processed")
                step = HandsFreeStep(self.session.phase)
            with self._cond:
                self._busy = False
                if step.detection is not None or step.command_ready or step.error is not None:
                    self._steps.append(step)
                self._cond.notify_all()


# ---------------------------------------------------------------------------------------------- Gradio payloads


def beep_wav(
    *, freq_hz: float = 880.0, duration_s: float = 0.18, rate: int = SAMPLE_RATE, volume: float = 0.4
) -> bytes:
    """A short sine beep with 10 ms fades, as 16-bit mono WAV bytes (the wake-word cue)."""
    n = int(duration_s * rate)
    t = np.arange(n, dtype=np.float32) / rate
    tone = np.sin(2 * np.pi * freq_hz * t) + 0.3 * np.sin(2 * np.pi * 2 * freq_hz * t)
    fade = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.01 * rate))
    return wav_bytes((volume / 1.3) * tone * fade, rate)


def _parse_wav(data: bytes) -> tuple[int, npt.NDArray[Any]] | None:
    """A RIFF/WAVE file's (rate, (frames, channels) samples), trusting the bytes present over the sizes declared
    (a streamed chunk repeats the first chunk's header)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        size = struct.unpack_from("<I", data, pos + 4)[0]
        if chunk_id == b"fmt " and pos + 24 <= len(data):
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, pos + 8)
            if tag == 0xFFFE and pos + 34 <= len(data):
                tag = struct.unpack_from("<H", data, pos + 32)[0]
            fmt = (tag, max(1, channels), rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                return None
            tag, channels, rate, bits = fmt
            body = data[pos + 8 :]
            dtype = {(1, 8): "u1", (1, 16): "<i2", (1, 32): "<i4", (3, 32): "<f4"}.get((tag, bits))
            if dtype is None:
                return None
            width = np.dtype(dtype).itemsize * channels
            frames = np.frombuffer(body[: len(body) - len(body) % width], dtype=dtype)
            return rate, frames.reshape(-1, channels)
        pos += 8 + size + (size % 2)
    return None


_CACHE_DIR = re.compile(r"[0-9a-f]{32,64}")


def read_stream_chunk(value: Any, *, delete: bool = True) -> tuple[int, npt.NDArray[Any]] | None:
    """A ``gr.Audio(streaming=True)`` chunk as (sample rate, samples): a ``(rate, array)`` tuple (``type="numpy"``)
    or the path of an uploaded WAV (``type="filepath"``; the file, and Gradio's folder for it, are deleted once
    read unless ``delete=False``: a hands-free stream uploads four chunks a second)."""
    if value is None:
        return None
    if isinstance(value, tuple) and len(value) == 2:
        rate, samples = value
        return int(rate), np.asarray(samples)
    path = Path(str(value.get("path")) if isinstance(value, dict) else str(value))
    try:
        data = path.read_bytes()
    except OSError:
        return None
    finally:
        if delete:
            with contextlib.suppress(OSError):
                os.unlink(path)
                if _CACHE_DIR.fullmatch(path.parent.name):  # Gradio's per-upload folder, empty now
                    os.rmdir(path.parent)
    parsed = _parse_wav(data)
    if parsed is not None:
        return parsed
    try:
        from assistant.audio import decode_audio

        decoded = decode_audio(data)
    except (AssistantError, ValueError):
        return None
    return decoded.sample_rate, decoded.samples


# ---------------------------------------------------------------------------------------------- the Gradio part

HANDSFREE_CSS = """
.handsfree-status { display: inline-flex; align-items: center; gap: 8px; padding: 4px 12px; border-radius: 14px;
  font-size: 14px; border: 1px solid var(--border-color-primary, #d1d5db); }
.handsfree-status::before { content: ""; width: 10px; height: 10px; border-radius: 50%; background: #9ca3af; }
.handsfree-status.listening::before { background: #22c55e; }
.handsfree-status.heard { background: #fef3c7; border-color: #f59e0b; font-weight: 600; }
.handsfree-status.heard::before { background: #f59e0b; animation: handsfree-pulse .8s infinite alternate; }
.handsfree-status.thinking::before { background: #3b82f6; animation: handsfree-pulse .5s infinite alternate; }
.handsfree-status.error { background: #fee2e2; border-color: #ef4444; }
@keyframes handsfree-pulse { from { opacity: 1; } to { opacity: .3; } }
"""
"""The status line's look per phase (scoped to the status component; also fine in an app's ``css``)."""

_MIC_JS = """
async (on) => {
  const find = () => {
    const root = document.querySelector('#handsfree-mic');
    if (!root) return null;
    const byClass = root.querySelector(on ? 'button.record-button' : 'button.stop-button');
    if (byClass) return byClass;
    for (const b of root.querySelectorAll('button')) {
      const label = ((b.getAttribute('aria-label') || '') + ' ' + b.textContent).trim().toLowerCase();
      if (label.includes(on ? 'record' : 'stop') && !b.disabled) return b;
    }
    return null;
  };
  for (let i = 0; i < (on ? 50 : 10); i++) {
    const button = find();
    if (button) { button.click(); break; }
    await new Promise((r) => setTimeout(r, 100));
  }
  return on;
}
"""
"""Starts (or stops) the streaming microphone when the box is ticked (or cleared): Gradio has no server-side
"start recording", so the page presses the component's own Record/Stop button."""


def status_html(phase: Phase, phrase: str = "Okay Nabu", note: str = "") -> str:
    """The status line for a phase: an element with classes ``handsfree-status <phase>`` and ``data-phase``."""
    text = {
        Phase.OFF: "Hands-free is off.",
        Phase.LISTENING: f"Listening for '{phrase.lower()}'…",
        Phase.HEARD: "Heard you — listening…",
        Phase.THINKING: "Thinking…",
    }[phase]
    extra = f' <span class="note">{html.escape(note, quote=False)}</span>' if note else ""
    css = f"{phase.value} error" if note.startswith("⚠") else phase.value
    return (
        f'<div class="handsfree-status {css}" data-phase="{phase.value}" role="status" aria-live="polite">'
        f"{html.escape(text, quote=False)}{extra}</div>"
    )


@dataclass(frozen=True, slots=True)
class OnResult:
    """How a hands-free turn reaches the rest of the page: ``fn(result, *values of inputs)`` → updates of outputs."""

    fn: Callable[..., Any]
    """Called with the ``TurnResult`` first, then the values of ``inputs``; returns what a Gradio handler returns."""
    inputs: Sequence[Any] = ()
    """Components whose values ``fn`` reads (e.g. the chat history and the owner)."""
    outputs: Sequence[Any] = ()
    """Components ``fn`` updates (e.g. the chat's outputs)."""


@dataclass(frozen=True)
class HandsFreeParts:
    """The components ``build_handsfree`` created (to lay out, restyle or wire further)."""

    toggle: Any
    """``gr.Checkbox`` "Hands-free" (``#handsfree-toggle``)."""
    status: Any
    """``gr.HTML`` status line (``#handsfree-status``)."""
    mic: Any
    """``gr.Audio`` streaming microphone (``#handsfree-mic``), shown while hands-free is on."""
    cue: Any
    """``gr.Audio`` hidden autoplaying player for the beep (``#handsfree-cue``)."""
    session: Any
    """``gr.State`` holding the browser's ``BackgroundFeeder`` (its ``.session``: the ``HandsFreeSession``; None
    while off)."""
    result: Any
    """``gr.State`` holding the last hands-free ``TurnResult`` (None until one ran)."""
    pending: Any
    """``gr.State`` counting recorded commands; its change runs the turn."""
    turn_event: Any
    """The event that runs a turn (``.then`` chains after it)."""

    def on_result(self, fn: Callable[..., Any], inputs: Sequence[Any] = (), outputs: Sequence[Any] = ()) -> Any:
        """After every hands-free turn: ``fn(result, *values of inputs)`` → updates of ``outputs``.

        For an app whose result widgets are wired after the layout; call it inside the same ``gr.Blocks`` context.
        """
        return _deliver_after(self.turn_event, self.result, OnResult(fn, inputs, outputs))


def _skip() -> Any:
    import gradio as gr

    return gr.skip()


def _error_note(exc: BaseException) -> str:
    if isinstance(exc, AssistantError):
        return f"⚠ {exc.message} (error: {exc.code.value})"
    _log.error("hands-free failed", exc_info=exc)
    return f"⚠ Something went wrong inside the assistant (error: {ErrorCode.INTERNAL.value})"


class HandsFreeController:
    """The Gradio callbacks of ``build_handsfree`` (widget values in, widget updates out), testable without a page.

    The per-browser state is a ``BackgroundFeeder`` around the browser's ``HandsFreeSession``. Each callback returns a
    tuple in the order of its event's outputs; ``gr.skip()`` leaves a widget as it is.
    """

    def __init__(self, make_session: Callable[[], HandsFreeSession], phrase: str) -> None:
        self._make_session = make_session
        self.phrase = phrase
        self.beep = beep_wav()

    def switch(self, on: bool, feeder: BackgroundFeeder | None) -> tuple[Any, ...]:
        """The box ticked or cleared → (feeder, status, mic, cue)."""
        import gradio as gr

        if feeder is not None:
            feeder.close()
            feeder.session.reset()
        if not on:
            return None, status_html(Phase.OFF, self.phrase), gr.update(visible="hidden"), None
        try:
            session = self._make_session()
        except Exception as exc:  # e.g. the wake-word package or model is missing
            return None, status_html(Phase.OFF, self.phrase, _error_note(exc)), gr.update(visible="hidden"), None
        return BackgroundFeeder(session), status_html(Phase.LISTENING, session.phrase), gr.update(visible=True), None

    def chunk(self, value: Any, feeder: BackgroundFeeder | None, on: bool, pending: int) -> tuple[Any, Any, Any]:
        """A microphone chunk → (status, cue, pending). The chunk is queued; what the session did with earlier ones
        comes out: the beep on the wake word, ``pending + 1`` once a command is recorded (its change runs ``turn``)."""
        audio = read_stream_chunk(value)
        if not on or feeder is None:
            return _skip(), _skip(), _skip()
        if audio is not None:
            feeder.put(audio[1], audio[0])
        steps = feeder.take_steps()
        if not steps:
            return _skip(), _skip(), _skip()
        phrase = feeder.session.phrase
        heard = any(s.detection is not None for s in steps)
        cue = self.beep if heard else _skip()
        if any(s.command_ready for s in steps):
            return status_html(Phase.THINKING, phrase), cue, int(pending or 0) + 1
        last = steps[-1]
        if last.error is not None:
            return status_html(last.phase, phrase, "(no command heard)"), None, _skip()
        return status_html(last.phase, phrase), cue, _skip()

    def turn(
        self, feeder: BackgroundFeeder | None, who: str | None, conversation_id: str | None, area: str | None
    ) -> tuple[Any, Any, Any, TurnResult | None]:
        """Run the recorded command → (status, cue, conversation id, result)."""
        session = feeder.session if feeder is not None else None
        if session is None or session.phase != Phase.THINKING:
            return _skip(), _skip(), _skip(), None
        try:
            result = session.run(conversation_id=conversation_id or None, area=area or None, owner=who or None)
        except Exception as exc:  # shown on the status line, never a stack trace
            return status_html(Phase.LISTENING, session.phrase, _error_note(exc)), None, _skip(), None
        if result is None:
            return status_html(Phase.LISTENING, session.phrase), None, _skip(), None
        heard = result.transcript.text if result.transcript is not None else result.text
        note = f"You: “{heard}” → {result.reply}" if heard else result.reply
        if result.error:
            note = f"⚠ {note} (error: {result.error})"
        keep = bool(result.conversation_id) and result.error != ErrorCode.CONVERSATION_FORBIDDEN.value
        status = status_html(Phase.LISTENING, session.phrase, note)
        return status, None, result.conversation_id if keep else _skip(), result


def build_handsfree(
    assistant: Any,
    *,
    owner_state: Any,
    conversation_state: Any,
    area_component: Any,
    on_result: OnResult | None = None,
    word: str = DEFAULT_WAKE_WORD,
    engine: Engine = DEFAULT_ENGINE,
    sensitivity: float = 0.5,
    end_silence_s: float = 0.8,
    max_command_s: float = 8.0,
    stream_every_s: float = 0.25,
    session_factory: Callable[[], HandsFreeSession] | None = None,
) -> HandsFreeParts:
    """Create the hands-free controls in the current ``gr.Blocks`` context and wire them (see the module docstring).

    ``owner_state`` (the session's owner), ``conversation_state`` (a ``gr.State`` of the conversation id, "" for a
    new one; a hands-free turn writes its conversation id there) and ``area_component`` (the room dropdown) are the
    app's own components. ``word``/``engine``/``sensitivity`` choose the wake word (``wakeword.*`` settings);
    ``session_factory`` replaces the per-browser ``HandsFreeSession`` (tests).
    """
    import gradio as gr

    def make_session() -> HandsFreeSession:
        if session_factory is not None:
            return session_factory()
        return HandsFreeSession(
            assistant,
            word=word,
            engine=engine,
            sensitivity=sensitivity,
            end_silence_s=end_silence_s,
            max_command_s=max_command_s,
        )

    controller = HandsFreeController(make_session, word.replace("_", " ").title())
    private: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}

    with gr.Column(elem_id="handsfree"):
        toggle = gr.Checkbox(label="Hands-free", value=False, elem_id="handsfree-toggle")
        status = gr.HTML(
            status_html(Phase.OFF, controller.phrase),
            elem_id="handsfree-status",
            css_template=HANDSFREE_CSS,
            js_on_load=None,
        )
        mic = gr.Audio(
            sources=["microphone"],
            streaming=True,
            type="filepath",
            label="Hands-free microphone",
            visible="hidden",
            elem_id="handsfree-mic",
        )
        cue = gr.Audio(
            value=None, autoplay=True, interactive=False, visible="hidden", label="Cue", elem_id="handsfree-cue"
        )
        session_state = gr.State(None)
        pending = gr.State(0)
        result_state = gr.State(None)

    toggle.change(controller.switch, [toggle, session_state], [session_state, status, mic, cue], **private).then(
        None, toggle, None, js=_MIC_JS, **private
    )
    mic.stream(
        controller.chunk,
        [mic, session_state, toggle, pending],
        [status, cue, pending],
        stream_every=stream_every_s,
        time_limit=None,
        concurrency_limit=None,  # one long-lived stream per browser: never queue one behind another
        **private,
    )
    turn = pending.change(
        controller.turn,
        [session_state, owner_state, conversation_state, area_component],
        [status, cue, conversation_state, result_state],
        **private,
    )
    parts = HandsFreeParts(toggle, status, mic, cue, session_state, result_state, pending, turn)
    if on_result is not None:
        _deliver_after(turn, result_state, on_result)
    return parts


def _deliver_after(turn: Any, result_state: Any, hook: OnResult) -> Any:
    def deliver(result: TurnResult | None, *values: Any) -> Any:
        if result is None:  # the turn did not run (or failed): leave the page as it is
            return _skip() if len(hook.outputs) == 1 else tuple(_skip() for _ in hook.outputs)
        return hook.fn(result, *values)

    return turn.then(
        deliver,
        [result_state, *hook.inputs],
        list(hook.outputs),
        api_visibility="private",
        show_progress="hidden",
    )
