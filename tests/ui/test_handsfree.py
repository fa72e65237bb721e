"""Hands-free mode (ui.handsfree): espeak-ng speech streamed in 100–250 ms chunks through ``HandsFreeSession``.

The session tests use the real wake-word detector and Silero VAD; a recorder stands in for the assistant, except in
the ``slow`` tests at the end, which run a real ``Assistant`` (the light really turns on).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import numpy.typing as npt
import pytest

from assistant.audio import SAMPLE_RATE, decode_audio, resample, wav_bytes
from assistant.interop.wakeword import WakeDetection
from contracts.messages import AssistantError, ErrorCode, Transcript, TurnResult
from ui.handsfree import (
    BackgroundFeeder,
    HandsFreeController,
    HandsFreeParts,
    HandsFreeSession,
    HandsFreeStep,
    OnResult,
    Phase,
    StreamResampler,
    beep_wav,
    build_handsfree,
    read_stream_chunk,
    status_html,
)

COMMAND = "okay nabu, turn on the kitchen light"
Speak = Callable[[str], npt.NDArray[np.float32]]


@pytest.fixture(scope="module")
def speak(tmp_path_factory: pytest.TempPathFactory) -> Speak:
    """``speak(text)``: 16 kHz mono float32 samples rendered by espeak-ng (en-us, default speed)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    folder = tmp_path_factory.mktemp("handsfree-speech")
    cache: dict[str, npt.NDArray[np.float32]] = {}

    def render(text: str) -> npt.NDArray[np.float32]:
        if text not in cache:
            out = folder / f"{len(cache)}.wav"
            subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(out), text], check=True)
            cache[text] = decode_audio(out).samples
        return cache[text]

    return render


def silence(seconds: float) -> npt.NDArray[np.float32]:
    return np.zeros(int(seconds * SAMPLE_RATE), np.float32)


def mic_chunks(
    samples: npt.NDArray[np.float32], *, rate: int = 48000, channels: int = 2, seed: int = 7
) -> Iterator[npt.NDArray[np.int16]]:
    """What a browser microphone sends: int16 at ``rate``, (frames, channels), in random 100–250 ms pieces."""
    audio = resample(samples, SAMPLE_RATE, rate) if rate != SAMPLE_RATE else samples
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    frames = np.repeat(pcm[:, None], channels, axis=1) if channels > 1 else pcm
    rng = np.random.default_rng(seed)
    pos = 0
    while pos < len(frames):
        n = int(rate * rng.uniform(0.1, 0.25))
        yield frames[pos : pos + n]
        pos += n


