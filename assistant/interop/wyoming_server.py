"""A Wyoming protocol server, so Home Assistant (and its voice satellites) can use the assistant.

Services, as Home Assistant's Wyoming integration uses them (one TCP connection per request):

- ``describe`` → ``info``: the ASR model, the voice, the wake words and the conversation agent on offer.
- speech to text: ``transcribe`` (optional) + ``audio-start`` / ``audio-chunk``… / ``audio-stop`` → ``transcript``.
- text to speech: ``synthesize`` → ``audio-start`` / ``audio-chunk``… / ``audio-stop``.
- wake word: ``detect`` + ``audio-start`` / ``audio-chunk``… → ``detection`` as soon as it is heard;
  ``audio-stop`` → ``not-detected`` when it never was.
- intent handling: ``transcript`` → ``handled`` (or ``not-handled`` when the turn failed) with the reply. The text
  runs through the whole pipeline (``Assistant.handle_text``), so a satellite's command changes the home and a
  sensitive action asks for a "yes" first; the conversation is the one named by ``context.conversation_id`` (Home
  Assistant sends it) or else one per client connection.

Bad audio and engine errors answer with an ``error`` event whose ``code`` is the stable error code
(``asr-unreadable-audio``, ``asr-no-speech``, ``tts-unavailable``, …); the connection stays open. A failed
``transcript`` also gets a ``not-handled`` after the ``error`` so a client waiting for a result is never left hanging.

Wyoming has no authentication: ``serve_wyoming`` refuses a non-loopback TCP address unless ``allow_remote``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import threading
import uuid
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    Describe,
    HandleModel,
    HandleProgram,
    Info,
    TtsProgram,
    TtsVoice,
    WakeModel,
    WakeProgram,
)
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler, AsyncServer, AsyncTcpServer
from wyoming.tts import Synthesize
from wyoming.wake import Detect, Detection, NotDetected

from assistant.audio import SAMPLE_RATE, wav_bytes
from assistant.interop.access import check_wyoming_uri
from assistant.interop.wakeword import (
    DEFAULT_ENGINE,
    DEFAULT_WAKE_WORD,
    Engine,
    WakeWordDetector,
    available_wake_words,
    create_wake_detector,
)
from contracts.messages import AssistantError, ErrorCode, TurnResult

__all__ = ["AssistantEventHandler", "WyomingOptions", "WyomingServerThread", "WyomingService", "serve_wyoming"]

_log = logging.getLogger("assistant.wyoming")

_ATTRIBUTION = Attribution(name="assistant (local-first home voice assistant)", url="")
_WIDTH = 2
_CHANNELS = 1
_TTS_CHUNK_SAMPLES = 1024
_MAX_RATE = 192_000
OWNER = "wyoming"
"""The owner of conversations started over Wyoming (every Wyoming client is equally trusted: there is no auth)."""


@dataclass(frozen=True, slots=True)
class WyomingOptions:
    """Plain settings of the Wyoming server (the CLI fills them from flags)."""

    owner: str = OWNER
    """The owner recorded on conversations started over Wyoming."""
    area: str | None = None
    """The speaker's area for every handled command (for "in here"); None when unknown."""
    wake_engine: Engine = DEFAULT_ENGINE
    """``micro`` (microWakeWord) or ``open`` (openWakeWord)."""
    wake_word: str = DEFAULT_WAKE_WORD
    """The wake word listened for when a ``detect`` names none."""
    wake_sensitivity: float = 0.5
    """0..1: 0.5 is the model's own cut-off; higher hears more (and more false accepts)."""
    max_audio_s: float | None = None
    """The longest speech-to-text stream; None: the config's ``asr.max_duration_s``."""
    languages: tuple[str, ...] = ()
    """Languages advertised; empty: the config's ``asr.allowed_languages``."""


