"""The remote-LLM path with a real model: the embedded SmolLM2 behind the project's OpenAI-compatible model server
(uvicorn on loopback), read by ``OpenAICompatibleLLM`` and by a whole assistant with ``llm.backend: openai``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from assistant import Assistant
from assistant.config import LlmConfig, load_config
from assistant.llm import TransformersLLM, create_llm
from assistant.llm.openai_compat import OpenAICompatibleLLM
from assistant.llm.server import create_model_app

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def local() -> TransformersLLM:
    llm = create_llm(LlmConfig(model="smollm2-135m-instruct", device="cpu"), data_dir=load_config().cache_dir)
    assert isinstance(llm, TransformersLLM)
    llm.warmup()
    return llm


@pytest.fixture(scope="module")
def base_url(local: TransformersLLM) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_model_app(local), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(timeout=10)


def test_remote_scores_rank_like_the_local_model(local: TransformersLLM, base_url: str) -> None:
    remote = OpenAICompatibleLLM(base_url, model="assistant-llm", timeout_s=60)
    prompt = "Request: turn on the kitchen light\nAction:"
    options = [" Turn on the kitchen light.", " Open the garage door.", " Set a timer for ten minutes."]
    far, near = remote.score(prompt, options), local.score(prompt, options)
    assert max(range(3), key=far.__getitem__) == max(range(3), key=near.__getitem__) == 0
    assert all(v < 0 for v in far)


def test_remote_generation_and_chat(base_url: str) -> None:
    remote = OpenAICompatibleLLM(base_url, model="assistant-llm", timeout_s=60)
    assert "".join(remote.generate("The capital of France is", max_tokens=5)).strip()
    assert "".join(remote.chat([("user", "Say hello.")], max_tokens=12)).strip()


def test_an_assistant_on_the_remote_model(base_url: str, tmp_path: Path) -> None:
    a = Assistant.create(
        data_dir=str(tmp_path), llm={"backend": "openai", "base_url": base_url, "remote_model": "assistant-llm"}
    )
    try:
        assert isinstance(a.llm, OpenAICompatibleLLM)
        poem = a.handle_text("write a haiku about rain")
        assert poem.skill_id == "textgen" and poem.error is None and poem.reply.count("\n") >= 1, poem.reply
        light = a.handle_text("turn on the kitchen light")
        assert light.actions and light.actions[0].success
    finally:
        a.close()
