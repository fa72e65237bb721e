"""Continuation tries for packed scoring and the prompt-prefix store (no model needed)."""

from __future__ import annotations

import pytest

from assistant.llm.packing import ancestor_lists, pack_sequences, split_for_packing
from assistant.llm.prefix import PrefixEntry, PrefixStore, common_prefix


def test_shared_prefixes_are_fed_once_and_last_tokens_never() -> None:
    packed = pack_sequences([[1, 2, 3, 4], [1, 2, 5], [6, 7]])
    # [1], [1,2], [1,2,3] from the first; [1,2] is shared by the second; [6] from the third
    assert packed.tokens == (1, 2, 3, 6)
    assert packed.parents == (-1, 0, 1, -1)
    assert packed.depths == (0, 1, 2, 0)
    assert packed.paths == ((0, 1, 2), (0, 1), (3,))


def test_packing_past_a_cached_prefix_numbers_positions_after_it() -> None:
    prompt = [9, 9, 9]
    packed = pack_sequences([[*prompt, 1, 2], [*prompt, 1, 3], [9, 9, 8, 4]], start=2)
    assert packed.start == 2
    assert packed.tokens == (9, 1, 8)
    assert packed.depths == (0, 1, 0)
    assert packed.paths == ((0, 1), (0, 1), (2,))
    assert ancestor_lists(packed) == [[0], [1, 0], [2]]


def test_a_single_token_sequence_feeds_nothing() -> None:
    packed = pack_sequences([[5]])
    assert packed.tokens == () and packed.paths == ((),)


def test_sequences_must_extend_the_cached_prefix() -> None:
    with pytest.raises(ValueError):
        pack_sequences([[1, 2]], start=2)


def test_split_respects_the_budget_and_keeps_order() -> None:
    assert split_for_packing([3, 3, 3, 10, 1], 6) == [[0, 1], [2], [3], [4]]
    assert split_for_packing([], 6) == []


def test_prefix_store_finds_the_longest_shared_prefix_and_evicts_by_tokens() -> None:
    store = PrefixStore(max_tokens=8)
    store.add(PrefixEntry((1, 2, 3), "a", None))
    store.add(PrefixEntry((1, 2, 4, 5), "b", None))
    entry, shared = store.lookup([1, 2, 4, 9])
    assert entry is not None and entry.cache == "b" and shared == 3
    assert store.lookup([7])[0] is None
    store.add(PrefixEntry((6, 6, 6), "c", None))  # 10 tokens > 8: the least recently used entry ("a") goes
    assert {e.cache for e in [store.lookup([1, 2, 3])[0], store.lookup([6])[0]] if e} == {"b", "c"}
    assert store.tokens <= 8
    assert common_prefix([1, 2], [1, 2, 3]) == 2


def test_disabled_store_keeps_nothing() -> None:
    store = PrefixStore(max_tokens=0)
    store.add(PrefixEntry((1,), "a", None))
    assert len(store) == 0
