"""A remote recognizer: any OpenAI-compatible ``/v1/audio/transcriptions`` server (stdlib HTTP, multipart upload)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.asr.biasing import bias_prompt
from assistant.asr.confidence import confidence, weighted_mean
from assistant.asr.streaming import StreamingSession
from assistant.audio import SAMPLE_RATE, probe_duration, read_audio, wav_bytes
from assistant.config import AsrConfig
from contracts.engines import AudioInput
from contracts.messages import AssistantError, ErrorCode, Transcript

__all__ = ["RemoteRecognizer", "encode_multipart", "transcriptions_url"]


def transcriptions_url(base: str) -> str:
    """The endpoint from a server base (``http://host:8000``, ``.../v1`` or the full path)."""
    url = base.rstrip("/")
    if url.endswith("/audio/transcriptions"):
        return url
    if not url.endswith("/v1"):
        url += "/v1"
    return url + "/audio/transcriptions"


def encode_multipart(fields: dict[str, str], file_name: str, file_data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with text ``fields`` and one ``file`` part; returns (body, content type)."""
    boundary = f"----assistant-{uuid.uuid4().hex}"
    lines: list[bytes] = []
    for key, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{key}"'.encode(),
            b"",
            value.encode(),
        ]
    safe_name = file_name.replace('"', "")
    lines += [
        f"--{boundary}".encode(),
        f'Content-Disposition: form-data; name="file"; filename="{safe_name}"'.encode(),
        b"Content-Type: application/octet-stream",
        b"",
        file_data,
        f"--{boundary}--".encode(),
        b"",
    ]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"


class RemoteRecognizer:
    """Speech recognition by a remote OpenAI-compatible server (a ``SpeechRecognizer``)."""

    device = "remote"
    """Where decoding happens."""

    def __init__(self, cfg: AsrConfig) -> None:
        if not cfg.remote_url:
            raise AssistantError(
                ErrorCode.CONFIG_INVALID, "asr.remote_url is not set.", details={"key": "asr.remote_url"}
            )
        self._cfg = cfg
        self._url = transcriptions_url(cfg.remote_url)

    @property
    def url(self) -> str:
        """The transcription endpoint."""
        return self._url

    def warmup(self) -> None:
        """Nothing to load locally."""

    def transcribe(self, audio: AudioInput, *, language: str | None = None, hotwords: Sequence[str] = ()) -> Transcript:
        """Upload the audio and map the server's answer to a ``Transcript``. Raises ``AssistantError`` (asr-*)."""
        name = "audio.bin" if isinstance(audio, bytes | bytearray | memoryview) else Path(audio).name
        data = read_audio(audio)  # asr-unreadable-audio for a missing or unreadable path, asr-empty-audio
        duration = probe_duration(data)
        if duration is not None and duration > self._cfg.max_duration_s + 0.05:
            raise AssistantError(
                ErrorCode.ASR_TOO_LONG,
                f"The recording is too long ({duration:.0f} s); the limit is {self._cfg.max_duration_s:.0f} s.",
                details={"duration_s": round(duration, 2), "max_duration_s": self._cfg.max_duration_s},
            )
        return self._post(data, name, language=language, hotwords=hotwords, duration=duration or 0.0)

    def stream(self, language: str | None = None, hotwords: Sequence[str] = ()) -> StreamingSession:
        """Buffer the chunks locally (VAD end-pointing) and upload the utterance once; no partials."""

        def decode(samples: npt.NDArray[np.float32], partial: bool) -> Transcript:
            data = wav_bytes(samples, SAMPLE_RATE)
            return self._post(
                data, "stream.wav", language=language, hotwords=hotwords, duration=len(samples) / SAMPLE_RATE
            )

        return StreamingSession(
            decode,
            max_duration_s=self._cfg.max_duration_s,
            partial_interval_s=0.0,
            silence_s=self._cfg.stream_silence_s,
        )

    def _post(
        self, data: bytes, name: str, *, language: str | None, hotwords: Sequence[str], duration: float
    ) -> Transcript:
        fields = {"model": self._cfg.remote_model, "response_format": "verbose_json", "temperature": "0"}
        lang = language or (self._cfg.language if len(self._cfg.allowed_languages) <= 1 else None)
        if lang:
            fields["language"] = lang
        prompt = bias_prompt(hotwords, self._cfg.bias_max_chars) if self._cfg.biasing else None
        if prompt:
            fields["prompt"] = prompt
        body, content_type = encode_multipart(fields, name, data)
        request = urllib.request.Request(self._url, data=body, method="POST", headers={"Content-Type": content_type})
        key = os.environ.get(self._cfg.remote_api_key_env)
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(request, timeout=self._cfg.remote_timeout_s) as response:
                payload: Any = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code in (400, 415, 422):
                raise AssistantError(
                    ErrorCode.ASR_UNREADABLE,
                    "The speech server could not read the audio.",
                    details={"status": exc.code},
                ) from exc
            raise AssistantError(
                ErrorCode.ASR_UNAVAILABLE, f"The speech server answered HTTP {exc.code}.", details={"status": exc.code}
            ) from exc
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise AssistantError(
                ErrorCode.ASR_UNAVAILABLE, f"The speech server at {self._url} is not reachable: {exc}"
            ) from exc
        return self._to_transcript(payload, lang, duration)

    def _to_transcript(self, payload: Any, lang: str | None, duration: float) -> Transcript:
        if not isinstance(payload, dict):
            raise AssistantError(ErrorCode.ASR_UNAVAILABLE, "The speech server sent an unexpected answer.")
        text = str(payload.get("text") or "").strip()
        segments = [s for s in payload.get("segments") or () if isinstance(s, dict)]
        weights = [max(1, len(s.get("tokens") or ())) for s in segments]
        avg = weighted_mean([float(s.get("avg_logprob", 0.0)) for s in segments], weights) if segments else 0.0
        nsp = weighted_mean([float(s.get("no_speech_prob", 0.0)) for s in segments], weights) if segments else 0.0
        if not text or nsp >= self._cfg.no_speech_max:
            raise AssistantError(ErrorCode.ASR_NO_SPEECH, "I didn't hear any speech.")
        language = _iso_language(str(payload.get("language") or lang or self._cfg.language))
        return Transcript(
            text=text,
            language=language,
            avg_logprob=round(avg, 4),
            no_speech_prob=round(nsp, 4),
            confidence=confidence(avg, nsp),
            duration_s=round(float(payload.get("duration") or duration), 3),
        )


_LANGUAGE_NAMES = {"english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it", "dutch": "nl"}


def _iso_language(value: str) -> str:
    """OpenAI's verbose_json names the language ('english'); the Transcript keeps ISO 639-1 codes."""
    lowered = value.strip().lower()
    return _LANGUAGE_NAMES.get(lowered, lowered[:2] if len(lowered) > 3 else lowered)