class Recorder:
    """Stands in for the Assistant: records what ``handle_audio`` got and answers like a light turn."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.calls: list[tuple[bytes, dict[str, Any]]] = []
        self.fail = fail

    def handle_audio(self, audio: bytes, **kwargs: Any) -> TurnResult:
        self.calls.append((audio, kwargs))
        if self.fail is not None:
            raise self.fail
        return TurnResult(
            turn_id="t1",
            conversation_id=kwargs.get("conversation_id") or "c1",
            text="turn on the kitchen light",
            reply="Turned on the Kitchen Light.",
            transcript=Transcript(text="turn on the kitchen light", confidence=0.9, duration_s=1.5),
        )


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data), "rb") as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (16000, 1, 2)
        return reader.getnframes() / reader.getframerate()


def stream(
    session: HandsFreeSession, samples: npt.NDArray[np.float32], **turn: Any
) -> tuple[list[HandsFreeStep], list[TurnResult]]:
    steps, results = [], []
    for chunk in mic_chunks(samples):
        step, result = session.process(chunk, 48000, **turn)
        steps.append(step)
        if result is not None:
            results.append(result)
    return steps, results


# ---------------------------------------------------------------------------------------------- the session


def test_wake_word_then_command_runs_one_turn_and_listens_again(speak: Speak) -> None:
    recorder = Recorder()
    session = HandsFreeSession(recorder)
    audio = np.concatenate([silence(1.0), speak(COMMAND), silence(2.0)])
    steps, results = stream(session, audio, conversation_id="c9", area="kitchen", owner="me")
    assert [s.detection.name for s in steps if s.detection] == ["okay_nabu"]
    assert sum(s.command_ready for s in steps) == 1
    phases = [s.phase for s in steps]
    heard, thinking = phases.index(Phase.HEARD), phases.index(Phase.THINKING)
    assert phases[0] == Phase.LISTENING and heard < thinking
    assert len(recorder.calls) == 1 and len(results) == 1
    command, kwargs = recorder.calls[0]
    assert kwargs == {"conversation_id": "c9", "area": "kitchen", "owner": "me"}
    assert 0.9 < wav_seconds(command) < 3.0  # "turn on the kitchen light", not the wake word, not the silence
    assert session.phase == Phase.LISTENING
    assert session.buffered_samples <= 2 * SAMPLE_RATE  # only the listening ring buffer


def test_the_command_wav_is_the_command_not_the_wake_word(speak: Speak) -> None:
    recorder = Recorder()
    session = HandsFreeSession(recorder)
    stream(session, np.concatenate([silence(0.5), speak(COMMAND), silence(2.0)]))
    command = decode_audio(recorder.calls[0][0]).samples
    whole = len(speak(COMMAND)) / SAMPLE_RATE
    assert len(command) / SAMPLE_RATE < whole - 0.5


def test_speech_without_the_wake_word_runs_nothing(speak: Speak) -> None:
    recorder = Recorder()
    session = HandsFreeSession(recorder)
    audio = np.concatenate([silence(0.5), speak("turn on the kitchen light"), silence(2.0)])
    steps, results = stream(session, audio)
    assert not any(s.detection or s.command_ready for s in steps)
    assert recorder.calls == [] and results == []
    assert session.phase == Phase.LISTENING


def test_silence_runs_nothing_and_memory_stays_bounded() -> None:
    recorder = Recorder()
    session = HandsFreeSession(recorder)
    steps, _ = stream(session, silence(30.0))
    assert {s.phase for s in steps} == {Phase.LISTENING}
    assert recorder.calls == []
    assert session.buffered_samples <= 2 * SAMPLE_RATE


def test_wake_word_then_silence_gives_up_and_listens_again(speak: Speak) -> None:
    recorder = Recorder()
    session = HandsFreeSession(recorder, no_speech_s=3.0)
    steps, _ = stream(session, np.concatenate([silence(0.5), speak("okay nabu"), silence(5.0)]))
    assert any(s.detection for s in steps)
    assert [s.error for s in steps if s.error] == [ErrorCode.ASR_NO_SPEECH.value]
    assert recorder.calls == [] and session.phase == Phase.LISTENING
    assert session.buffered_samples <= 2 * SAMPLE_RATE


class FiresAtOnce:
    """A detector that hears the wake word in the first chunk."""

    name = "test_word"
    phrase = "Test Word"

    def __init__(self) -> None:
        self.fired = False

    def process(self, pcm: bytes) -> WakeDetection | None:
        if self.fired:
            return None
        self.fired = True
        return WakeDetection(self.name, self.phrase, 0, 0.99)

    def reset(self) -> None:
        self.fired = False


def test_a_command_that_never_ends_is_cut_at_max_command_s() -> None:
    recorder = Recorder()

    def talking(samples: npt.NDArray[np.float32]) -> list[tuple[int, int]]:
        return [(0, len(samples))]  # speech all the way

    session = HandsFreeSession(recorder, detector=FiresAtOnce(), vad=talking, max_command_s=3.0)
    noise = np.random.default_rng(1).normal(0, 0.1, 10 * SAMPLE_RATE).astype(np.float32)
    most = 0
    for chunk in mic_chunks(noise):
        session.process(chunk, 48000)
        most = max(most, session.buffered_samples)
    assert len(recorder.calls) >= 1
    assert all(wav_seconds(c) <= 3.0 for c, _ in recorder.calls)
    assert most <= 3 * SAMPLE_RATE + 2 * SAMPLE_RATE


def test_audio_while_thinking_is_dropped_and_run_clears_everything(speak: Speak) -> None:
    recorder = Recorder()
    session = HandsFreeSession(recorder)
    ready = False
    for chunk in mic_chunks(np.concatenate([speak(COMMAND), silence(2.0)])):
        ready = ready or session.feed(chunk, 48000).command_ready
    assert ready and session.phase == Phase.THINKING
    held = session.buffered_samples
    for chunk in mic_chunks(speak("okay nabu, turn off the kitchen light")):
        assert session.feed(chunk, 48000) == HandsFreeStep(Phase.THINKING)
    assert session.buffered_samples == held
    assert session.run(owner="me") is not None
    assert session.phase == Phase.LISTENING and session.buffered_samples == 0
    assert session.run() is None and len(recorder.calls) == 1


def test_a_failed_turn_still_returns_to_listening(speak: Speak) -> None:
    session = HandsFreeSession(Recorder(fail=AssistantError(ErrorCode.ASR_NO_SPEECH, "Nothing heard.")))
    with pytest.raises(AssistantError):
        stream(session, np.concatenate([speak(COMMAND), silence(2.0)]))
    assert session.phase == Phase.LISTENING and session.buffered_samples < 2 * SAMPLE_RATE


# ---------------------------------------------------------------------------------------------- audio helpers


@pytest.mark.parametrize("rate", [48000, 44100, 22050, 8000])
def test_chunked_resampling_matches_resampling_at_once(rate: int) -> None:
    t = np.arange(rate * 2) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    whole = resample(tone, rate)
    resampler = StreamResampler(rate)
    rng = np.random.default_rng(3)
    pieces, pos = [], 0
    while pos < len(tone):
        n = int(rng.integers(1, rate // 4))
        pieces.append(resampler(tone[pos : pos + n]))
        pos += n
    chunked = np.concatenate(pieces)
    assert abs(len(chunked) - len(whole)) <= 1
    n = min(len(chunked), len(whole))
    # the streaming filter is causal (a fixed 31-sample delay at the input rate); the tone is otherwise the same
    delay = 31 * SAMPLE_RATE // rate if rate > SAMPLE_RATE else 0
    inner = slice(100, n - 100)
    shifted = chunked[delay:n][inner.start : inner.stop - delay]
    assert np.max(np.abs(shifted - whole[inner.start : inner.stop - delay])) < 0.05


def test_read_stream_chunk_reads_browser_wav_chunks_and_deletes_them(tmp_path: Path) -> None:
    pcm = (np.arange(4800 * 2, dtype=np.int16) % 1000).reshape(-1, 2)
    header = wav_bytes(np.zeros(10, np.int16), 48000)[:44]  # a header that declares far less data than follows
    stereo = bytearray(header)
    stereo[22:24] = (2).to_bytes(2, "little")  # channels
    stereo[28:32] = (48000 * 4).to_bytes(4, "little")  # byte rate
    stereo[32:34] = (4).to_bytes(2, "little")  # block align
    path = tmp_path / ("ab" * 32) / "audio.wav"  # where Gradio puts an upload: a folder named by its hash
    path.parent.mkdir()
    path.write_bytes(bytes(stereo) + pcm.astype("<i2").tobytes())
    rate, samples = read_stream_chunk(str(path))  # type: ignore[misc]
    assert rate == 48000 and samples.shape == (4800, 2)
    assert np.array_equal(samples, pcm)
    assert not path.parent.exists()
    kept = tmp_path / "kept.wav"
    kept.write_bytes(wav_bytes(np.zeros(160, np.float32), 16000))
    assert read_stream_chunk(str(kept), delete=False) is not None and kept.exists()
    assert read_stream_chunk(None) is None
    assert read_stream_chunk(str(tmp_path / "missing.wav")) is None
    tone = np.ones(10, np.int16)
    assert read_stream_chunk((8000, tone)) == (8000, tone)


def test_beep_is_a_short_audible_wav() -> None:
    data = beep_wav()
    seconds = wav_seconds(data)
    samples = decode_audio(data).samples
    assert 0.1 <= seconds <= 0.3
    assert 0.1 < float(np.max(np.abs(samples))) < 0.9
    assert abs(float(samples[0])) < 0.01 and abs(float(samples[-1])) < 0.01  # faded: no click


def test_status_line_names_the_phase() -> None:
    assert "Listening for 'okay nabu'…" in status_html(Phase.LISTENING, "Okay Nabu")
    assert 'class="handsfree-status heard"' in status_html(Phase.HEARD)
    assert "Heard you — listening…" in status_html(Phase.HEARD)
    assert 'data-phase="thinking"' in status_html(Phase.THINKING) and "Thinking…" in status_html(Phase.THINKING)
    hostile = status_html(Phase.LISTENING, note="<img src=x onerror=alert(1)>")
    assert "<img" not in hostile and "&lt;img" in hostile
    assert "error" in status_html(Phase.LISTENING, note="⚠ failed").split(">")[0]


# ---------------------------------------------------------------------------------------------- the Gradio glue


def test_controller_runs_the_whole_loop_on_uploaded_chunks(speak: Speak, tmp_path: Path) -> None:
    recorder = Recorder()
    controller = HandsFreeController(lambda: HandsFreeSession(recorder), "Okay Nabu")
    feeder, status, mic, cue = controller.switch(True, None)
    assert isinstance(feeder, BackgroundFeeder) and "Listening for 'okay nabu'" in status
    assert mic["visible"] is True and cue is None
    pending, statuses, beeps = 0, [], 0

    def outputs(value: Any) -> None:
        nonlocal pending, beeps
        status, cue, new_pending = controller.chunk(value, feeder, True, pending)
        if isinstance(status, str):
            statuses.append(status)
        beeps += cue == controller.beep
        if isinstance(new_pending, int):
            pending = new_pending
            status, cue, conversation, result = controller.turn(feeder, "me", "", "kitchen")
            statuses.append(status)
            assert conversation == "c1" and isinstance(result, TurnResult) and cue is None

    for i, chunk in enumerate(mic_chunks(np.concatenate([silence(0.5), speak(COMMAND), silence(2.0)]))):
        path = tmp_path / f"{i}.wav"  # as Gradio hands a streamed chunk over: an uploaded WAV file
        path.write_bytes(wav_bytes(chunk.mean(axis=1).astype(np.int16), 48000))
        outputs(str(path))
        assert not path.exists()
        assert feeder.flush()  # the worker caught up: its news comes with the next chunk
    outputs(None)
    assert pending == 1 and beeps == 1 and feeder.dropped_s == 0
    assert [s.split('data-phase="')[1].split('"')[0] for s in statuses] == ["heard", "thinking", "listening"]
    assert "Turned on the Kitchen Light." in statuses[-1]
    assert recorder.calls[0][1] == {"conversation_id": None, "area": "kitchen", "owner": "me"}
    assert all(isinstance(x, type(gr.skip())) for x in controller.chunk(None, feeder, True, pending))
    off = controller.switch(False, feeder)
    assert off[0] is None and "off" in off[1] and feeder.session.buffered_samples == 0


def test_controller_shows_a_failed_turn_on_the_status_line(speak: Speak) -> None:
    session = HandsFreeSession(Recorder(fail=RuntimeError("boom")))
    controller = HandsFreeController(lambda: session, "Okay Nabu")
    for chunk in mic_chunks(np.concatenate([speak(COMMAND), silence(2.0)])):
        if session.feed(chunk, 48000).command_ready:
            break
    status, cue, _, result = controller.turn(BackgroundFeeder(session), "me", "", "")
    assert result is None and cue is None and "internal-error" in status and "boom" not in status
    assert session.phase == Phase.LISTENING


class SlowSession:
    """A session whose ``feed`` takes 50 ms and records the chunks it got."""

    phase = Phase.LISTENING
    phrase = "Okay Nabu"

    def __init__(self) -> None:
        self.fed: list[int] = []

    def feed(self, samples: Any, sample_rate: int = SAMPLE_RATE) -> HandsFreeStep:
        time.sleep(0.05)
        self.fed.append(int(np.asarray(samples)[0]))
        return HandsFreeStep(Phase.HEARD, command_ready=len(self.fed) == 3)


def test_background_feeder_returns_at_once_and_feeds_every_chunk_in_order() -> None:
    session = SlowSession()
    feeder = BackgroundFeeder(session, max_queued_s=10.0)  # type: ignore[arg-type]
    started = time.monotonic()
    for i in range(10):
        feeder.put(np.full(1600, i, np.int16), SAMPLE_RATE)
    assert time.monotonic() - started < 0.05  # a Gradio handler must not wait for the detector
    assert feeder.flush(5.0)
    assert session.fed == list(range(10))
    assert [s.command_ready for s in feeder.take_steps()] == [True] and feeder.take_steps() == []
    feeder.close()
    feeder.put(np.zeros(1600, np.int16), SAMPLE_RATE)
    assert feeder.flush(1.0) and len(session.fed) == 10


def test_background_feeder_bounds_its_queue() -> None:
    session = SlowSession()
    feeder = BackgroundFeeder(session, max_queued_s=0.5)  # type: ignore[arg-type]
    for i in range(20):  # 2 s of audio at once, far faster than the session takes it
        feeder.put(np.full(1600, i, np.int16), SAMPLE_RATE)
    assert feeder.flush(5.0)
    assert 1.0 <= feeder.dropped_s <= 1.6 and session.fed[-1] == 19 and len(session.fed) <= 8


def test_controller_reports_a_missing_wake_word_model() -> None:
    def broken() -> HandsFreeSession:
        return HandsFreeSession(Recorder(), word="hey_computer")

    session, status, mic, _ = HandsFreeController(broken, "Hey Computer").switch(True, None)
    assert session is None and "model-unavailable" in status and mic["visible"] == "hidden"


def test_build_handsfree_mounts_its_widgets_and_events() -> None:
    def shown(result: TurnResult, who: str) -> str:
        return f"{who}: {result.reply}"

    with gr.Blocks() as app:
        owner = gr.State("me")
        conversation = gr.State("")
        area = gr.Dropdown(choices=[""], value="")
        out = gr.Markdown()
        parts = build_handsfree(
            Recorder(),
            owner_state=owner,
            conversation_state=conversation,
            area_component=area,
            on_result=OnResult(shown, [owner], [out]),
        )
    assert isinstance(parts, HandsFreeParts)
    assert parts.toggle.elem_id == "handsfree-toggle" and parts.status.elem_id == "handsfree-status"
    assert parts.mic.streaming and parts.mic.sources == ["microphone"] and parts.cue.autoplay
    fns = list(app.fns.values())
    streams = [f for f in fns if f.connection == "stream"]
    assert len(streams) == 1 and streams[0].concurrency_limit is None  # never queued behind another browser
    assert streams[0].inputs[0] is parts.mic
    assert all(f.api_visibility == "private" for f in fns)
    assert any(f.js and "record-button" in f.js for f in fns)
    assert any(out in f.outputs for f in fns)


def test_results_can_be_wired_after_the_layout() -> None:
    with gr.Blocks() as app:
        owner = gr.State("me")
        parts = build_handsfree(
            Recorder(), owner_state=owner, conversation_state=gr.State(""), area_component=gr.Dropdown(choices=[""])
        )
        before = len(app.fns)
        chat = gr.Chatbot()
        parts.on_result(lambda result, history, who: history, [chat, owner], [chat])
    assert len(app.fns) == before + 1
    deliver = list(app.fns.values())[-1]
    assert deliver.inputs == [parts.result, chat, owner] and deliver.outputs == [chat]


# ---------------------------------------------------------------------------------------------- real assistant


@pytest.fixture(scope="module")
def real_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from assistant import Assistant

    a = Assistant.create(data_dir=str(tmp_path_factory.mktemp("handsfree-data")))
    try:
        yield a
    finally:
        a.close()


def _light(a: Any) -> str:
    return str(a.home.states()["light.kitchen"]["state"])


@pytest.mark.slow
def test_okay_nabu_turns_on_the_kitchen_light(real_assistant: Any, speak: Speak) -> None:
    assert all(x.success for x in real_assistant.home.call_service("light.turn_off", ["light.kitchen"]))
    session = HandsFreeSession(real_assistant)
    steps, results = stream(session, np.concatenate([silence(1.0), speak(COMMAND), silence(2.0)]), owner="me")
    assert len(results) == 1, steps
    result = results[0]
    assert result.error is None, result
    assert result.transcript is not None and "kitchen" in result.transcript.text.lower()
    assert _light(real_assistant) == "on"
    assert session.phase == Phase.LISTENING


@pytest.mark.slow
def test_real_assistant_without_wake_word_or_speech_runs_nothing(real_assistant: Any, speak: Speak) -> None:
    assert all(x.success for x in real_assistant.home.call_service("light.turn_off", ["light.kitchen"]))
    before = len(real_assistant.db.conversations.list_conversations())
    session = HandsFreeSession(real_assistant)
    for audio in (np.concatenate([speak("turn on the kitchen light"), silence(2.0)]), silence(10.0)):
        steps, results = stream(session, audio, owner="me")
        assert results == [] and not any(s.detection for s in steps)
        assert session.phase == Phase.LISTENING
    assert _light(real_assistant) == "off"
    assert len(real_assistant.db.conversations.list_conversations()) == before