@dataclass(slots=True)
class _Stream:
    """One audio stream (``audio-start`` … ``audio-stop``) of a connection."""

    purpose: str
    """``transcribe`` or ``detect``."""
    converter: AudioChunkConverter = field(
        default_factory=lambda: AudioChunkConverter(rate=SAMPLE_RATE, width=_WIDTH, channels=_CHANNELS)
    )
    pcm: bytearray = field(default_factory=bytearray)
    detectors: list[WakeWordDetector] = field(default_factory=list)
    detected: bool = False
    failed: bool = False


def _conversation_key(context: Any) -> str | None:
    if isinstance(context, dict):
        value = context.get("conversation_id")
        if isinstance(value, str | int) and str(value).strip():
            return str(value)
    return None


class WyomingService:
    """What every connection shares: the assistant, the options and the ``info`` answer."""

    def __init__(self, assistant: Any, options: WyomingOptions | None = None) -> None:
        self.assistant = assistant
        self.options = options or WyomingOptions()
        cfg = assistant.config
        self.max_audio_s = float(self.options.max_audio_s or cfg.asr.max_duration_s)
        self.languages = list(self.options.languages or cfg.asr.allowed_languages or [cfg.asr.language])
        self.max_text_chars = int(getattr(cfg.pipeline, "max_text_chars", 2000))
        self.wake_words = available_wake_words(self.options.wake_engine)
        # build a detector once now: a bad engine, word or sensitivity stops start-up, not the first request
        create_wake_detector(
            self.options.wake_word, engine=self.options.wake_engine, sensitivity=self.options.wake_sensitivity
        )

    def conversation_id(self, context: Any, connection_id: str) -> str:
        """Our conversation id for a request's ``context.conversation_id``, else the connection's own."""
        key = _conversation_key(context)
        if key is None:
            return connection_id
        return "wyoming-" + hashlib.sha256(key.encode()).hexdigest()[:32]

    def new_detector(self, name: str | None) -> WakeWordDetector:
        """A fresh detector for one stream (``name`` None: the configured word)."""
        return create_wake_detector(
            name or self.options.wake_word, engine=self.options.wake_engine, sensitivity=self.options.wake_sensitivity
        )

    def info(self) -> Info:
        """The ``info`` event's content."""
        cfg = self.assistant.config
        version = "0.1.0"
        asr = AsrProgram(
            name="assistant-asr",
            attribution=_ATTRIBUTION,
            installed=True,
            description="Assistant speech to text (faster-whisper)",
            version=version,
            models=[
                AsrModel(
                    name=str(cfg.asr.model),
                    attribution=_ATTRIBUTION,
                    installed=True,
                    description=f"Whisper {cfg.asr.model}",
                    version=version,
                    languages=self.languages,
                )
            ],
        )
        info = Info(asr=[asr])
        if cfg.tts.engine != "none":
            info.tts = [
                TtsProgram(
                    name="assistant-tts",
                    attribution=_ATTRIBUTION,
                    installed=True,
                    description=f"Assistant speech synthesis ({cfg.tts.engine})",
                    version=version,
                    voices=[
                        TtsVoice(
                            name="assistant",
                            attribution=_ATTRIBUTION,
                            installed=True,
                            description="The assistant's configured voice",
                            version=version,
                            languages=self.languages,
                        )
                    ],
                )
            ]
        info.wake = [
            WakeProgram(
                name=f"assistant-wake-{self.options.wake_engine}",
                attribution=_ATTRIBUTION,
                installed=True,
                description="Wake words (microWakeWord)"
                if self.options.wake_engine == "micro"
                else "Wake words (openWakeWord)",
                version=version,
                models=[
                    WakeModel(
                        name=name,
                        attribution=_ATTRIBUTION,
                        installed=True,
                        description=phrase,
                        version=version,
                        languages=["en"],
                        phrase=phrase,
                    )
                    for name, phrase in self.wake_words.items()
                ],
            )
        ]
        info.handle = [
            HandleProgram(
                name="assistant",
                attribution=_ATTRIBUTION,
                installed=True,
                description="Local-first home assistant (templates, semantic matching, small LLM, skills)",
                version=version,
                models=[
                    HandleModel(
                        name="assistant",
                        attribution=_ATTRIBUTION,
                        installed=True,
                        description="The assistant's whole pipeline",
                        version=version,
                        languages=self.languages,
                    )
                ],
                supports_home_control=True,
            )
        ]
        return info

    def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> AssistantEventHandler:
        """The ``HandlerFactory`` for ``AsyncServer.run``."""
        return AssistantEventHandler(reader, writer, self)


