"""KnowledgeRepository: knowledge-base documents and their embedded chunks.

Every chunk keeps its float32 embedding as bytes (``chunks.embedding``), which the knowledge base's in-memory index
loads. On PostgreSQL with the ``vector`` extension (pgvector) available, ``enable_vector_index`` also keeps each
chunk's embedding in a ``vector`` column (table ``chunk_vectors``, an HNSW cosine index) and ``nearest_chunks``
ranks them there with ``<=>``; without the extension it logs once and the in-memory index does the ranking.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from assistant.store.jsonsafe import jsonable
from assistant.store.models import ChunkModel, DocumentModel, utcnow
from assistant.store.records import ChunkRow, DocumentInfo, StoredChunk
from assistant.store.session import SessionFactory
from contracts.messages import AssistantError, ErrorCode

__all__ = ["KnowledgeRepository", "PgVectorSql", "VectorHit", "vector_literal"]

_PAGE = 500
_log = logging.getLogger("assistant.store")


@dataclass(frozen=True, slots=True)
class VectorHit:
    """One chunk found by the server-side vector index."""

    document_name: str
    """The chunk's document name."""
    idx: int
    """The chunk's index in its document."""
    cosine: float
    """Cosine similarity of the query and the chunk (1 - the ``<=>`` distance)."""


def vector_literal(vector: Any) -> str:
    """A pgvector text literal (``[0.25,-1,...]``) of a 1-D float vector; ``CAST(:v AS vector)`` reads it, so no
    client package (``pgvector``) is needed. Non-finite values are refused (pgvector refuses them too)."""
    values = np.asarray(vector, dtype=np.float32).reshape(-1)
    if values.size == 0 or not np.isfinite(values).all():
        raise ValueError("a vector needs at least one finite value and no NaN or infinity")
    return "[" + ",".join(repr(float(v)) for v in values.tolist()) + "]"


@dataclass(frozen=True, slots=True)
class PgVectorSql:
    """The SQL of the pgvector path: one ``vector(dimensions)`` column per chunk, searched by cosine distance."""

    table: str = "chunk_vectors"
    """The table of chunk vectors (one row per ``chunks`` row, deleted with it)."""

    available: str = "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
    """One row when the server has the extension installed (its files), enabled or not."""
    create_extension: str = "CREATE EXTENSION IF NOT EXISTS vector"
    """Enables it in this database (needs the CREATE privilege on the database)."""

    def dimensions(self) -> str:
        """The dimension of the existing column (no row: no table yet)."""
        return (
            "SELECT atttypmod FROM pg_attribute WHERE attrelid = to_regclass(:table) AND attname = 'embedding' "
            "AND NOT attisdropped"
        )

    def drop_table(self) -> str:
        """Drops the table (the embedder's dimension changed: the vectors are copied again from ``chunks``)."""
        return f"DROP TABLE IF EXISTS {self.table}"

    def create_table(self, dimensions: int) -> list[str]:
        """The table and its HNSW cosine index."""
        if not 0 < int(dimensions) <= 16000:
            raise ValueError(f"pgvector columns have 1 to 16000 dimensions, not {dimensions}")
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            "chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE, "
            f"embedding vector({int(dimensions)}) NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.table}_cosine ON {self.table} USING hnsw (embedding vector_cosine_ops)",
        ]

    def upsert(self) -> str:
        """Inserts or replaces one chunk's vector (parameters ``chunk_id``, ``embedding``: a ``vector_literal``)."""
        return (
            f"INSERT INTO {self.table} (chunk_id, embedding) VALUES (:chunk_id, CAST(:embedding AS vector)) "
            "ON CONFLICT (chunk_id) DO UPDATE SET embedding = EXCLUDED.embedding"
        )

    def missing(self) -> str:
        """Chunks with an embedding and no vector row yet (parameter ``limit``)."""
        return (
            f"SELECT c.id, c.embedding FROM chunks c LEFT JOIN {self.table} v ON v.chunk_id = c.id "
            "WHERE v.chunk_id IS NULL AND c.embedding IS NOT NULL ORDER BY c.id LIMIT :limit"
        )

    def nearest(self) -> str:
        """The ``k`` chunks nearest a query (parameters ``query``: a ``vector_literal``, ``k``), best first."""
        return (
            "SELECT d.name, c.idx, 1 - (v.embedding <=> CAST(:query AS vector)) AS cosine "
            f"FROM {self.table} v JOIN chunks c ON c.id = v.chunk_id JOIN documents d ON d.id = c.document_id "
            "ORDER BY v.embedding <=> CAST(:query AS vector) LIMIT :k"
        )


