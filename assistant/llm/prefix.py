"""Prompt prefix KV-cache store: reuse the attention keys/values of the longest token prefix already computed."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["PrefixEntry", "PrefixStore", "common_prefix"]


@dataclass(frozen=True, slots=True)
class PrefixEntry:
    """The KV cache of one prompt and the logits after its last token."""

    ids: tuple[int, ...]
    """The prompt's token ids."""
    cache: Any
    """The model's KV cache for exactly ``ids`` (never mutated: users work on forks)."""
    last_logits: Any
    """Raw next-token logits after the last prompt token (1-D float tensor)."""


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class PrefixStore:
    """LRU of prompt KV caches bounded by the total number of cached tokens; not thread-safe (callers lock)."""

    def __init__(self, max_tokens: int = 2048, max_entries: int = 16) -> None:
        """``max_tokens`` 0 disables the store."""
        self.max_tokens = max_tokens
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, ...], PrefixEntry] = OrderedDict()
        self.hits = 0
        """Lookups that reused at least one token."""
        self.reused_tokens = 0
        """Prompt tokens not recomputed thanks to the store."""

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def tokens(self) -> int:
        """Tokens currently cached."""
        return sum(len(k) for k in self._entries)

    def lookup(self, ids: Sequence[int]) -> tuple[PrefixEntry | None, int]:
        """The entry sharing the longest token prefix with ``ids`` and that length (0 and None when none)."""
        best: PrefixEntry | None = None
        best_len = 0
        for entry in self._entries.values():
            n = common_prefix(entry.ids, ids)
            if n > best_len:
                best, best_len = entry, n
        if best is not None:
            self._entries.move_to_end(best.ids)
            self.hits += 1
            self.reused_tokens += best_len
        return best, best_len

    def add(self, entry: PrefixEntry) -> None:
        """Keep ``entry``; evict least recently used entries beyond the token or entry budget."""
        if self.max_tokens <= 0 or len(entry.ids) > self.max_tokens:
            return
        self._entries[entry.ids] = entry
        self._entries.move_to_end(entry.ids)
        while len(self._entries) > self.max_entries or self.tokens > self.max_tokens:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry."""
        self._entries.clear()
