"""The knowledge base: ingest documents into the store, keep a hybrid index in memory, search and answer."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.config import RagConfig
from assistant.engines import Embedder, LanguageModel
from assistant.messages import AssistantError, ErrorCode, Passage
from assistant.rag.answer import DONT_KNOW, KbAnswer, extractive_answer, llm_answer
from assistant.rag.chunking import split_document
from assistant.rag.index import Hit, HybridIndex, IndexedChunk
from assistant.rag.loaders import SUPPORTED_SUFFIXES, load_document
from assistant.rag.repository import ChunkRow, DocumentInfo, KnowledgeStore

__all__ = ["IngestReport", "KnowledgeBase", "Progress"]

_log = logging.getLogger("assistant.rag")

Progress = Callable[[float, str], None]
"""Progress callback: (fraction done in 0..1, message)."""

_INDEX_VERSION = "v1"
_EMBED_BATCH = 64


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A loaded and chunked document waiting for its vectors."""

    name: str
    title: str
    source: str
    content_hash: str
    meta: dict[str, Any]
    chunks: list[IndexedChunk]


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What ingesting one document did."""

    name: str
    """Document name."""
    status: str
    """ingested, unchanged or failed."""
    document_id: str | None = None
    """Store id of the document."""
    title: str = ""
    """Document title."""
    chunks: int = 0
    """Number of chunks stored."""
    seconds: float = 0.0
    """Time taken."""
    error_code: str | None = None
    """Stable error code when it failed."""
    message: str = ""
    """What went wrong, for the user."""


def _noop(_fraction: float, _message: str) -> None:
    return None


class KnowledgeBase:
    """Hybrid (BM25 + dense) retrieval over documents kept in a ``KnowledgeStore``; a ``Retriever``."""

    def __init__(
        self,
        repo: KnowledgeStore,
        embedder: Embedder,
        cfg: RagConfig,
        *,
        root: Path | None = None,
    ) -> None:
        self.repo = repo
        """The document/chunk repository."""
        self.embedder = embedder
        """Sentence embedder for chunks and queries."""
        self.cfg = cfg
        """Knowledge-base settings."""
        self._root = root
        self._lock = threading.RLock()
        self._index = HybridIndex(fusion=cfg.fusion, dense_weight=cfg.dense_weight)
        self._load_index()

    # ----------------------------------------------------------------- index
    def _load_index(self) -> None:
        """Rebuild the in-memory index from stored chunks (re-embedding any chunk stored without a vector)."""
        chunks: list[IndexedChunk] = []
        vectors: list[npt.NDArray[np.float32] | None] = []
        for stored in self.repo.iter_chunks():
            meta = stored.meta or {}
            chunks.append(
                IndexedChunk(
                    chunk_id=f"{stored.document_name}#{stored.idx}",
                    document_name=stored.document_name,
                    title=stored.title,
                    chunk_index=stored.idx,
                    text=stored.text,
                    section=str(meta.get("section", "")),
                )
            )
            vectors.append(np.frombuffer(stored.embedding, dtype=np.float32) if stored.embedding else None)
        missing = [i for i, v in enumerate(vectors) if v is None or v.size == 0]
        if missing:
            fresh = self.embedder.embed([chunks[i].index_text for i in missing])
            for row, i in enumerate(missing):
                vectors[i] = fresh[row]
        matrix = np.vstack([v for v in vectors if v is not None]).astype(np.float32) if chunks else None
        with self._lock:
            self._index = HybridIndex(fusion=self.cfg.fusion, dense_weight=self.cfg.dense_weight)
            if chunks:
                self._index.replace(add=chunks, vectors=matrix)

    def reload(self) -> None:
        """Re-read the index from the store (after another process changed it)."""
        self._load_index()

    @property
    def chunk_count(self) -> int:
        """Number of indexed chunks."""
        return len(self._index)

    # ----------------------------------------------------------------- ingestion
    def _content_hash(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        return f"sha256:{digest}:{self.cfg.chunk_size}-{self.cfg.chunk_overlap}-{_INDEX_VERSION}"

    def _read(self, source: Path | str | bytes, name: str | None, origin: str | None) -> tuple[bytes, str, str]:
        if isinstance(source, bytes):
            if not name:
                raise AssistantError(ErrorCode.KB_UNSUPPORTED_FORMAT, "An uploaded document needs a file name.")
            return source, name, origin or "upload"
        path = Path(source)
        if not path.is_file():
            raise AssistantError(ErrorCode.KB_NOT_FOUND, f"No such document: {path}", details={"path": str(path)})
        return path.read_bytes(), name or path.name, origin or str(path.resolve())

    def _prepare(self, data: bytes, doc_name: str, where: str) -> _Prepared | IngestReport:
        """Load and chunk one document, or an 'unchanged' report when its content hash is already stored."""
        content_hash = self._content_hash(data)
        existing = self.repo.get_document_by_name(doc_name)
        if existing is not None and existing.content_hash == content_hash:
            return IngestReport(doc_name, "unchanged", existing.id, existing.title, existing.chunk_count)
        doc = load_document(doc_name, data, max_bytes=self.cfg.max_upload_mb * 1024 * 1024)
        pieces = split_document(
            doc.text,
            markdown=doc.format in ("markdown", "html"),
            chunk_size=self.cfg.chunk_size,
            chunk_overlap=self.cfg.chunk_overlap,
        )
        if not pieces:
            raise AssistantError(ErrorCode.KB_EMPTY_DOCUMENT, f"'{doc_name}' contains no readable text.")
        chunks = [
            IndexedChunk(f"{doc_name}#{p.index}", doc_name, doc.title, p.index, p.text, p.section) for p in pieces
        ]
        meta = {"format": doc.format, "pages": doc.pages, "bytes": len(data)}
        return _Prepared(doc_name, doc.title, where, content_hash, meta, chunks)

    def _commit(self, item: _Prepared, vectors: npt.NDArray[np.float32]) -> str:
        """Store one prepared document with its vectors and put it in the index."""
        doc_id = self.repo.upsert_document(
            name=item.name, content_hash=item.content_hash, title=item.title, source=item.source, meta=item.meta
        )
        rows = [
            ChunkRow(
                idx=c.chunk_index,
                text=c.text,
                embedding=vectors[i].astype(np.float32).tobytes(),
                meta={"section": c.section},
            )
            for i, c in enumerate(item.chunks)
        ]
        self.repo.replace_chunks(doc_id, rows)
        self._index.replace(remove_documents=[item.name], add=item.chunks, vectors=vectors)
        return doc_id

    def ingest_file(
        self,
        source: Path | str | bytes,
        name: str | None = None,
        progress: Progress | None = None,
        *,
        origin: str | None = None,
    ) -> IngestReport:
        """Ingest one document from a path or from bytes + name (an upload). Unchanged content is skipped.

        Raises AssistantError: kb-unsupported-format, kb-too-large, kb-corrupt-document, kb-empty-document.
        """
        data, doc_name, where = self._read(source, name, origin)
        (report,) = self.ingest_many([(data, doc_name, where)], progress, raise_errors=True)
        return report

    def ingest_many(
        self,
        items: Sequence[tuple[bytes, str, str]],
        progress: Progress | None = None,
        *,
        raise_errors: bool = False,
    ) -> list[IngestReport]:
        """Ingest (bytes, name, source) documents, embedding all new chunks in shared batches (fast bulk ingest).

        A bad document gives a 'failed' report (or raises, with ``raise_errors``); the others are ingested.
        """
        report = progress or _noop
        started = time.perf_counter()
        with self._lock:
            reports: dict[int, IngestReport] = {}
            prepared: list[tuple[int, _Prepared]] = []
            for n, (data, doc_name, where) in enumerate(items):
                report(0.1 * n / max(len(items), 1), f"{doc_name}: reading")
                try:
                    result = self._prepare(data, doc_name, where)
                except AssistantError as exc:
                    if raise_errors:
                        raise
                    _log.warning("knowledge base: %s", exc)
                    reports[n] = IngestReport(doc_name, "failed", error_code=str(exc.code), message=exc.message)
                    continue
                if isinstance(result, IngestReport):
                    reports[n] = result
                else:
                    prepared.append((n, result))
            texts = [c.index_text for _, item in prepared for c in item.chunks]
            label = prepared[0][1].name if len(prepared) == 1 else f"{len(prepared)} documents"
            vectors = self._embed(texts, label, report) if texts else np.zeros((0, 0), dtype=np.float32)
            row = 0
            for n, item in prepared:
                doc_vectors = vectors[row : row + len(item.chunks)]
                row += len(item.chunks)
                doc_id = self._commit(item, doc_vectors)
                reports[n] = IngestReport(item.name, "ingested", doc_id, item.title, len(item.chunks))
        elapsed = time.perf_counter() - started
        report(1.0, f"{len(prepared)} ingested, {len(items) - len(prepared)} skipped or failed")
        return [replace(reports[n], seconds=elapsed) for n in range(len(items))]

    def _embed(self, texts: Sequence[str], name: str, report: Progress) -> npt.NDArray[np.float32]:
        out: list[npt.NDArray[np.float32]] = []
        for start in range(0, len(texts), _EMBED_BATCH):
            out.append(np.asarray(self.embedder.embed(list(texts[start : start + _EMBED_BATCH])), dtype=np.float32))
            done = min(start + _EMBED_BATCH, len(texts))
            report(0.1 + 0.85 * done / len(texts), f"{name}: embedded {done}/{len(texts)} chunks")
        return np.vstack(out)

    def ingest_folder(
        self, path: Path | str, progress: Progress | None = None, *, prune: bool = True
    ) -> list[IngestReport]:
        """Ingest every supported file under a folder (incrementally); never raises for one bad file.

        With ``prune``, documents that came from this folder and whose file is gone are deleted.
        """
        report = progress or _noop
        folder = Path(path)
        if not folder.is_dir():
            raise AssistantError(ErrorCode.KB_NOT_FOUND, f"No such folder: {folder}", details={"path": str(folder)})
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        items = [(f.read_bytes(), f.relative_to(folder).as_posix(), str(f.resolve())) for f in files]
        reports = self.ingest_many(items, report)
        if prune:
            present = {str(f.resolve()) for f in files}
            base = str(folder.resolve()) + "/"
            for doc in self.repo.documents():
                if doc.source.startswith(base) and doc.source not in present:
                    self.delete(doc.id)
        report(1.0, f"{len(files)} documents")
        return reports

    # ----------------------------------------------------------------- documents
    def documents(self) -> list[DocumentInfo]:
        """Stored documents with their chunk counts."""
        return list(self.repo.documents())

    def delete(self, document: str) -> None:
        """Delete a document by id or name (kb-not-found if there is none)."""
        with self._lock:
            doc = next((d for d in self.repo.documents() if document in (d.id, d.name)), None)
            if doc is None:
                raise AssistantError(ErrorCode.KB_NOT_FOUND, f"No document named '{document}'.")
            self.repo.delete_document(doc.id)
            self._index.replace(remove_documents=[doc.name])

    # ----------------------------------------------------------------- retrieval
    def hits(self, query: str, *, k: int = 5) -> list[Hit]:
        """Raw hits with component scores (for the UI's test box and the benchmark)."""
        if not query.strip() or len(self._index) == 0:
            return []
        vector = np.asarray(self.embedder.embed([query])[0], dtype=np.float32)
        return self._index.search(query, vector, k=k)

    def search(self, query: str, *, k: int = 5) -> list[Passage]:
        """Best passages first; ``score`` is an absolute 0..1 relevance (cosine and query-term coverage)."""
        return [
            Passage(
                document_id=c.document_name,
                chunk_id=c.chunk_id,
                text=c.text,
                score=round(h.relevance, 4),
                title=c.title,
                chunk_index=c.chunk_index,
            )
            for h in self.hits(query, k=k)
            for c in (h.chunk,)
        ]

    def answer(
        self,
        question: str,
        *,
        llm: LanguageModel | None = None,
        k: int | None = None,
        emit: Callable[[str], None] | None = None,
    ) -> KbAnswer:
        """A cited answer (extractive, or by ``llm`` when given), or 'I don't know' below ``min_score``."""
        passages = [p for p in self.search(question, k=k or self.cfg.top_k) if p.score >= self.cfg.min_score]
        if not passages:
            return KbAnswer(DONT_KNOW, (), abstained=True, mode="none")
        if llm is not None:
            return llm_answer(question, passages[:3], llm, emit=emit)
        return extractive_answer(question, passages[:3], embedder=self.embedder)
