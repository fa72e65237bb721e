"""The OpenAI-compatible backend against a local fake server (http.server on a loopback port)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from assistant.config import LlmConfig
from assistant.llm import OpenAICompatibleLLM, create_llm
from contracts.messages import AssistantError, ErrorCode


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, dict[str, Any], str | None]]] = []
    mode: ClassVar[str] = "ok"

    def log_message(self, *args: Any) -> None:
        pass

    def _send_json(self, body: Any, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_sse(self, events: list[dict[str, Any]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for event in events:
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((self.path, body, self.headers.get("Authorization")))
        if type(self).mode == "error":
            self._send_json({"error": {"message": "model not loaded"}}, status=503)
            return
        if self.path == "/v1/chat/completions":
            self._send_sse([{"choices": [{"index": 0, "delta": {"content": p}}]} for p in ("Hel", "lo", "!")])
        elif self.path == "/v1/completions" and body.get("echo"):
            if type(self).mode == "no-echo":
                self._send_json({"choices": [{"index": i, "text": "x"} for i in range(len(body["prompt"]))]})
                return
            choices = []
            for i, text in enumerate(body["prompt"]):
                # one "token" per character, log-prob -0.5 each; plus one generated token after the text
                offsets = [*range(len(text)), len(text)]
                choices.append(
                    {
                        "index": i,
                        "text": text + "Z",
                        "logprobs": {"token_logprobs": [None] + [-0.5] * len(text), "text_offset": offsets},
                    }
                )
            self._send_json({"choices": list(reversed(choices))})
        elif self.path == "/v1/completions":
            self._send_sse([{"choices": [{"index": 0, "text": p}]} for p in ("one", " two", " three")])
        else:
            self._send_json({"error": "not found"}, status=404)


@pytest.fixture()
def server() -> Iterator[str]:
    _Handler.requests = []
    _Handler.mode = "ok"
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def _llm(url: str) -> OpenAICompatibleLLM:
    llm = create_llm(LlmConfig(backend="openai", base_url=url, remote_model="tiny", timeout_s=5), data_dir=None)  # type: ignore[arg-type]
    assert isinstance(llm, OpenAICompatibleLLM)
    return llm


@pytest.mark.slow
def test_generate_streams_sse(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "sekret")
    llm = _llm(server)
    assert list(llm.generate("Count:", max_tokens=5, stop=["four"])) == ["one", " two", " three"]
    path, body, auth = _Handler.requests[-1]
    assert path == "/v1/completions" and body["stream"] is True and body["stop"] == ["four"]
    assert body["model"] == "tiny" and auth == "Bearer sekret"


@pytest.mark.slow
def test_chat_streams_deltas(server: str) -> None:
    assert "".join(_llm(server).chat([{"role": "user", "content": "hi"}])) == "Hello!"
    assert _Handler.requests[-1][1]["messages"] == [{"role": "user", "content": "hi"}]


@pytest.mark.slow
def test_score_sums_only_continuation_tokens(server: str) -> None:
    llm = _llm(server)
    scores = llm.score("Q: ", ["ab", "abcd"])
    assert scores == [pytest.approx(-1.0), pytest.approx(-2.0)]  # choices came back out of order
    calibrated = llm.score_calibrated("Q: ", ["ab"], "N: ")
    assert calibrated == [pytest.approx(0.0)]


@pytest.mark.slow
def test_score_without_echo_support_is_llm_unavailable(server: str) -> None:
    _Handler.mode = "no-echo"
    with pytest.raises(AssistantError) as info:
        _llm(server).score("Q: ", ["a"])
    assert info.value.code is ErrorCode.LLM_UNAVAILABLE


@pytest.mark.slow
def test_http_error_is_llm_unavailable(server: str) -> None:
    _Handler.mode = "error"
    with pytest.raises(AssistantError) as info:
        list(_llm(server).generate("x"))
    assert info.value.code is ErrorCode.LLM_UNAVAILABLE
    assert "503" in info.value.message


def test_unreachable_server_is_llm_unavailable() -> None:
    llm = OpenAICompatibleLLM("http://127.0.0.1:9/v1", model="m", timeout_s=2)
    with pytest.raises(AssistantError) as info:
        list(llm.chat([("user", "hi")]))
    assert info.value.code is ErrorCode.LLM_UNAVAILABLE


def test_missing_base_url_is_config_invalid() -> None:
    with pytest.raises(AssistantError) as info:
        OpenAICompatibleLLM.from_config(LlmConfig(backend="openai"))
    assert info.value.code is ErrorCode.CONFIG_INVALID