def _doc_info(row: DocumentModel, chunk_count: int) -> DocumentInfo:
    return DocumentInfo(
        id=row.id,
        name=row.name,
        title=row.title,
        source=row.source,
        content_hash=row.content_hash,
        size_bytes=row.size_bytes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        chunk_count=chunk_count,
        meta=dict(row.meta or {}),
    )


def _meta(value: Mapping[str, Any] | None) -> dict[str, Any]:
    out = jsonable(value) if value else {}
    return out if isinstance(out, dict) else {}


def _not_found(document_id: str) -> AssistantError:
    return AssistantError(
        ErrorCode.KB_NOT_FOUND, f"There is no document {document_id!r}.", details={"document_id": document_id}
    )


class KnowledgeRepository:
    """The only way to read and write knowledge-base documents and chunks."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions
        self._pgvector: PgVectorSql | None = None
        self._vector_dims: int | None = None
        self._vector_lock = threading.Lock()
        self._vector_checked = False

    # ----------------------------------------------------------------- pgvector

    @property
    def vector_index(self) -> bool:
        """True once ``enable_vector_index`` found pgvector: ``nearest_chunks`` ranks chunks in PostgreSQL."""
        return self._pgvector is not None

    def enable_vector_index(self) -> bool:
        """Use pgvector when the store is PostgreSQL and the extension can be enabled; False otherwise.

        Checked once per repository: on SQLite it is False without a word; on PostgreSQL without the extension (or
        without the right to enable it) it logs once and is False, and the knowledge base ranks in memory. When it is
        True, the vectors of chunks stored before are copied into the vector table now.
        """
        with self._vector_lock:
            if self._vector_checked:
                return self._pgvector is not None
            self._vector_checked = True
            with self._sessions.read() as session:
                dialect = session.get_bind().dialect.name
            if dialect != "postgresql":
                return False
            sql = PgVectorSql()
            try:
                with self._sessions.write() as session:
                    if session.execute(text(sql.available)).first() is None:
                        _log.info(
                            "PostgreSQL has no pgvector extension (pg_available_extensions): the knowledge base "
                            "keeps its in-memory vector index."
                        )
                        return False
                    session.execute(text(sql.create_extension))
            except Exception as exc:  # no privilege to CREATE EXTENSION, or another server-side refusal
                _log.warning(
                    "pgvector could not be enabled (%s): the knowledge base keeps its in-memory vector index.",
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                )
                return False
            with self._sessions.read() as session:
                found = session.execute(text(sql.dimensions()), {"table": sql.table}).scalar()
            self._vector_dims = int(found) if found and int(found) > 0 else None
            self._pgvector = sql
        self._copy_missing_vectors()
        _log.info("Knowledge-base vectors are in PostgreSQL (pgvector, table %s).", sql.table)
        return True

    def _ensure_vector_table(self, session: Session, dimensions: int) -> PgVectorSql | None:
        sql = self._pgvector
        if sql is None:
            return None
        if self._vector_dims != dimensions:
            if self._vector_dims is not None:  # another embedder: the vectors are copied again from chunks
                session.execute(text(sql.drop_table()))
            for statement in sql.create_table(dimensions):
                session.execute(text(statement))
            self._vector_dims = dimensions
        return sql

    def _write_vectors(self, session: Session, rows: Sequence[tuple[int, bytes | None]]) -> None:
        vectors = [(cid, np.frombuffer(blob, dtype=np.float32)) for cid, blob in rows if blob]
        vectors = [(cid, v) for cid, v in vectors if v.size and np.isfinite(v).all()]
        if not vectors:
            return
        sql = self._ensure_vector_table(session, int(vectors[0][1].size))
        if sql is None:
            return
        params = [
            {"chunk_id": cid, "embedding": vector_literal(v)} for cid, v in vectors if v.size == self._vector_dims
        ]
        if params:
            session.execute(text(sql.upsert()), params)

    def _copy_missing_vectors(self) -> None:
        sql = self._pgvector
        if sql is None:
            return
        while True:
            with self._sessions.write() as session:
                if self._vector_dims is None:
                    first = session.execute(
                        select(ChunkModel.id, ChunkModel.embedding).where(ChunkModel.embedding.is_not(None)).limit(1)
                    ).first()
                    if first is None:
                        return
                    self._write_vectors(session, [(int(first[0]), first[1])])
                page = [(int(r[0]), r[1]) for r in session.execute(text(sql.missing()), {"limit": _PAGE})]
                self._write_vectors(session, page)
            if len(page) < _PAGE:
                return

    def nearest_chunks(self, query: Any, *, k: int) -> list[VectorHit] | None:
        """The ``k`` chunks nearest ``query`` (an L2-normalised embedding) by cosine in PostgreSQL, best first;
        None when the vector index is not in use (``enable_vector_index`` was False or not called)."""
        sql = self._pgvector
        if sql is None:
            return None
        if self._vector_dims is None or k <= 0:
            return []
        with self._sessions.read() as session:
            rows = session.execute(text(sql.nearest()), {"query": vector_literal(query), "k": int(k)})
            return [VectorHit(str(name), int(idx), float(cosine)) for name, idx, cosine in rows]

    def _count_chunks(self) -> Any:
        return select(ChunkModel.document_id, func.count().label("n")).group_by(ChunkModel.document_id).subquery()

    def get_document_by_name(self, name: str) -> DocumentInfo | None:
        """A document by its unique name, or None."""
        with self._sessions.read() as session:
            row = session.scalar(select(DocumentModel).where(DocumentModel.name == name))
            if row is None:
                return None
            n = session.scalar(select(func.count()).select_from(ChunkModel).where(ChunkModel.document_id == row.id))
            return _doc_info(row, int(n or 0))

    def get_document(self, document_id: str) -> DocumentInfo | None:
        """A document by id, or None."""
        with self._sessions.read() as session:
            row = session.get(DocumentModel, document_id)
            if row is None:
                return None
            n = session.scalar(select(func.count()).select_from(ChunkModel).where(ChunkModel.document_id == row.id))
            return _doc_info(row, int(n or 0))

    def upsert_document(
        self,
        name: str,
        content_hash: str,
        title: str = "",
        source: str = "",
        meta: Mapping[str, Any] | None = None,
        *,
        size_bytes: int | None = None,
    ) -> str:
        """Insert or update the document called ``name``; returns its id (stable across updates)."""
        now = utcnow()
        with self._sessions.write() as session:
            row = session.scalar(select(DocumentModel).where(DocumentModel.name == name))
            if row is None:
                row = DocumentModel(id=uuid.uuid4().hex, name=name, created_at=now)
                session.add(row)
            row.content_hash = content_hash
            row.title = title or ""
            row.source = source or ""
            row.meta = _meta(meta)
            row.updated_at = now
            if size_bytes is not None:
                row.size_bytes = size_bytes
            return row.id

    def replace_chunks(self, document_id: str, chunks: Sequence[ChunkRow]) -> None:
        """Replace a document's chunks in one transaction; kb-not-found if the document is unknown."""
        with self._sessions.write() as session:
            if session.get(DocumentModel, document_id) is None:
                raise _not_found(document_id)
            session.execute(delete(ChunkModel).where(ChunkModel.document_id == document_id))
            rows = [
                ChunkModel(
                    document_id=document_id,
                    idx=c.idx,
                    text=c.text,
                    embedding=bytes(c.embedding) if c.embedding is not None else None,
                    token_count=c.token_count,
                    char_count=len(c.text),
                    meta=_meta(c.meta),
                )
                for c in chunks
            ]
            session.add_all(rows)
            if self._pgvector is not None:  # the vectors too, in the same transaction
                session.flush()
                self._write_vectors(session, [(row.id, row.embedding) for row in rows])

    def documents(self) -> list[DocumentInfo]:
        """All documents with their chunk counts, by name."""
        with self._sessions.read() as session:
            counts = self._count_chunks()
            rows = session.execute(
                select(DocumentModel, counts.c.n)
                .outerjoin(counts, counts.c.document_id == DocumentModel.id)
                .order_by(DocumentModel.name)
            )
            return [_doc_info(doc, int(n or 0)) for doc, n in rows]

    def delete_document(self, document_id: str) -> None:
        """Delete a document and its chunks; kb-not-found if unknown."""
        with self._sessions.write() as session:
            result = session.execute(delete(DocumentModel).where(DocumentModel.id == document_id))
            if getattr(result, "rowcount", 0) == 0:
                raise _not_found(document_id)
        self._sessions.checkpoint()

    def delete_all(self) -> int:
        """Delete every document and chunk; returns how many documents were deleted."""
        with self._sessions.write() as session:
            n = session.scalar(select(func.count()).select_from(DocumentModel)) or 0
            session.execute(delete(DocumentModel))
        self._sessions.checkpoint()
        return int(n)

    def iter_chunks(self, document_id: str | None = None) -> Iterator[StoredChunk]:
        """Every chunk (or one document's) with its embedding bytes, read page by page (no long transaction)."""
        last_id = 0
        while True:
            stmt = (
                select(ChunkModel, DocumentModel.name, DocumentModel.title)
                .join(DocumentModel, DocumentModel.id == ChunkModel.document_id)
                .where(ChunkModel.id > last_id)
                .order_by(ChunkModel.id)
                .limit(_PAGE)
            )
            if document_id is not None:
                stmt = stmt.where(ChunkModel.document_id == document_id)
            with self._sessions.read() as session:
                page = [
                    StoredChunk(
                        id=c.id,
                        document_id=c.document_id,
                        document_name=name,
                        title=title,
                        idx=c.idx,
                        text=c.text,
                        embedding=c.embedding,
                        meta=dict(c.meta or {}),
                        token_count=c.token_count,
                    )
                    for c, name, title in session.execute(stmt)
                ]
            yield from page
            if len(page) < _PAGE:
                return
            last_id = page[-1].id

    def get_chunks(self, ids: Sequence[int]) -> list[StoredChunk]:
        """Chunks by id, in the order asked (unknown ids are left out)."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        if not wanted:
            return []
        with self._sessions.read() as session:
            rows = session.execute(
                select(ChunkModel, DocumentModel.name, DocumentModel.title)
                .join(DocumentModel, DocumentModel.id == ChunkModel.document_id)
                .where(ChunkModel.id.in_(wanted))
            )
            found = {
                c.id: StoredChunk(
                    id=c.id,
                    document_id=c.document_id,
                    document_name=name,
                    title=title,
                    idx=c.idx,
                    text=c.text,
                    embedding=c.embedding,
                    meta=dict(c.meta or {}),
                    token_count=c.token_count,
                )
                for c, name, title in rows
            }
        return [found[i] for i in wanted if i in found]

    def chunk_count(self) -> int:
        """Number of stored chunks."""
        with self._sessions.read() as session:
            return int(session.scalar(select(func.count()).select_from(ChunkModel)) or 0)
