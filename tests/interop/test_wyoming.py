"""The Wyoming server over a real TCP socket on 127.0.0.1, driven by the ``wyoming`` client classes."""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import Iterator
from typing import Any

import pytest
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop, wav_to_chunks
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize
from wyoming.wake import Detect, Detection, NotDetected

from assistant import Assistant
from assistant.interop.access import check_wyoming_uri
from assistant.interop.wyoming_server import WyomingServerThread
from contracts.messages import AssistantError

from .conftest import Speak, set_state, state

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(interop_assistant: Assistant) -> Iterator[WyomingServerThread]:
    with WyomingServerThread(interop_assistant) as running:
        yield running


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout=120))


async def _read_until(client: AsyncTcpClient, *types: str) -> list[Event]:
    """Events up to and including the first of ``types`` (or an error)."""
    events: list[Event] = []
    while True:
        event = await client.read_event()
        assert event is not None, "connection closed"
        events.append(event)
        if event.type in types or Error.is_type(event.type):
            return events


async def _send_wav(client: AsyncTcpClient, wav: bytes, samples_per_chunk: int = 1024) -> None:
    with wave.open(io.BytesIO(wav), "rb") as reader:
        start = AudioStart(rate=reader.getframerate(), width=reader.getsampwidth(), channels=reader.getnchannels())
        await client.write_event(start.event())
        for chunk in wav_to_chunks(reader, samples_per_chunk=samples_per_chunk):
            await client.write_event(chunk.event())
    await client.write_event(AudioStop().event())


def _client(server: WyomingServerThread) -> AsyncTcpClient:
    return AsyncTcpClient(server.host, server.port)


def test_describe_lists_asr_tts_wake_and_handle(server: WyomingServerThread) -> None:
    async def go() -> Info:
        async with _client(server) as client:
            await client.write_event(Describe().event())
            events = await _read_until(client, "info")
            return Info.from_event(events[-1])

    info = run(go())
    assert info.asr and info.asr[0].models[0].languages
    assert info.tts and info.tts[0].voices
    assert {"okay_nabu", "hey_jarvis", "alexa", "hey_mycroft"} <= {m.name for m in info.wake[0].models}
    assert info.handle and info.handle[0].supports_home_control


def test_speech_to_text(server: WyomingServerThread, speak: Speak) -> None:
    wav = speak("turn on the kitchen light")

    async def go() -> Transcript:
        async with _client(server) as client:
            await client.write_event(Transcribe(language="en").event())
            await _send_wav(client, wav)
            events = await _read_until(client, "transcript")
            assert Transcript.is_type(events[-1].type), events[-1]
            return Transcript.from_event(events[-1])

    transcript = run(go())
    assert "kitchen light" in transcript.text.lower()


def test_speech_to_text_resamples_other_formats(server: WyomingServerThread, speak: Speak) -> None:
    """A 22.05 kHz stereo stream is converted to 16 kHz mono before recognition."""
    import numpy as np

    wav = speak("turn off the bedroom light")
    with wave.open(io.BytesIO(wav), "rb") as reader:
        mono = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    positions = np.arange(int(len(mono) * 22050 / 16000)) * (16000 / 22050)
    resampled = np.interp(positions, np.arange(len(mono)), mono).astype("<i2")
    stereo = np.repeat(resampled, 2).tobytes()

    async def go() -> Transcript:
        async with _client(server) as client:
            await client.write_event(AudioStart(rate=22050, width=2, channels=2).event())
            for i in range(0, len(stereo), 4096):
                await client.write_event(AudioChunk(22050, 2, 2, stereo[i : i + 4096]).event())
            await client.write_event(AudioStop().event())
            events = await _read_until(client, "transcript")
            return Transcript.from_event(events[-1])

    assert "bedroom light" in run(go()).text.lower()


def test_handle_runs_the_pipeline_and_changes_the_home(
    server: WyomingServerThread, interop_assistant: Assistant
) -> None:
    set_state(interop_assistant, "light.turn_off", "light.kitchen")

    async def go() -> Event:
        async with _client(server) as client:
            await client.write_event(Transcript(text="turn on the kitchen light").event())
            return (await _read_until(client, "handled", "not-handled"))[-1]

    event = run(go())
    assert Handled.is_type(event.type), event
    assert Handled.from_event(event).text
    assert state(interop_assistant, "light.kitchen") == "on"


def test_sensitive_action_waits_for_yes_in_the_same_context(
    server: WyomingServerThread, interop_assistant: Assistant
) -> None:
    """Home Assistant opens a connection per sentence and names the conversation in ``context``."""
    set_state(interop_assistant, "lock.lock", "lock.front_door")
    context = {"conversation_id": "01HZTESTCONVERSATION0000001"}

    async def say(text: str, ctx: dict[str, Any] | None) -> Event:
        async with _client(server) as client:
            await client.write_event(Transcript(text=text, context=ctx).event())
            return (await _read_until(client, "handled", "not-handled"))[-1]

    first = run(say("unlock the front door", context))
    assert Handled.is_type(first.type), first
    assert state(interop_assistant, "lock.front_door") == "locked"
    # a "yes" in another conversation confirms nothing
    run(say("yes", {"conversation_id": "01HZOTHERCONVERSATION000002"}))
    assert state(interop_assistant, "lock.front_door") == "locked"
    run(say("yes", context))
    assert state(interop_assistant, "lock.front_door") == "unlocked"
    set_state(interop_assistant, "lock.lock", "lock.front_door")