class AssistantEventHandler(AsyncEventHandler):
    """One client connection: events in, answers out; errors answer, never disconnect."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, service: WyomingService) -> None:
        super().__init__(reader, writer)
        self._svc = service
        self._connection_conversation = f"wyoming-{uuid.uuid4().hex}"
        self._purpose: str | None = None
        self._language: str | None = None
        self._wake_names: list[str] | None = None
        self._stream: _Stream | None = None

    async def handle_event(self, event: Event) -> bool:
        try:
            await self._dispatch(event)
        except AssistantError as exc:
            await self._error(exc.code.value, exc.message)
        except Exception:
            _log.exception("wyoming %s failed", event.type)
            await self._error(ErrorCode.INTERNAL.value, "Sorry, something went wrong on my side. Nothing was changed.")
        return True

    async def _error(self, code: str, text: str) -> None:
        _log.info("wyoming error [%s]: %s", code, text)
        await self.write_event(Error(text=text, code=code).event())

    async def _dispatch(self, event: Event) -> None:
        if Describe.is_type(event.type):
            await self.write_event(self._svc.info().event())
        elif Ping.is_type(event.type):
            await self.write_event(Pong(text=Ping.from_event(event).text).event())
        elif Transcribe.is_type(event.type):
            self._purpose = "transcribe"
            self._language = Transcribe.from_event(event).language
        elif Detect.is_type(event.type):
            self._purpose = "detect"
            self._wake_names = list(Detect.from_event(event).names or []) or None
        elif AudioStart.is_type(event.type):
            start = AudioStart.from_event(event)
            await self._start_stream(start.rate, start.width, start.channels)
        elif AudioChunk.is_type(event.type):
            await self._chunk(event)
        elif AudioStop.is_type(event.type):
            await self._stop_stream()
        elif Synthesize.is_type(event.type):
            await self._synthesize(Synthesize.from_event(event))
        elif Transcript.is_type(event.type):
            await self._handle(Transcript.from_event(event))
        else:
            _log.debug("wyoming: ignoring %s", event.type)

    # ------------------------------------------------------------------ audio streams

    async def _start_stream(self, rate: Any, width: Any, channels: Any) -> None:
        purpose = self._purpose or "transcribe"
        stream = self._stream = _Stream(purpose)
        try:
            _check_format(rate, width, channels)
            if purpose == "detect":
                names: list[str | None] = [*self._wake_names] if self._wake_names else [None]
                known = [n for n in names if n is None or n in self._svc.wake_words]
                if not known:
                    raise AssistantError(
                        ErrorCode.MODEL_UNAVAILABLE,
                        f"None of the wake words {names} is available (have: {', '.join(self._svc.wake_words)}).",
                    )
                stream.detectors = await asyncio.to_thread(lambda: [self._svc.new_detector(n) for n in known])
        except AssistantError:
            stream.failed = True
            raise

    async def _chunk(self, event: Event) -> None:
        chunk = AudioChunk.from_event(event)
        stream = self._stream
        if stream is None:  # no audio-start: start with the chunk's format
            await self._start_stream(chunk.rate, chunk.width, chunk.channels)
            stream = self._stream
        if stream is None or stream.failed or stream.detected:
            return
        try:
            _check_format(chunk.rate, chunk.width, chunk.channels)
            if len(chunk.audio) % (chunk.width * chunk.channels):
                raise _unreadable(f"{len(chunk.audio)} bytes is not a whole number of {chunk.width}-byte samples.")
            try:
                pcm = stream.converter.convert(chunk).audio
            except Exception as exc:
                raise _unreadable(f"The audio could not be converted: {exc}") from exc
        except AssistantError:
            stream.failed = True
            raise
        if stream.purpose == "detect":
            await self._detect(stream, pcm)
            return
        stream.pcm.extend(pcm)
        seconds = len(stream.pcm) / (SAMPLE_RATE * _WIDTH)
        if seconds > self._svc.max_audio_s:
            stream.failed = True
            stream.pcm.clear()
            raise AssistantError(
                ErrorCode.ASR_TOO_LONG,
                f"The recording is too long (over {self._svc.max_audio_s:.0f} s).",
                details={"max_duration_s": self._svc.max_audio_s},
            )

    async def _detect(self, stream: _Stream, pcm: bytes) -> None:
        def run() -> Any:
            for detector in stream.detectors:
                found = detector.process(pcm)
                if found is not None:
                    return found
            return None

        found = await asyncio.to_thread(run)
        if found is not None:
            stream.detected = True
            await self.write_event(Detection(name=found.name, timestamp=found.timestamp_ms).event())

    async def _stop_stream(self) -> None:
        stream, self._stream = self._stream, None
        language = self._language
        self._purpose = self._language = None
        self._wake_names = None
        if stream is None or stream.failed:
            return  # the error was already sent
        if stream.purpose == "detect":
            if not stream.detected:
                await self.write_event(NotDetected().event())
            return
        if not stream.pcm:
            raise AssistantError(ErrorCode.ASR_EMPTY, "The recording is empty.")
        samples = np.frombuffer(bytes(stream.pcm), dtype="<i2")
        wav = wav_bytes(samples, SAMPLE_RATE)
        asr = self._svc.assistant

        def run() -> Any:
            return asr.asr.transcribe(wav, language=language)

        transcript = await asyncio.to_thread(run)
        await self.write_event(Transcript(text=transcript.text, language=transcript.language or language).event())

    # ------------------------------------------------------------------ speech synthesis

    async def _synthesize(self, request: Synthesize) -> None:
        text = (request.text or "").strip()
        if not text:
            raise AssistantError(ErrorCode.INPUT_EMPTY, "There is no text to speak.")
        if len(text) > self._svc.max_text_chars:
            raise AssistantError(ErrorCode.INPUT_TOO_LONG, f"The text is over {self._svc.max_text_chars} characters.")
        assistant = self._svc.assistant

        def run() -> list[bytes]:
            tts = assistant.tts
            if tts is None:
                raise AssistantError(ErrorCode.TTS_UNAVAILABLE, "No speech synthesizer is configured.")
            return list(tts.synthesize(text))

        wavs = await asyncio.to_thread(run)
        parts = [_read_wav(w) for w in wavs if w]
        if not parts:
            raise AssistantError(ErrorCode.TTS_UNAVAILABLE, "The synthesizer produced no audio.")
        rate, width, channels = parts[0][:3]
        converter = AudioChunkConverter(rate=rate, width=width, channels=channels)
        await self.write_event(AudioStart(rate=rate, width=width, channels=channels).event())
        step = _TTS_CHUNK_SAMPLES * width * channels
        for p_rate, p_width, p_channels, frames in parts:
            audio = converter.convert(AudioChunk(p_rate, p_width, p_channels, frames)).audio
            for start in range(0, len(audio), step):
                await self.write_event(AudioChunk(rate, width, channels, audio[start : start + step]).event())
        await self.write_event(AudioStop().event())

    # ------------------------------------------------------------------ intent handling

    async def _handle(self, transcript: Transcript) -> None:
        context = dict(transcript.context or {})
        conversation_id = self._svc.conversation_id(context, self._connection_conversation)
        assistant, options = self._svc.assistant, self._svc.options

        def run() -> TurnResult:
            return assistant.handle_text(
                transcript.text or "", conversation_id=conversation_id, area=options.area, owner=options.owner
            )

        try:
            result = await asyncio.to_thread(run)
        except AssistantError as exc:
            await self._error(exc.code.value, exc.message)
            await self.write_event(NotHandled(text=exc.message, context=context or None).event())
            return
        except Exception:
            _log.exception("wyoming handle failed")
            text = "Sorry, something went wrong on my side. Nothing was changed."
            await self._error(ErrorCode.INTERNAL.value, text)
            await self.write_event(NotHandled(text=text, context=context or None).event())
            return
        context.setdefault("conversation_id", conversation_id)
        if result.error and not result.needs_confirmation and not any(a.success for a in result.actions):
            await self.write_event(NotHandled(text=result.reply, context=context).event())
        else:
            await self.write_event(Handled(text=result.reply, context=context).event())


def _unreadable(message: str) -> AssistantError:
    return AssistantError(ErrorCode.ASR_UNREADABLE, message)


def _check_format(rate: Any, width: Any, channels: Any) -> None:
    ok = (
        isinstance(rate, int)
        and isinstance(width, int)
        and isinstance(channels, int)
        and 1000 <= rate <= _MAX_RATE
        and width in (1, 2, 3, 4)
        and 1 <= channels <= 8
    )
    if not ok:
        raise _unreadable(f"Unsupported audio format: rate={rate!r}, width={width!r}, channels={channels!r}.")


def _read_wav(data: bytes) -> tuple[int, int, int, bytes]:
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            return wav.getframerate(), wav.getsampwidth(), wav.getnchannels(), wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AssistantError(ErrorCode.TTS_UNAVAILABLE, f"The synthesizer returned unreadable audio: {exc}") from exc


# ---------------------------------------------------------------------- serving


async def _run_server(server: AsyncServer, service: WyomingService, on_listening: Callable[[], None] | None) -> None:
    await server.start(service.handler)
    if on_listening is not None:
        on_listening()
    tcp = getattr(server, "_server", None)
    if tcp is not None:
        await tcp.serve_forever()
    else:  # stdio: run() serves the one connection
        await server.run(service.handler)


def serve_wyoming(
    assistant: Any,
    uri: str = "tcp://127.0.0.1:10700",
    *,
    allow_remote: bool = False,
    options: WyomingOptions | None = None,
    on_listening: Callable[[], None] | None = None,
) -> None:
    """Serve until interrupted. Refuses (config-invalid) a non-loopback TCP host without ``allow_remote``."""
    address = check_wyoming_uri(uri, allow_remote=allow_remote)
    service = WyomingService(assistant, options)
    server = AsyncServer.from_uri(address.uri)
    if address.scheme == "stdio":
        asyncio.run(server.run(service.handler))
        return
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run_server(server, service, on_listening))


class WyomingServerThread:
    """The server on a TCP port in a background thread (tests, embedding next to the web UI).

    ``port=0`` picks a free port; read ``.port`` after ``start()``.
    """

    def __init__(
        self,
        assistant: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
        options: WyomingOptions | None = None,
    ) -> None:
        check_wyoming_uri(f"tcp://{host}:{port or 1}", allow_remote=allow_remote)
        self.host = host
        self.port = port
        self.service = WyomingService(assistant, options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: AsyncTcpServer | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    @property
    def uri(self) -> str:
        """``tcp://host:port``."""
        return f"tcp://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> WyomingServerThread:
        """Start listening; returns once the port is bound (raises what stopped it)."""
        self._thread = threading.Thread(target=self._main, name="wyoming-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise AssistantError(ErrorCode.INTERNAL, "The Wyoming server did not start in time.")
        if self._failure is not None:
            raise self._failure
        return self

    def _main(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            server = self._server = AsyncTcpServer(self.host, self.port)
            loop.run_until_complete(server.start(self.service.handler))
            sockets = getattr(server._server, "sockets", None) or ()
            if sockets:
                self.port = int(sockets[0].getsockname()[1])
        except BaseException as exc:
            self._failure = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(server.stop())
            loop.close()

    def stop(self) -> None:
        """Close the server and every connection."""
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> WyomingServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
