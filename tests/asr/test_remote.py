"""The OpenAI-compatible remote recognizer against a local fake server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.asr import RemoteRecognizer, create_recognizer
from assistant.asr.remote import transcriptions_url
from assistant.audio import wav_bytes
from assistant.config import AsrConfig
from contracts.messages import AssistantError, ErrorCode


class _Server:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: tuple[int, dict[str, Any]] = (200, {})


@pytest.fixture()
def server() -> Iterator[tuple[_Server, str]]:
    state = _Server()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append(
                {
                    "path": self.path,
                    "type": self.headers["Content-Type"],
                    "auth": self.headers.get("Authorization"),
                    "body": body,
                }
            )
            status, payload = state.reply
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _parts(request: dict[str, Any]) -> dict[str, bytes]:
    boundary = request["type"].split("boundary=")[1].encode()
    out: dict[str, bytes] = {}
    for part in request["body"].split(b"--" + boundary):
        if b"name=" not in part:
            continue
        head, _, value = part.partition(b"\r\n\r\n")
        name = head.split(b'name="')[1].split(b'"')[0].decode()
        out[name] = value.rstrip(b"\r\n")
    return out


def test_url_forms() -> None:
    assert transcriptions_url("http://h:8000") == "http://h:8000/v1/audio/transcriptions"
    assert transcriptions_url("http://h:8000/v1/") == "http://h:8000/v1/audio/transcriptions"
    assert transcriptions_url("http://h/v1/audio/transcriptions") == "http://h/v1/audio/transcriptions"


def test_transcribe_uploads_multipart(
    server: tuple[_Server, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    state, url = server
    state.reply = (
        200,
        {"text": " Turn on the Hue Go lamp ", "language": "english", "duration": 1.5,
         "segments": [{"avg_logprob": -0.2, "no_speech_prob": 0.1, "tokens": [1, 2, 3]}]},
    )  # fmt: skip
    monkeypatch.setenv("ASSISTANT_ASR_API_KEY", "secret")
    rec = create_recognizer(AsrConfig(remote_url=url), data_dir=tmp_path)
    assert isinstance(rec, RemoteRecognizer) and rec.device == "remote"
    audio = wav_bytes(np.zeros(16000, np.float32), 16000)
    transcript = rec.transcribe(audio, hotwords=["Hue Go lamp", "Kitchen"])
    assert transcript.text == "Turn on the Hue Go lamp" and transcript.language == "en"
    assert transcript.avg_logprob == -0.2 and 0.7 < transcript.confidence < 0.75
    request = state.requests[0]
    assert request["path"] == "/v1/audio/transcriptions" and request["auth"] == "Bearer secret"
    parts = _parts(request)
    assert parts["file"] == audio
    assert parts["prompt"] == b"Hue Go lamp, Kitchen" and parts["language"] == b"en"
    assert parts["model"] == b"whisper-1" and parts["response_format"] == b"verbose_json"


def test_remote_errors(server: tuple[_Server, str], tmp_path: Path) -> None:
    state, url = server
    rec = RemoteRecognizer(AsrConfig(remote_url=url, max_duration_s=5))
    audio = wav_bytes(np.zeros(16000, np.float32), 16000)
    state.reply = (200, {"text": ""})
    with pytest.raises(AssistantError) as info:
        rec.transcribe(audio)
    assert info.value.code == ErrorCode.ASR_NO_SPEECH
    state.reply = (400, {"error": "bad audio"})
    with pytest.raises(AssistantError) as info:
        rec.transcribe(audio)
    assert info.value.code == ErrorCode.ASR_UNREADABLE
    state.reply = (503, {"error": "busy"})
    with pytest.raises(AssistantError) as info:
        rec.transcribe(audio)
    assert info.value.code == ErrorCode.ASR_UNAVAILABLE
    for bad, code in [
        (b"", ErrorCode.ASR_EMPTY),
        (wav_bytes(np.zeros(16000 * 9, np.float32), 16000), ErrorCode.ASR_TOO_LONG),
    ]:
        with pytest.raises(AssistantError) as info:
            rec.transcribe(bad)
        assert info.value.code == code
    count = len(state.requests)
    assert count == 3  # refused inputs were never uploaded
    closed = RemoteRecognizer(AsrConfig(remote_url="http://127.0.0.1:9", remote_timeout_s=2))
    with pytest.raises(AssistantError) as info:
        closed.transcribe(audio)
    assert info.value.code == ErrorCode.ASR_UNAVAILABLE


def test_remote_streaming_uploads_once(server: tuple[_Server, str]) -> None:
    state, url = server
    state.reply = (200, {"text": "next track"})
    rec = RemoteRecognizer(AsrConfig(remote_url=url))
    session = rec.stream()
    session.feed(np.zeros(8000, np.int16), sample_rate=16000)
    assert session.finish().text == "next track"
    assert len(state.requests) == 1 and _parts(state.requests[0])["file"].startswith(b"RIFF")
