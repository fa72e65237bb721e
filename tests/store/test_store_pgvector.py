"""Knowledge-base vectors in PostgreSQL (pgvector) when the server has the extension, else the in-memory index.

The PostgreSQL of these tests (Debian's) has no pgvector package, so the fallback runs against a real server and the
pgvector path is covered by its SQL, a recording session and a fake repository; it has not run against pgvector.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from assistant.config import RagConfig
from assistant.rag import KnowledgeBase, MemoryKnowledgeRepository
from assistant.rag.text import analyze
from assistant.store import ChunkRow, Database
from assistant.store.knowledge import KnowledgeRepository, PgVectorSql, VectorHit, vector_literal

DOCS = {
    "boiler.md": "# Boiler\n\nThe boiler pressure should read between 1 and 1.5 bar when the heating is cold.",
    "bins.md": "# Bins\n\nThe green recycling bin goes out on Tuesday evenings, the black bin every other Friday.",
    "wifi.md": "# Wifi\n\nThe guest wifi network is called Harbour and its password is on the fridge.",
}


class _Embedder:
    dim = 64

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in analyze(text):
                out[row, int(hashlib.md5(term.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def _ingest(kb: KnowledgeBase) -> None:
    for name, body in DOCS.items():
        kb.ingest_file(body.encode(), name=name)


# ---------------------------------------------------------------------------------------------- the SQL


def test_sql_of_the_pgvector_path() -> None:
    sql = PgVectorSql()
    assert sql.create_extension == "CREATE EXTENSION IF NOT EXISTS vector"
    assert "pg_available_extensions" in sql.available and "'vector'" in sql.available
    table, index = sql.create_table(384)
    assert "embedding vector(384) NOT NULL" in table
    assert "REFERENCES chunks(id) ON DELETE CASCADE" in table  # replaced or deleted chunks take their vector along
    assert "USING hnsw (embedding vector_cosine_ops)" in index
    nearest = sql.nearest()
    assert "ORDER BY v.embedding <=> CAST(:query AS vector) LIMIT :k" in nearest
    assert "1 - (v.embedding <=> CAST(:query AS vector)) AS cosine" in nearest  # cosine distance → similarity
    assert "ON CONFLICT (chunk_id) DO UPDATE" in sql.upsert() and "CAST(:embedding AS vector)" in sql.upsert()
    assert "v.chunk_id IS NULL" in sql.missing()
    for bad in (0, 16001):
        with pytest.raises(ValueError):
            sql.create_table(bad)


def test_vector_literal() -> None:
    assert vector_literal(np.array([0.5, -1.0, 0.0], dtype=np.float32)) == "[0.5,-1.0,0.0]"
    assert vector_literal([[0.25], [2]]) == "[0.25,2.0]"
    for bad in ([], [float("nan")], [1.0, float("inf")]):
        with pytest.raises(ValueError):
            vector_literal(bad)


class _Recorder:
    """A session that records statements (what the repository would send to PostgreSQL)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def execute(self, statement: Any, params: Any = None) -> None:
        self.sent.append((str(statement), params))


def test_vectors_written_with_their_chunks_create_the_table_once() -> None:
    repo = KnowledgeRepository(sessions=None)  # type: ignore[arg-type]
    repo._pgvector = PgVectorSql()
    session = _Recorder()
    blob = np.array([0.6, 0.8], dtype=np.float32).tobytes()
    repo._write_vectors(session, [(7, blob), (8, None), (9, np.array([np.nan, 1], dtype=np.float32).tobytes())])
    repo._write_vectors(session, [(10, blob)])
    statements = [s for s, _ in session.sent]
    assert sum("CREATE TABLE" in s for s in statements) == 1 and "vector(2)" in statements[0]
    upserts = [p for s, p in session.sent if s.startswith("INSERT INTO chunk_vectors")]
    assert upserts[0] == [{"chunk_id": 7, "embedding": vector_literal([0.6, 0.8])}]  # no NaN, no missing vector
    assert upserts[1] == [{"chunk_id": 10, "embedding": vector_literal([0.6, 0.8])}]
    # another embedder (another dimension): the table is dropped and made again for it
    repo._write_vectors(session, [(11, np.ones(3, dtype=np.float32).tobytes())])
    assert any(s.startswith("DROP TABLE IF EXISTS chunk_vectors") for s, _ in session.sent[-4:])
    assert "vector(3)" in session.sent[-3][0]


# ---------------------------------------------------------------------------------------------- the knowledge base


class _VectorRepository(MemoryKnowledgeRepository):
    """A memory repository that ranks vectors itself, the way the pgvector path does (a fake of PostgreSQL)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[int] = []

    def enable_vector_index(self) -> bool:
        return True

    def nearest_chunks(self, query: Any, *, k: int) -> list[VectorHit]:
        self.asked.append(k)
        q = np.asarray(query, dtype=np.float32)
        scored = [
            VectorHit(c.document_name, c.idx, float(np.frombuffer(c.embedding or b"", dtype=np.float32) @ q))
            for c in self.iter_chunks()
        ]
        return sorted(scored, key=lambda h: -h.cosine)[:k]


def test_a_store_with_a_vector_index_ranks_like_the_in_memory_index() -> None:
    embedder = _Embedder()
    served = KnowledgeBase(_VectorRepository(), embedder, RagConfig())
    local = KnowledgeBase(MemoryKnowledgeRepository(), embedder, RagConfig())
    _ingest(served)
    _ingest(local)
    assert len(served._index.chunks) == len(local._index.chunks) > 0
    assert served._index._vectors.shape[1] == 0  # no matrix in this process: the store ranks the vectors
    for query in ("what pressure should the boiler have", "when do the bins go out", "guest wifi password"):
        got = [(h.chunk.chunk_id, round(h.dense, 5), round(h.fused, 5)) for h in served.hits(query, k=3)]
        want = [(h.chunk.chunk_id, round(h.dense, 5), round(h.fused, 5)) for h in local.hits(query, k=3)]
        assert got == want
    assert served.repo.asked and min(served.repo.asked) >= 3  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------- the fallback


def test_without_pgvector_the_in_memory_index_is_used(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    """SQLite: off without a word. PostgreSQL without the extension (Debian's): logged once, then the same search."""
    caplog.set_level(logging.INFO, logger="assistant.store")
    repo = db.knowledge
    kb = KnowledgeBase(repo, _Embedder(), RagConfig())
    assert repo.vector_index is False and kb._server_vectors is False
    assert repo.nearest_chunks(np.ones(4), k=3) is None
    said = [r.getMessage() for r in caplog.records if "pgvector" in r.getMessage()]
    if db.dialect == "postgresql":
        assert len(said) == 1 and "in-memory vector index" in said[0]
    else:
        assert said == []
    assert repo.enable_vector_index() is False  # checked once: no second message
    assert len([r for r in caplog.records if "pgvector" in r.getMessage()]) == len(said)
    _ingest(kb)
    top = kb.search("what pressure should the boiler have", k=1)
    assert top and top[0].document_id == "boiler.md"
    doc = repo.get_document_by_name("bins.md")
    assert doc is not None
    repo.replace_chunks(doc.id, [ChunkRow(0, "moved", np.ones(64, dtype=np.float32).tobytes())])  # no vector table
    assert KnowledgeBase(repo, _Embedder(), RagConfig()).chunk_count == repo.chunk_count()
