"""Local transformers backend: streaming generation, chat, and likelihood scoring with prompt KV-cache reuse."""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from assistant.embeddings import configure_torch_threads, hub_offline, resolve_device
from assistant.llm.text import ChatMessage, StopScanner, normalize_messages, plain_chat_prompt
from assistant.messages import AssistantError, ErrorCode

__all__ = ["TransformersLLM"]

log = logging.getLogger(__name__)

_SCORE_BATCH = 8


class TransformersLLM:
    """A causal LM loaded with transformers from a folder (or hub id); thread-safe behind one model lock."""

    def __init__(
        self,
        model: str | Callable[[], str],
        *,
        device: str = "auto",
        max_new_tokens: int = 200,
        name: str | None = None,
    ) -> None:
        self._source = model
        self.model_path: str | None = model if isinstance(model, str) else None
        """The folder or hub id loaded (resolved on load when a callable was given, e.g. GGUF conversion)."""
        self.name = name or (model if isinstance(model, str) else "local-llm")
        """A display name."""
        self.max_new_tokens = max_new_tokens
        self.repetition_penalty = 1.2
        """HF-style penalty on tokens already generated (small models loop without it)."""
        self.no_repeat_ngram = 3
        """Never generate the same n-gram twice in one reply (0 disables)."""
        self._device_setting = device
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None
        self.device: str | None = None
        """The device once loaded."""
        self.load_seconds: float | None = None
        """How long loading took."""

    # loading -------------------------------------------------------------------------------------------------
    def warmup(self) -> None:
        """Load the weights now."""
        self._ensure_loaded()

    def _ensure_loaded(self) -> tuple[Any, Any]:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._load()
        return self._model, self._tokenizer

    def _load(self) -> None:
        import os

        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if hub_offline():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        configure_torch_threads()
        started = time.perf_counter()
        if self.model_path is None:
            assert callable(self._source)
            self.model_path = self._source()
        device = resolve_device(self._device_setting)
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        try:
            tokenizer = AutoTokenizer.from_pretrained(self.model_path)
            model = AutoModelForCausalLM.from_pretrained(self.model_path, dtype=dtype)
        except Exception as exc:
            raise AssistantError(
                ErrorCode.LLM_UNAVAILABLE,
                f"Could not load the language model '{self.name}': {exc}",
                details={"model": self.name},
            ) from exc
        loaded: Any = model
        loaded.to(device)
        loaded.eval()
        self._tokenizer, self._model, self.device = tokenizer, model, device
        self.load_seconds = time.perf_counter() - started
        log.info("Loaded LLM %s on %s in %.1f s", self.name, device, self.load_seconds)

    @property
    def has_chat_template(self) -> bool:
        """True when the tokenizer carries a chat template (instruction-tuned models)."""
        _, tokenizer = self._ensure_loaded()
        return bool(getattr(tokenizer, "chat_template", None))

    # helpers -------------------------------------------------------------------------------------------------
    def _encode_prompt(self, prompt: str) -> list[int]:
        tokenizer = self._tokenizer
        bos = getattr(tokenizer, "bos_token", None)
        add_special = not (bos and prompt.startswith(bos))
        ids: list[int] = tokenizer(prompt, add_special_tokens=add_special)["input_ids"]
        if not ids and tokenizer.bos_token_id is not None:
            ids = [int(tokenizer.bos_token_id)]
        return ids

    def _eos_ids(self) -> set[int]:
        ids: set[int] = set()
        for source in (self._model.generation_config.eos_token_id, self._tokenizer.eos_token_id):
            if isinstance(source, int):
                ids.add(source)
            elif isinstance(source, (list, tuple)):
                ids.update(int(i) for i in source)
        for token in ("<|im_end|>", "<end_of_turn>", "<|endoftext|>"):
            tid = self._tokenizer.convert_tokens_to_ids(token)
            if isinstance(tid, int) and tid != self._tokenizer.unk_token_id and tid >= 0:
                ids.add(tid)
        return ids

    # generation ----------------------------------------------------------------------------------------------
    def generate(
        self, prompt: str, *, max_tokens: int = 128, stop: Sequence[str] = (), temperature: float = 0.0
    ) -> Iterator[str]:
        """Stream decoded text pieces; stops at EOS, a stop string (not included) or ``max_tokens``.

        The model lock is held while the stream is consumed: close the iterator (or drop it) when done early.
        """
        import torch

        model, tokenizer = self._ensure_loaded()
        with self._lock, torch.inference_mode():
            ids = self._encode_prompt(prompt)
            eos = self._eos_ids()
            scanner = StopScanner(stop)
            input_ids = torch.tensor([ids], device=self.device)
            past: Any = None
            generated: list[int] = []
            for _ in range(max(0, max_tokens)):
                out = model(input_ids=input_ids, past_key_values=past, use_cache=True)
                past = out.past_key_values
                logits = _discourage_repeats(
                    out.logits[0, -1].float(),
                    generated,
                    penalty=self.repetition_penalty,
                    ngram=self.no_repeat_ngram,
                )
                if temperature > 0:
                    probs = torch.softmax(logits / temperature, dim=-1)
                    next_id = int(torch.multinomial(probs, 1).item())
                else:
                    next_id = int(torch.argmax(logits).item())
                if next_id in eos:
                    break
                generated.append(next_id)
                piece = scanner.feed(tokenizer.decode(generated, skip_special_tokens=True))
                if piece:
                    yield piece
                if scanner.stopped:
                    return
                input_ids = torch.tensor([[next_id]], device=self.device)
            tail = scanner.feed(tokenizer.decode(generated, skip_special_tokens=True), final=True)
            if tail:
                yield tail

    def chat_prompt(self, messages: Sequence[ChatMessage | tuple[str, str]]) -> tuple[str, tuple[str, ...]]:
        """The formatted prompt and the stop strings for a chat exchange."""
        _, tokenizer = self._ensure_loaded()
        normalized = normalize_messages(messages)
        if getattr(tokenizer, "chat_template", None):
            text = tokenizer.apply_chat_template(normalized, tokenize=False, add_generation_prompt=True)
            return str(text), ()
        return plain_chat_prompt(normalized), ("\nUser:", "\nAssistant:")

    def chat(self, messages: Sequence[ChatMessage | tuple[str, str]], max_tokens: int | None = None) -> Iterator[str]:
        """Stream an assistant reply to chat messages (chat template, or a plain User/Assistant transcript)."""
        prompt, stops = self.chat_prompt(messages)
        yield from self.generate(prompt, max_tokens=max_tokens or self.max_new_tokens, stop=stops)

    # scoring -------------------------------------------------------------------------------------------------
    def score(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """Sum of log P(continuation tokens | prompt) for each continuation; the prompt is encoded once."""
        import torch

        if not continuations:
            return []
        model, tokenizer = self._ensure_loaded()
        with self._lock, torch.inference_mode():
            prompt_ids = self._encode_prompt(prompt)
            conts = [tokenizer(c, add_special_tokens=False)["input_ids"] for c in continuations]
            out = model(input_ids=torch.tensor([prompt_ids], device=self.device), use_cache=True)
            first_logp = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
            prompt_cache = out.past_key_values
            scores: list[float] = [0.0] * len(conts)
            order = [i for i, c in enumerate(conts) if c]
            for start in range(0, len(order), _SCORE_BATCH):
                chunk = order[start : start + _SCORE_BATCH]
                batch_scores = self._score_chunk(model, prompt_cache, first_logp, [conts[i] for i in chunk])
                for i, value in zip(chunk, batch_scores, strict=True):
                    scores[i] = value
            return scores

    def _score_chunk(self, model: Any, prompt_cache: Any, first_logp: Any, conts: list[list[int]]) -> list[float]:
        import torch

        n = len(conts)
        width = max(len(c) for c in conts)
        pad = 0
        batch = torch.full((n, width), pad, dtype=torch.long, device=self.device)
        for row, tokens in enumerate(conts):
            batch[row, : len(tokens)] = torch.tensor(tokens, device=self.device)
        cache = copy.deepcopy(prompt_cache)
        cache.batch_repeat_interleave(n)
        past_len = cache.get_seq_length()
        # right padding: real tokens never attend to the pads after them (causal), so an all-ones mask is exact
        mask = torch.ones((n, past_len + width), dtype=torch.long, device=self.device)
        out = model(input_ids=batch, past_key_values=cache, attention_mask=mask, use_cache=True)
        logp = torch.log_softmax(out.logits.float(), dim=-1)
        results: list[float] = []
        for row, tokens in enumerate(conts):
            total = float(first_logp[tokens[0]])
            for pos in range(1, len(tokens)):
                total += float(logp[row, pos - 1, tokens[pos]])
            results.append(total)
        return results

    def score_calibrated(self, prompt: str, continuations: Sequence[str], null_prompt: str = "") -> list[float]:
        """log P(c | prompt) − log P(c | null_prompt): removes the prior that favours generic continuations."""
        conditional = self.score(prompt, continuations)
        prior = self.score(null_prompt, continuations)
        return [c - p for c, p in zip(conditional, prior, strict=True)]


def _discourage_repeats(logits: Any, generated: list[int], *, penalty: float, ngram: int) -> Any:
    """Penalise tokens already generated and ban tokens that would repeat an n-gram of the reply."""
    if penalty != 1.0 and generated:
        import torch

        index = torch.tensor(sorted(set(generated)), device=logits.device)
        picked = logits[index]
        logits[index] = torch.where(picked > 0, picked / penalty, picked * penalty)
    if ngram > 1 and len(generated) >= ngram - 1:
        prefix = tuple(generated[-(ngram - 1) :])
        banned = {
            generated[i + ngram - 1]
            for i in range(len(generated) - ngram + 1)
            if tuple(generated[i : i + ngram - 1]) == prefix
        }
        for token in banned:
            logits[token] = float("-inf")
    return logits
