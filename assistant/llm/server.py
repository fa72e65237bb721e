"""A minimal OpenAI-compatible model server for the embedded LLM: what vLLM or llama.cpp's server would be.

It lets several assistant workers share one copy of the model (``llm.backend: openai``, ``llm.base_url``), and it
exercises the remote-LLM path with a real model in the tests. Endpoints (the subset ``OpenAICompatibleLLM`` uses):

- ``GET /v1/models``;
- ``POST /v1/completions``: ``prompt`` (a string or a list), ``max_tokens``, ``stop``, ``temperature``, ``stream``;
  ``echo`` + ``logprobs`` with ``max_tokens`` ≤ 1 returns the prompt's token log-probabilities (how the assistant's
  LLM tier scores candidate actions);
- ``POST /v1/chat/completions``: ``messages``, ``max_tokens``, ``stream``.

Run it with ``assistant llm-server [--host 127.0.0.1] [--port 8001]``; it serves the configured local model. It has
no authentication: bind it to loopback or a private network only (the command refuses other addresses).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["create_model_app"]


class _Completion(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = ""
    prompt: str | list[str]
    max_tokens: int = Field(default=128, ge=0, le=4096)
    temperature: float = 0.0
    stop: str | list[str] | None = None
    stream: bool = False
    echo: bool = False
    logprobs: int | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str


class _Chat(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = ""
    messages: list[_Message]
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    stream: bool = False


def _sse(events: Iterator[dict[str, Any]]) -> Iterator[str]:
    for event in events:
        yield f"data: {json.dumps(event)}\n\n"
    yield "data: [DONE]\n\n"


def create_model_app(llm: Any, *, model_id: str = "assistant-llm") -> FastAPI:
    """The server app over ``llm`` (a local model with ``generate``, ``chat`` and ``token_logprobs``)."""
    app = FastAPI(title="assistant model server", docs_url=None, redoc_url=None, openapi_url=None)
    created = int(time.time())

    @app.get("/v1/models")
    def models() -> Any:
        return {"object": "list", "data": [{"id": model_id, "object": "model", "created": created}]}

    @app.post("/v1/completions")
    def completions(body: _Completion) -> Any:
        prompts = [body.prompt] if isinstance(body.prompt, str) else list(body.prompt)
        cid = f"cmpl-{uuid.uuid4().hex}"
        if body.echo and body.logprobs is not None and body.max_tokens <= 1:
            choices = []
            for index, text in enumerate(prompts):
                tokens, values, offsets = llm.token_logprobs(text)
                logprobs = {"tokens": tokens, "token_logprobs": values, "text_offset": offsets}
                choices.append({"index": index, "text": text, "logprobs": logprobs, "finish_reason": "length"})
            return {"id": cid, "object": "text_completion", "created": int(time.time()), "model": model_id,
                    "choices": choices}  # fmt: skip
        if len(prompts) != 1:
            return JSONResponse({"error": {"message": "one prompt at a time unless scoring"}}, status_code=400)
        stop = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
        pieces = llm.generate(prompts[0], max_tokens=body.max_tokens, stop=stop, temperature=body.temperature)
        if body.stream:
            events = (
                {"id": cid, "object": "text_completion", "model": model_id,
                 "choices": [{"index": 0, "text": piece, "finish_reason": None}]}
                for piece in pieces
            )  # fmt: skip
            return StreamingResponse(_sse(events), media_type="text/event-stream")
        text = "".join(pieces)
        return {"id": cid, "object": "text_completion", "created": int(time.time()), "model": model_id,
                "choices": [{"index": 0, "text": text, "finish_reason": "stop"}]}  # fmt: skip

    @app.post("/v1/chat/completions")
    def chat(body: _Chat) -> Any:
        messages = [(m.role, m.content) for m in body.messages]
        pieces = llm.chat(messages, body.max_tokens)
        cid = f"chatcmpl-{uuid.uuid4().hex}"
        if body.stream:
            events = ({"id": cid, "object": "chat.completion.chunk", "model": model_id,
                       "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                      for piece in pieces)  # fmt: skip
            return StreamingResponse(_sse(events), media_type="text/event-stream")
        text = "".join(pieces)
        return {"id": cid, "object": "chat.completion", "created": int(time.time()), "model": model_id,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop"}]}  # fmt: skip

    return app
