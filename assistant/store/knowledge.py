"""KnowledgeRepository: knowledge-base documents and their embedded chunks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select

from assistant.store.jsonsafe import jsonable
from assistant.store.models import ChunkModel, DocumentModel, utcnow
from assistant.store.records import ChunkRow, DocumentInfo, StoredChunk
from assistant.store.session import SessionFactory
from contracts.messages import AssistantError, ErrorCode

__all__ = ["KnowledgeRepository"]

_PAGE = 500


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
            session.add_all(
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
            )

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
