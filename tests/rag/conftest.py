"""RAG test fixtures: a hashing fake embedder for unit tests, the real MiniLM (session-scoped) for slow tests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from assistant.config import EmbeddingsConfig, RagConfig
from assistant.rag import KnowledgeBase
from assistant.rag.text import analyze


class HashEmbedder:
    """A deterministic bag-of-stems embedder (unit tests only): similar wording → similar vectors."""

    dim = 256

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in analyze(text):
                out[row, int(hashlib.md5(term.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


@pytest.fixture()
def hash_embedder() -> HashEmbedder:
    """The fake embedder."""
    return HashEmbedder()


@pytest.fixture(scope="session")
def minilm() -> object:
    """The real embedded all-MiniLM-L6-v2 (loaded once per session)."""
    from assistant.embeddings import create_embedder

    embedder = create_embedder(EmbeddingsConfig())
    embedder.embed(["warm up"])
    return embedder


@pytest.fixture()
def store_repo(tmp_path: Path) -> Iterator[object]:
    """The real SQLite knowledge repository in a temporary data dir."""
    from assistant.store import Database

    db = Database(tmp_path / "data")
    try:
        yield db.knowledge
    finally:
        db.close()


def make_kb(repo: object, embedder: object, **overrides: object) -> KnowledgeBase:
    """A knowledge base with default settings (plus overrides)."""
    return KnowledgeBase(repo, embedder, RagConfig(**overrides))  # type: ignore[arg-type]
