"""Sequence packing for likelihood scoring: a token trie fed as one sequence under a tree attention mask."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["PackedTrie", "ancestor_lists", "pack_sequences", "split_for_packing"]


@dataclass(frozen=True, slots=True)
class PackedTrie:
    """The shared-prefix trie of several token sequences past a common cached prefix, without their last tokens."""

    start: int
    """Tokens of every sequence already in the KV cache (not fed)."""
    tokens: tuple[int, ...]
    """Token fed at each packed position (one per distinct sequence prefix)."""
    parents: tuple[int, ...]
    """Packed index of each position's parent, -1 when it follows the cached prefix directly."""
    depths: tuple[int, ...]
    """Distance from the cached prefix: 0 for the first fed token, so its position id is ``start + depth``."""
    paths: tuple[tuple[int, ...], ...]
    """Per sequence: the packed positions of its tokens ``start .. len - 2`` (the last token is never fed)."""


def pack_sequences(sequences: Sequence[Sequence[int]], start: int = 0) -> PackedTrie:
    """Merge shared prefixes into one trie; position k's logits predict the next token of every path through k.

    Positions are numbered in insertion order, so the tokens of the first sequence come first and contiguously.
    Every sequence must be longer than ``start`` and share its first ``start`` tokens with the others.
    """
    index: dict[tuple[int, ...], int] = {}
    tokens: list[int] = []
    parents: list[int] = []
    depths: list[int] = []
    paths: list[tuple[int, ...]] = []
    for seq in sequences:
        if len(seq) <= start:
            raise ValueError("every packed sequence needs a token after the cached prefix")
        path: list[int] = []
        parent = -1
        for at in range(start, len(seq) - 1):
            key = tuple(seq[start : at + 1])
            node = index.get(key)
            if node is None:
                node = len(tokens)
                index[key] = node
                tokens.append(int(seq[at]))
                parents.append(parent)
                depths.append(at - start)
            path.append(node)
            parent = node
        paths.append(tuple(path))
    return PackedTrie(start, tuple(tokens), tuple(parents), tuple(depths), tuple(paths))


def ancestor_lists(packed: PackedTrie) -> list[list[int]]:
    """For each packed position: itself and every ancestor (the positions it may attend to besides the cache)."""
    out: list[list[int]] = []
    for node, parent in enumerate(packed.parents):
        out.append([node, *(out[parent] if parent >= 0 else [])])
    return out


def split_for_packing(lengths: Sequence[int], max_positions: int) -> list[list[int]]:
    """Group indices, in order, so that no group feeds more than ``max_positions`` tokens before sharing."""
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, n in enumerate(lengths):
        need = max(0, n)
        if current and used + need > max_positions:
            groups.append(current)
            current, used = [], 0
        current.append(i)
        used += need
    if current:
        groups.append(current)
    return groups
