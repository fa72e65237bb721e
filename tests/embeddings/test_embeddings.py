"""The embedder: real all-MiniLM-L6-v2, normalisation, cache, resolution errors."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from assistant.config import EmbeddingsConfig
from assistant.embeddings import SentenceTransformerEmbedder, create_embedder, resolve_embedding_model
from contracts.messages import AssistantError, ErrorCode


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    return create_embedder(EmbeddingsConfig(device="cpu"))


@pytest.mark.slow
def test_embeddings_are_normalised_float32(embedder: SentenceTransformerEmbedder) -> None:
    vectors = embedder.embed(["turn on the kitchen light", "switch the kitchen lamp on", "what is the weather"])
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.2


@pytest.mark.slow
def test_cache_returns_identical_vectors(embedder: SentenceTransformerEmbedder) -> None:
    first = embedder.embed(["open the garage door please"])
    hits = embedder.hits
    second = embedder.embed(["open the garage door please", "open the garage door please"])
    assert embedder.hits == hits + 2
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(second[0], second[1])


@pytest.mark.slow
def test_thread_safe_concurrent_calls(embedder: SentenceTransformerEmbedder) -> None:
    texts = [f"set the thermostat to {n} degrees" for n in range(16, 24)]
    expected = embedder.embed(texts)
    results: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        results[i] = embedder.embed([texts[i]])[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, vector in results.items():
        np.testing.assert_allclose(vector, expected[i], atol=1e-5)


def test_embedded_name_resolves_to_package_folder() -> None:
    folder = Path(resolve_embedding_model("all-MiniLM-L6-v2"))
    assert (folder / "modules.json").exists()


def test_hub_id_refused_offline() -> None:
    with pytest.raises(AssistantError) as info:
        resolve_embedding_model("someone/some-model", offline=True)
    assert info.value.code is ErrorCode.MODEL_UNAVAILABLE


def test_folder_without_model_refused(tmp_path: Path) -> None:
    with pytest.raises(AssistantError) as info:
        resolve_embedding_model(str(tmp_path))
    assert info.value.code is ErrorCode.MODEL_UNAVAILABLE


def test_hub_id_allowed_online() -> None:
    assert resolve_embedding_model("someone/some-model", offline=False) == "someone/some-model"
