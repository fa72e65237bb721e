"""The hybrid index: BM25 + dense fusion, incremental replace (fake vectors, no models)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.rag.index import HybridIndex, IndexedChunk


def _chunks(doc: str, texts: list[str]) -> list[IndexedChunk]:
    return [IndexedChunk(f"{doc}#{i}", doc, doc.title(), i, t) for i, t in enumerate(texts)]


def _unit(rows: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("fusion", ["rrf", "linear"])
def test_lexical_match_wins_with_uninformative_dense(fusion: str) -> None:
    index = HybridIndex(fusion=fusion)  # type: ignore[arg-type]
    chunks = _chunks("a", ["the boiler pressure gauge", "bins go out on tuesday", "garden watering at dawn"])
    index.replace(add=chunks, vectors=np.tile(_unit(1), (3, 1)))
    hits = index.search("when do the bins go out", _unit(1)[0], k=3)
    assert hits[0].chunk.text == "bins go out on tuesday"
    assert hits[0].coverage == pytest.approx(1.0)
    assert 0.0 <= hits[-1].relevance <= 1.0


def test_dense_match_wins_without_shared_words() -> None:
    index = HybridIndex()
    vectors = _unit(3, seed=1)
    index.replace(add=_chunks("a", ["alpha", "beta", "gamma"]), vectors=vectors)
    hits = index.search("unrelated words", vectors[2], k=1)
    assert hits[0].chunk.text == "gamma"
    assert hits[0].dense == pytest.approx(1.0)
    assert hits[0].coverage == 0.0


def test_replace_removes_and_adds_documents() -> None:
    index = HybridIndex()
    index.replace(add=_chunks("a", ["one apple"]) + _chunks("b", ["two bananas"]), vectors=_unit(2))
    assert len(index) == 2
    index.replace(remove_documents=["a"], add=_chunks("c", ["three cherries", "more cherries"]), vectors=_unit(2))
    assert sorted(c.document_name for c in index.chunks) == ["b", "c", "c"]
    assert [h.chunk.document_name for h in index.search("cherries", None, k=2)] == ["c", "c"]
    index.replace(remove_documents=["b", "c"])
    assert len(index) == 0 and index.search("cherries", None, k=2) == []


def test_vectors_must_match_chunks() -> None:
    with pytest.raises(ValueError):
        HybridIndex().replace(add=_chunks("a", ["x", "y"]), vectors=_unit(1))
