"""What the knowledge base needs from storage, and an in-memory implementation (tests, benchmarks, no-store mode).

The persistent implementation is ``assistant.store.Database(data_dir).knowledge``; the knowledge base only relies on
the contract below and the store's record types, so either works.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from assistant.store.records import ChunkRow, DocumentInfo, StoredChunk

__all__ = ["ChunkRow", "DocumentInfo", "KnowledgeStore", "MemoryKnowledgeRepository", "StoredChunk"]


@runtime_checkable
class KnowledgeStore(Protocol):
    """The knowledge repository contract (see docs/INTERFACES.md)."""

    def get_document_by_name(self, name: str) -> DocumentInfo | None:
        """The document with this name, or None."""
        ...

    def upsert_document(self, name: str, content_hash: str, title: str, source: str, meta: Mapping[str, Any]) -> str:
        """Create or update a document; returns its id."""
        ...

    def replace_chunks(self, document_id: str, chunks: Sequence[ChunkRow]) -> None:
        """Replace all chunks of a document."""
        ...

    def documents(self) -> Sequence[DocumentInfo]:
        """All documents."""
        ...

    def delete_document(self, document_id: str) -> None:
        """Delete a document and its chunks."""
        ...

    def iter_chunks(self) -> Iterator[StoredChunk]:
        """All chunks with their embedding bytes."""
        ...

    def chunk_count(self) -> int:
        """Number of stored chunks."""
        ...


class MemoryKnowledgeRepository:
    """A thread-safe in-memory ``KnowledgeStore`` (nothing persists)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._docs: dict[str, DocumentInfo] = {}
        self._chunks: dict[str, list[StoredChunk]] = {}
        self._ids = itertools.count(1)

    def get_document_by_name(self, name: str) -> DocumentInfo | None:
        """The document with this name, or None."""
        with self._lock:
            return next((d for d in self._docs.values() if d.name == name), None)

    def upsert_document(self, name: str, content_hash: str, title: str, source: str, meta: Mapping[str, Any]) -> str:
        """Create or update a document; returns its id."""
        now = datetime.now(UTC)
        with self._lock:
            existing = next((d for d in self._docs.values() if d.name == name), None)
            if existing is None:
                doc = DocumentInfo(uuid.uuid4().hex, name, title, source, content_hash, None, now, now, 0, dict(meta))
            else:
                doc = replace(existing, title=title, source=source, content_hash=content_hash, meta=dict(meta))
                doc = replace(doc, updated_at=now)
            self._docs[doc.id] = doc
            return doc.id

    def replace_chunks(self, document_id: str, chunks: Sequence[ChunkRow]) -> None:
        """Replace all chunks of a document."""
        with self._lock:
            doc = self._docs[document_id]
            self._chunks[document_id] = [
                StoredChunk(next(self._ids), document_id, doc.name, doc.title, c.idx, c.text, c.embedding, dict(c.meta))
                for c in chunks
            ]
            self._docs[document_id] = replace(doc, chunk_count=len(chunks))

    def documents(self) -> list[DocumentInfo]:
        """All documents, by name."""
        with self._lock:
            return sorted(self._docs.values(), key=lambda d: d.name)

    def delete_document(self, document_id: str) -> None:
        """Delete a document and its chunks."""
        with self._lock:
            self._docs.pop(document_id, None)
            self._chunks.pop(document_id, None)

    def iter_chunks(self) -> Iterator[StoredChunk]:
        """All chunks with their embedding bytes."""
        with self._lock:
            snapshot = [c for chunks in self._chunks.values() for c in chunks]
        return iter(snapshot)

    def chunk_count(self) -> int:
        """Number of stored chunks."""
        with self._lock:
            return sum(len(c) for c in self._chunks.values())