def test_text_to_speech_returns_audio(server: WyomingServerThread) -> None:
    async def go() -> list[Event]:
        async with _client(server) as client:
            await client.write_event(Synthesize(text="The kitchen light is on.").event())
            return await _read_until(client, "audio-stop")

    events = run(go())
    assert AudioStart.is_type(events[0].type), events[0]
    chunks = [AudioChunk.from_event(e) for e in events if AudioChunk.is_type(e.type)]
    assert chunks and AudioStop.is_type(events[-1].type)
    seconds = sum(c.seconds for c in chunks)
    assert 0.5 < seconds < 10


def test_wake_word_detection(server: WyomingServerThread, speak: Speak) -> None:
    async def listen(wav: bytes, names: list[str] | None) -> Event:
        async with _client(server) as client:
            await client.write_event(Detect(names=names).event())
            await _send_wav(client, wav + bytes(16000))
            return (await _read_until(client, "detection", "not-detected"))[-1]

    hit = run(listen(speak("okay nabu"), ["okay_nabu"]))
    assert Detection.is_type(hit.type), hit
    assert Detection.from_event(hit).name == "okay_nabu"
    miss = run(listen(speak("turn on the kitchen light"), None))
    assert NotDetected.is_type(miss.type), miss


def test_garbage_audio_is_an_error_event_and_the_connection_stays(server: WyomingServerThread) -> None:
    async def go() -> tuple[list[Error], Event, Event]:
        errors: list[Error] = []
        async with _client(server) as client:
            # odd byte count for 16-bit samples, then an impossible format
            await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
            await client.write_event(AudioChunk(16000, 2, 1, b"\x01\x02\x03").event())
            await client.write_event(AudioStop().event())
            errors.append(Error.from_event((await _read_until(client, "transcript"))[-1]))
            await client.write_event(AudioChunk(-5, 9, 0, b"garbage!").event())
            await client.write_event(AudioStop().event())
            errors.append(Error.from_event((await _read_until(client, "transcript"))[-1]))
            # a stream of pure silence has no speech in it
            await client.write_event(Transcribe().event())
            await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
            await client.write_event(AudioChunk(16000, 2, 1, bytes(32000)).event())
            await client.write_event(AudioStop().event())
            silent = (await _read_until(client, "transcript"))[-1]
            await client.write_event(Describe().event())
            info = (await _read_until(client, "info"))[-1]
        return errors, silent, info

    errors, silent, info = run(go())
    assert [e.code for e in errors] == ["asr-unreadable-audio", "asr-unreadable-audio"]
    assert all(e.text for e in errors)
    if Error.is_type(silent.type):
        assert str(Error.from_event(silent).code).startswith("asr-")
    else:  # a recognizer may also answer silence with an empty transcript
        assert Transcript.from_event(silent).text.strip() == ""
    assert Info.is_type(info.type)


def test_empty_text_to_speak_and_unknown_wake_word_are_errors(server: WyomingServerThread) -> None:
    async def go() -> tuple[Event, Event, Event]:
        async with _client(server) as client:
            await client.write_event(Synthesize(text="   ").event())
            empty = (await _read_until(client, "audio-start"))[-1]
            await client.write_event(Detect(names=["hey_computer"]).event())
            await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
            unknown = (await _read_until(client, "detection"))[-1]
            await client.write_event(AudioStop().event())
            await client.write_event(Transcript(text="").event())
            handled = (await _read_until(client, "handled", "not-handled"))[-1]
        return empty, unknown, handled

    empty, unknown, handled = run(go())
    assert Error.from_event(empty).code == "input-empty"
    assert Error.from_event(unknown).code == "model-unavailable"
    assert NotHandled.is_type(handled.type), handled


@pytest.mark.parametrize("uri", ["tcp://0.0.0.0:10700", "tcp://192.168.1.5:10700", "tcp://[::]:10700"])
def test_non_loopback_address_needs_allow_remote(uri: str) -> None:
    with pytest.raises(AssistantError) as err:
        check_wyoming_uri(uri)
    assert err.value.code.value == "config-invalid"
    assert "--allow-remote" in err.value.message
    assert check_wyoming_uri(uri, allow_remote=True).scheme == "tcp"


@pytest.mark.parametrize("uri", ["tcp://127.0.0.1:10700", "tcp://localhost:10700", "tcp://[::1]:10700"])
def test_loopback_address_is_allowed(uri: str) -> None:
    assert check_wyoming_uri(uri).port == 10700


@pytest.mark.parametrize("uri", ["http://127.0.0.1:10700", "tcp://127.0.0.1", "tcp://127.0.0.1:99999"])
def test_malformed_uri_is_config_invalid(uri: str) -> None:
    with pytest.raises(AssistantError) as err:
        check_wyoming_uri(uri)
    assert err.value.code.value == "config-invalid"
