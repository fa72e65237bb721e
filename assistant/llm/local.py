"""Local transformers backend: streaming generation, chat, and likelihood scoring with prompt KV-cache reuse."""

from __future__ import annotations

import copy
import inspect
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

from assistant.embeddings import configure_torch_threads, hub_offline, resolve_device
from assistant.llm.packing import PackedTrie, ancestor_lists, pack_sequences, split_for_packing
from assistant.llm.prefix import PrefixEntry, PrefixStore, common_prefix
from assistant.llm.text import ChatMessage, StopScanner, normalize_messages, plain_chat_prompt
from contracts.messages import AssistantError, ErrorCode

__all__ = ["TransformersLLM"]

log = logging.getLogger(__name__)

_SCORE_BATCH = 8
_PACK_POSITIONS = 256
"""Most continuation tokens fed in one tree-masked scoring forward."""


class TransformersLLM:
    """A causal LM loaded with transformers from a folder (or hub id); thread-safe behind one model lock."""

    def __init__(
        self,
        model: str | Callable[[], str],
        *,
        device: str = "auto",
        max_new_tokens: int = 200,
        name: str | None = None,
        prefix_cache_tokens: int = 2048,
        packed_scoring: bool = True,
        score_memo_size: int = 4096,
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
        self.prefix_cache_tokens = prefix_cache_tokens
        """Prompt KV caches kept for reuse, in tokens (0 disables): a prompt recomputes only what follows the
        longest prefix already seen (the static instructions and examples of a scoring or chat prompt)."""
        self.packed_scoring = packed_scoring
        """Score continuations as one token trie under a tree attention mask (else right-padded batches)."""
        self.score_memo_size = score_memo_size
        """(prompt, continuation) scores remembered (0 disables); the calibration prompt repeats every turn."""
        self._prefix = PrefixStore(prefix_cache_tokens)
        self._memo: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._keeps_logits = False
        self._tree_ok = False
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
        self._keeps_logits = "logits_to_keep" in inspect.signature(loaded.forward).parameters
        with torch.inference_mode():  # full-attention dynamic cache: prompt prefixes can be forked, tries packed
            probe = loaded(input_ids=torch.tensor([[0]], device=device), use_cache=True).past_key_values
        self._tree_ok = self._plain_cache(probe)
        self._tokenizer, self._model, self.device = tokenizer, model, device
        self.load_seconds = time.perf_counter() - started
        log.info("Loaded LLM %s on %s in %.1f s", self.name, device, self.load_seconds)

    @property
    def has_chat_template(self) -> bool:
        """True when the tokenizer carries a chat template (instruction-tuned models)."""
        _, tokenizer = self._ensure_loaded()
        return bool(getattr(tokenizer, "chat_template", None))

    def token_logprobs(self, text: str) -> tuple[list[str], list[float | None], list[int]]:
        """(tokens, log P(token | text before it), character offset of each token) of ``text``; the first token has
        no context and gets None (the shape of OpenAI's ``echo`` + ``logprobs`` answer)."""
        import torch

        model, tokenizer = self._ensure_loaded()
        encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids: list[int] = list(encoded["input_ids"])
        offsets = [int(start) for start, _end in encoded["offset_mapping"]]
        if not ids:
            return [], [], []
        with self._lock, torch.inference_mode():
            logits = model(input_ids=torch.tensor([ids], device=self.device)).logits[0].float()
            logprobs = torch.log_softmax(logits[:-1], dim=-1)
            picked = logprobs.gather(1, torch.tensor(ids[1:], device=self.device).unsqueeze(1)).squeeze(1).tolist()
        tokens = [text[offsets[i] : offsets[i + 1] if i + 1 < len(ids) else len(text)] for i in range(len(ids))]
        return tokens, [None, *(float(v) for v in picked)], offsets

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
            past: Any = None
            next_logits: Any = None
            generated: list[int] = []
            for step in range(max(0, max_tokens)):
                if step == 0:  # the prompt: reuses the KV cache of a prefix seen before (system prompt, template)
                    past, next_logits = self._prompt_state(model, ids)
                    next_logits = next_logits.clone()
                else:
                    step_ids = torch.tensor([[generated[-1]]], device=self.device)
                    out = model(input_ids=step_ids, past_key_values=past, use_cache=True)
                    past = out.past_key_values
                    next_logits = out.logits[0, -1].float()
                logits = _discourage_repeats(
                    next_logits,
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
        return self.score_many([(prompt, continuations)])[0]

    def score_calibrated(self, prompt: str, continuations: Sequence[str], null_prompt: str = "") -> list[float]:
        """log P(c | prompt) − log P(c | null_prompt): removes the prior that favours generic continuations."""
        conditional, prior = self.score_many([(prompt, continuations), (null_prompt, continuations)])
        return [c - p for c, p in zip(conditional, prior, strict=True)]

    def score_many(self, requests: Sequence[tuple[str, Sequence[str]]]) -> list[list[float]]:
        """``score`` for several (prompt, continuations) requests at once, best in one forward.

        Every prompt resumes from the KV cache of the longest token prefix already computed (the static
        instructions and examples of a scoring prompt); the prompts' remaining tokens and all continuations are fed
        as one token trie under a tree attention mask, so shared prefixes and final tokens are never computed twice;
        and scores are memoised (a calibration prompt scores the same candidate descriptions turn after turn).
        """
        import torch

        results: list[list[float | None]] = [[None] * len(conts) for _p, conts in requests]
        if not any(results):
            return [[] for _ in requests]
        model, tokenizer = self._ensure_loaded()
        with self._lock, torch.inference_mode():
            todo: list[tuple[int, int]] = []
            for r, (prompt, conts) in enumerate(requests):
                for k, cont in enumerate(conts):
                    results[r][k] = self._memo_get(prompt, cont)
                    if results[r][k] is None:
                        todo.append((r, k))
            prompt_ids = {p: self._encode_prompt(p) for p, _c in requests}
            cont_ids = {c: list(tokenizer(c, add_special_tokens=False)["input_ids"]) for _p, cs in requests for c in cs}
            items = [(prompt_ids[requests[r][0]], cont_ids[requests[r][1][k]]) for r, k in todo]
            values = self._score_items(model, items)
            for (r, k), value in zip(todo, values, strict=True):
                results[r][k] = value
                self._memo_put(requests[r][0], requests[r][1][k], value)
        return [[float(v) for v in row if v is not None] for row in results]

    def _score_items(self, model: Any, items: list[tuple[list[int], list[int]]]) -> list[float]:
        """Scores of (prompt ids, continuation ids) pairs; an empty continuation scores 0."""
        out = [0.0] * len(items)
        live = [i for i, (_p, c) in enumerate(items) if c]
        if not live:
            return out
        if self.packed_scoring and self._tree_ok:
            groups = split_for_packing([len(items[i][1]) for i in live], _PACK_POSITIONS)
            for group in groups:
                chosen = [live[g] for g in group]
                for i, value in zip(chosen, self._score_tree(model, [items[i] for i in chosen]), strict=True):
                    out[i] = value
            return out
        by_prompt: dict[tuple[int, ...], list[int]] = {}
        for i in live:
            by_prompt.setdefault(tuple(items[i][0]), []).append(i)
        for ids, members in by_prompt.items():
            cache, last_logits = self._prompt_state(model, list(ids))
            first_logp = _log_softmax(last_logits)
            for i, value in zip(members, self._score_padded(model, cache, first_logp, [items[i][1] for i in members]),
                                strict=True):  # fmt: skip
                out[i] = value
        return out

    def _score_tree(self, model: Any, items: list[tuple[list[int], list[int]]]) -> list[float]:
        """One forward: every prompt's uncached tail and every continuation, as a trie past a cached prefix."""
        import torch

        prompts = list(dict.fromkeys(tuple(p) for p, _c in items))
        entry, shared = self._prefix.lookup(prompts[0]) if self.prefix_cache_tokens > 0 else (None, 0)
        if entry is not None:
            shared = min(common_prefix(entry.ids, p) for p in prompts)
            if any(len(p) == shared for p in prompts) and shared != len(entry.ids):
                shared -= 1  # a prompt's last token must be fed (its logits are needed) unless cached exactly
        packed = pack_sequences([p + c for p, c in items], shared)
        rows: dict[int, int] = {}
        logits: Any = None
        if packed.tokens:
            needed = sorted(
                {packed.paths[i][k - 1 - shared] for i, (p, c) in enumerate(items)
                 for k in range(len(p), len(p) + len(c)) if k - 1 >= shared}
            )  # fmt: skip
            rows = {node: row for row, node in enumerate(needed)}
            cache = _derive_cache(entry.cache, lambda t: t[..., :shared, :]) if entry is not None and shared else None
            logits, cache = self._tree_forward(model, cache, packed, needed)
            if self.prefix_cache_tokens > 0:
                self._remember_prompts(prompts, packed, items, cache, logits, rows)
        logp: Any = torch.log_softmax(logits, dim=-1) if logits is not None else None
        first: Any = None
        if entry is not None and shared == len(entry.ids):
            first = torch.log_softmax(entry.last_logits, dim=-1)
        results: list[float] = []
        for (p, c), path in zip(items, packed.paths, strict=True):
            total = 0.0
            for k in range(len(p), len(p) + len(c)):
                token = c[k - len(p)]
                total += float(first[token]) if k - 1 < shared else float(logp[rows[path[k - 1 - shared]], token])
            results.append(total)
        return results

    def _tree_forward(self, model: Any, cache: Any, packed: PackedTrie, needed: list[int]) -> tuple[Any, Any]:
        """Raw logits at the ``needed`` packed positions (in that order) and the extended cache."""
        import torch

        past, n = packed.start, len(packed.tokens)
        dtype = model.dtype
        allowed = torch.zeros((n, past + n), dtype=torch.bool, device=self.device)
        allowed[:, :past] = True
        for row, ancestors in enumerate(ancestor_lists(packed)):
            allowed[row, [past + a for a in ancestors]] = True
        mask = torch.zeros((1, 1, n, past + n), dtype=dtype, device=self.device)
        mask.masked_fill_(~allowed, torch.finfo(dtype).min)
        keep = torch.tensor(needed, device=self.device)
        kwargs: dict[str, Any] = {"logits_to_keep": keep} if self._keeps_logits else {}
        out = model(
            input_ids=torch.tensor([packed.tokens], device=self.device),
            position_ids=torch.tensor([[past + d for d in packed.depths]], device=self.device),
            attention_mask=mask,
            past_key_values=cache,
            use_cache=True,
            **kwargs,
        )
        logits = out.logits[0].float()
        return (logits if self._keeps_logits else logits[keep]), out.past_key_values

    def _remember_prompts(
        self,
        prompts: list[tuple[int, ...]],
        packed: PackedTrie,
        items: list[tuple[list[int], list[int]]],
        cache: Any,
        logits: Any,
        rows: dict[int, int],
    ) -> None:
        """Keep each fed prompt's KV (the cached prefix plus its own trie path) for later turns."""
        import torch

        if not self._plain_cache(cache):
            return
        shared = packed.start
        for ids in prompts:
            if len(ids) <= shared:
                continue
            i = next(k for k, (p, _c) in enumerate(items) if tuple(p) == ids)
            path = packed.paths[i][: len(ids) - shared]
            index = torch.tensor([*range(shared), *(shared + node for node in path)], device=self.device)
            kept = _derive_cache(cache, partial(_gather_positions, index=index))
            self._prefix.max_tokens = self.prefix_cache_tokens
            self._prefix.add(PrefixEntry(ids, kept, logits[rows[path[-1]]].clone()))

    def _score_padded(self, model: Any, prompt_cache: Any, first_logp: Any, conts: list[list[int]]) -> list[float]:
        """Score continuations as right-padded batches over copies of the prompt cache (any cache type)."""
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

    # prompt state and caches -----------------------------------------------------------------------------------
    def _prompt_state(self, model: Any, ids: list[int]) -> tuple[Any, Any]:
        """A private KV cache for exactly ``ids`` and the raw logits after the last token; reuses cached prefixes."""
        import torch

        entry, shared = self._prefix.lookup(ids) if self.prefix_cache_tokens > 0 else (None, 0)
        if entry is not None and shared == len(ids) == len(entry.ids):
            return _derive_cache(entry.cache, lambda t: t), entry.last_logits
        shared = min(shared, len(ids) - 1)  # the last prompt token is always fed: its logits are needed
        cache = _derive_cache(entry.cache, lambda t: t[..., :shared, :]) if entry is not None and shared else None
        kwargs: dict[str, Any] = {"logits_to_keep": 1} if self._keeps_logits else {}
        out = model(input_ids=torch.tensor([ids[shared:]], device=self.device), past_key_values=cache,
                    use_cache=True, **kwargs)  # fmt: skip
        cache = out.past_key_values
        logits = out.logits[0, -1].float()
        if self.prefix_cache_tokens > 0 and self._plain_cache(cache):
            self._prefix.max_tokens = self.prefix_cache_tokens
            self._prefix.add(PrefixEntry(tuple(ids), _derive_cache(cache, lambda t: t), logits))
        return cache, logits

    @staticmethod
    def _plain_cache(cache: Any) -> bool:
        """True for a dynamic cache of full-attention layers (forkable, croppable, accepts a tree mask)."""
        if cache is None:
            return False
        from transformers.cache_utils import DynamicLayer

        layers: Any = getattr(cache, "layers", None)
        return bool(layers) and all(type(layer) is DynamicLayer for layer in layers)

    def _memo_get(self, prompt: str, continuation: str) -> float | None:
        if self.score_memo_size <= 0:
            return None
        value = self._memo.get((prompt, continuation))
        if value is not None:
            self._memo.move_to_end((prompt, continuation))
        return value

    def _memo_put(self, prompt: str, continuation: str, value: float) -> None:
        if self.score_memo_size <= 0:
            return
        self._memo[(prompt, continuation)] = value
        while len(self._memo) > self.score_memo_size:
            self._memo.popitem(last=False)

    def hidden_states(self, texts: Sequence[str], layer: int, *, wait_s: float | None = None) -> Any:
        """Last-token hidden state of ``layer`` for each text, as a float32 array (n, hidden size).

        Used by read-outs such as the sentiment probe. With ``wait_s``, returns None instead of waiting longer for
        the model while it serves someone else (a long generation), so callers can go on without it.
        """
        import numpy as np
        import torch

        model, tokenizer = self._ensure_loaded()
        if not self._lock.acquire(timeout=-1 if wait_s is None else max(0.0, wait_s)):
            return None
        try:
            base = getattr(model, "model", None) or model
            rows = []
            with torch.inference_mode():
                for text in texts:
                    ids = tokenizer(text, return_tensors="pt").to(self.device)
                    states = base(**ids, output_hidden_states=True).hidden_states
                    rows.append(states[layer][0, -1].float().cpu().numpy())
        finally:
            self._lock.release()
        return np.stack(rows).astype(np.float32)

    def cache_stats(self) -> dict[str, int]:
        """Prompt-prefix cache entries, tokens, hits and reused tokens, and memoised scores."""
        with self._lock:
            store = self._prefix
            return {"entries": len(store), "tokens": store.tokens, "hits": store.hits,
                    "reused_tokens": store.reused_tokens, "memo": len(self._memo)}  # fmt: skip

    def clear_caches(self) -> None:
        """Forget cached prompt prefixes and memoised scores (benchmarks use it to measure a cold turn)."""
        with self._lock:
            self._prefix.clear()
            self._memo.clear()


def _log_softmax(logits: Any) -> Any:
    """log-softmax over the vocabulary of a 1-D logits tensor."""
    import torch

    return torch.log_softmax(logits, dim=-1)


def _gather_positions(tensor: Any, *, index: Any) -> Any:
    """The sequence positions ``index`` of a [batch, heads, seq, dim] KV tensor."""
    return tensor.index_select(-2, index)


def _derive_cache(cache: Any, select: Callable[[Any], Any]) -> Any:
    """A new dynamic KV cache whose layers hold ``select(keys)``, ``select(values)`` of ``cache``.

    Dynamic layers grow by concatenation (a new tensor), never in place, so a derived cache may share tensors with
    its source: extending one never changes the other.
    """
    derived = copy.copy(cache)
    derived.layers = []
    for layer in cache.layers:
        new = copy.copy(layer)
        new.keys, new.values = select(layer.keys), select(layer.values)
        derived.layers.append(new)
    return derived


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
