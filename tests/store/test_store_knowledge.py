"""KnowledgeRepository against a real SQLite file: documents, chunks with embeddings, cascade delete."""

from __future__ import annotations

import sqlite3
import struct

import pytest

from assistant.store import ChunkRow, Database, DocumentInfo, StoredChunk
from contracts.messages import AssistantError, ErrorCode


def _vec(*values: float) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def test_documents_and_chunks_roundtrip(db: Database) -> None:
    kb = db.knowledge
    doc = kb.upsert_document("manual.md", "hash1", "Manual", "config/knowledge", {"pages": 2}, size_bytes=1234)
    kb.replace_chunks(doc, [ChunkRow(0, "first part", _vec(0.5, -1.0)), ChunkRow(1, "second", None, {"p": 2})])
    info = kb.get_document_by_name("manual.md")
    assert isinstance(info, DocumentInfo)
    assert (info.id, info.title, info.source, info.content_hash) == (doc, "Manual", "config/knowledge", "hash1")
    assert (info.size_bytes, info.chunk_count, info.meta) == (1234, 2, {"pages": 2})
    assert kb.get_document(doc) == info
    assert kb.get_document_by_name("missing.md") is None
    chunks = list(kb.iter_chunks())
    assert all(isinstance(c, StoredChunk) for c in chunks)
    assert [(c.idx, c.text, c.document_name, c.title) for c in chunks] == [
        (0, "first part", "manual.md", "Manual"),
        (1, "second", "manual.md", "Manual"),
    ]
    assert struct.unpack("<2f", chunks[0].embedding or b"") == (0.5, -1.0)
    assert chunks[1].embedding is None and chunks[1].meta == {"p": 2}
    assert kb.chunk_count() == 2
    assert kb.get_chunks([chunks[1].id, 999_999, chunks[0].id]) == [chunks[1], chunks[0]]


def test_upsert_keeps_id_and_replace_swaps_chunks(db: Database) -> None:
    kb = db.knowledge
    doc = kb.upsert_document("a.txt", "h1", "A", "upload", None)
    kb.replace_chunks(doc, [ChunkRow(i, f"old {i}") for i in range(3)])
    assert kb.upsert_document("a.txt", "h2", "A2", "upload", {"v": 2}) == doc
    kb.replace_chunks(doc, [ChunkRow(0, "new")])
    (info,) = kb.documents()
    assert (info.content_hash, info.title, info.chunk_count) == ("h2", "A2", 1)
    assert info.updated_at >= info.created_at
    assert [c.text for c in kb.iter_chunks()] == ["new"]


def test_delete_document_cascades(db: Database) -> None:
    kb = db.knowledge
    a = kb.upsert_document("a", "h", "A", "s", {})
    b = kb.upsert_document("b", "h", "B", "s", {})
    kb.replace_chunks(a, [ChunkRow(0, "a0"), ChunkRow(1, "a1")])
    kb.replace_chunks(b, [ChunkRow(0, "b0")])
    kb.delete_document(a)
    assert [d.name for d in kb.documents()] == ["b"]
    assert [c.text for c in kb.iter_chunks()] == ["b0"]
    if db.dialect == "sqlite":
        with sqlite3.connect(db.path) as raw:  # the rows are gone from the file, not only hidden
            assert raw.execute("SELECT count(*) FROM chunks WHERE document_id = ?", (a,)).fetchone()[0] == 0
    with pytest.raises(AssistantError) as err:
        kb.delete_document(a)
    assert err.value.code == ErrorCode.KB_NOT_FOUND
    with pytest.raises(AssistantError) as err:
        kb.replace_chunks(a, [ChunkRow(0, "x")])
    assert err.value.code == ErrorCode.KB_NOT_FOUND
    assert kb.delete_all() == 1
    assert kb.documents() == [] and kb.chunk_count() == 0


def test_iter_chunks_pages_through_many_and_filters(db: Database) -> None:
    kb = db.knowledge
    a = kb.upsert_document("big", "h", "Big", "s", {})
    b = kb.upsert_document("small", "h", "Small", "s", {})
    kb.replace_chunks(a, [ChunkRow(i, f"chunk {i}", _vec(float(i))) for i in range(1234)])
    kb.replace_chunks(b, [ChunkRow(0, "only")])
    chunks = list(kb.iter_chunks())
    assert len(chunks) == 1235 and len({c.id for c in chunks}) == 1235
    assert [c.idx for c in kb.iter_chunks(a)] == list(range(1234))
    assert [c.text for c in kb.iter_chunks(b)] == ["only"]
    assert {d.name: d.chunk_count for d in kb.documents()} == {"big": 1234, "small": 1}


def test_duplicate_chunk_index_is_rejected_atomically(db: Database) -> None:
    kb = db.knowledge
    doc = kb.upsert_document("d", "h", "D", "s", {})
    kb.replace_chunks(doc, [ChunkRow(0, "kept")])
    with pytest.raises(AssistantError):
        kb.replace_chunks(doc, [ChunkRow(0, "x"), ChunkRow(0, "y")])
    assert [c.text for c in kb.iter_chunks()] == ["kept"]  # the failed replace rolled back
