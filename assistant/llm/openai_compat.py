"""OpenAI-compatible HTTP backend (vLLM, Ollama, llama.cpp server) over the standard library's urllib."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from assistant.config import LlmConfig
from assistant.llm.text import ChatMessage, normalize_messages
from contracts.messages import AssistantError, ErrorCode

__all__ = ["OpenAICompatibleLLM"]


class OpenAICompatibleLLM:
    """/v1/completions and /v1/chat/completions with SSE streaming; scoring through echoed prompt log-probs."""

    def __init__(
        self,
        base_url: str,
        *,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        max_new_tokens: int = 200,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        """Server root including /v1, e.g. http://127.0.0.1:8000/v1."""
        self.model = model
        """The model name sent to the server."""
        self.name = model
        """A display name."""
        self.max_new_tokens = max_new_tokens
        self._api_key = api_key
        self._timeout = timeout_s

    @classmethod
    def from_config(cls, cfg: LlmConfig) -> OpenAICompatibleLLM:
        """Build from LlmConfig (base_url required; key read from the configured environment variable)."""
        if not cfg.base_url:
            raise AssistantError(
                ErrorCode.CONFIG_INVALID,
                "llm.base_url is required for the 'openai' backend.",
                details={"key": "llm.base_url"},
            )
        return cls(
            cfg.base_url,
            model=cfg.remote_model or cfg.model,
            api_key=os.environ.get(cfg.api_key_env) or None,
            timeout_s=cfg.timeout_s,
            max_new_tokens=cfg.max_new_tokens,
        )

    # transport -----------------------------------------------------------------------------------------------
    def _request(self, path: str, body: Mapping[str, Any]) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(
            f"{self.base_url}/{path}", data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
        )
        try:
            return urllib.request.urlopen(request, timeout=self._timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace")
            raise AssistantError(
                ErrorCode.LLM_UNAVAILABLE,
                f"The language model server answered {exc.code} on /{path}: {detail.strip()[:200]}",
                details={"status": exc.code, "url": self.base_url},
            ) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise AssistantError(
                ErrorCode.LLM_UNAVAILABLE,
                f"The language model server at {self.base_url} is unreachable: {exc}",
                details={"url": self.base_url},
            ) from exc

    def _post_json(self, path: str, body: Mapping[str, Any]) -> Any:
        with self._request(path, body) as response:
            try:
                return json.loads(response.read().decode("utf-8"))
            except (ValueError, TimeoutError, OSError) as exc:
                raise AssistantError(
                    ErrorCode.LLM_UNAVAILABLE, f"Bad or late answer from the language model server: {exc}"
                ) from exc

    def _stream(self, path: str, body: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        response = self._request(path, {**body, "stream": True})
        with response:
            try:
                for raw in response:
                    line = raw.decode("utf-8", "replace").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        event = json.loads(data)
                    except ValueError:
                        continue
                    if isinstance(event, dict) and "error" in event:
                        raise AssistantError(
                            ErrorCode.LLM_UNAVAILABLE, f"Language model server error: {event['error']}"
                        )
                    yield event
            except (TimeoutError, OSError) as exc:
                raise AssistantError(ErrorCode.LLM_UNAVAILABLE, f"The language model stream broke off: {exc}") from exc

    # LanguageModel -------------------------------------------------------------------------------------------
    def generate(
        self, prompt: str, *, max_tokens: int = 128, stop: Sequence[str] = (), temperature: float = 0.0
    ) -> Iterator[str]:
        """Stream a /completions answer."""
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": prompt,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if stop:
            body["stop"] = list(stop)[:4]
        for event in self._stream("completions", body):
            for choice in event.get("choices") or ():
                piece = choice.get("text") or ""
                if piece:
                    yield piece

    def chat(self, messages: Sequence[ChatMessage | tuple[str, str]], max_tokens: int | None = None) -> Iterator[str]:
        """Stream a /chat/completions answer."""
        body = {
            "model": self.model,
            "messages": normalize_messages(messages),
            "max_tokens": max_tokens or self.max_new_tokens,
            "temperature": 0.0,
        }
        for event in self._stream("chat/completions", body):
            for choice in event.get("choices") or ():
                piece = (choice.get("delta") or {}).get("content") or ""
                if piece:
                    yield piece

    def score(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """Sum log-probs of each continuation via /completions with echo + logprobs (one batched request)."""
        if not continuations:
            return []
        texts = [prompt + c for c in continuations]
        body = {"model": self.model, "prompt": texts, "max_tokens": 1, "echo": True, "logprobs": 1, "temperature": 0.0}
        answer = self._post_json("completions", body)
        choices = answer.get("choices") if isinstance(answer, dict) else None
        if not isinstance(choices, list) or len(choices) != len(texts):
            raise AssistantError(
                ErrorCode.LLM_UNAVAILABLE, "The language model server does not support scoring (echo)."
            )
        ordered = sorted(choices, key=lambda c: int(c.get("index", 0)))
        scores: list[float] = []
        for choice, full in zip(ordered, texts, strict=True):
            logprobs = choice.get("logprobs") or {}
            values = logprobs.get("token_logprobs")
            offsets = logprobs.get("text_offset")
            if not isinstance(values, list) or not isinstance(offsets, list) or len(values) != len(offsets):
                raise AssistantError(
                    ErrorCode.LLM_UNAVAILABLE,
                    "The language model server returned no prompt log-probabilities (echo + logprobs unsupported).",
                )
            total = 0.0
            for value, offset in zip(values, offsets, strict=True):
                if value is not None and len(prompt) <= int(offset) < len(full):
                    total += float(value)
            scores.append(total)
        return scores

    def score_calibrated(self, prompt: str, continuations: Sequence[str], null_prompt: str = "") -> list[float]:
        """log P(c | prompt) − log P(c | null_prompt)."""
        conditional = self.score(prompt, continuations)
        prior = self.score(null_prompt, continuations)
        return [c - p for c, p in zip(conditional, prior, strict=True)]
