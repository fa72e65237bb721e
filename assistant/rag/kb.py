"""The knowledge base: ingest documents into the store, keep a hybrid index in memory, search and answer."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.config import RagConfig
from assistant.rag.chunking import TextChunk, split_document
from assistant.rag.index import Hit, HybridIndex, IndexedChunk
from assistant.rag.loaders import SUPPORTED_SUFFIXES, document_format, load_document
from assistant.rag.repository import ChunkRow, DocumentInfo, KnowledgeStore
from contracts.engines import Embedder
from contracts.messages import AssistantError, ErrorCode, Passage

__all__ = ["BatchIngestReport", "DocumentOrigin", "IngestReport", "KnowledgeBase", "Progress", "document_origin"]

_log = logging.getLogger("assistant.rag")

Progress = Callable[[float, str], None]
"""Progress callback: (fraction done in 0..1, message)."""

_INDEX_VERSION = "v1"
_EMBED_BATCH = 64


class DocumentOrigin(StrEnum):
    """Who owns a document: the knowledge folder's sync (shipped or configured documents) or the user."""

    FOLDER = "folder"
    """From the knowledge folder: updated when its file changes, deleted when its file is gone."""
    UPLOAD = "upload"
    """Added by a user (upload, API): never replaced or deleted by the folder sync."""


_ORIGIN_LABEL = {DocumentOrigin.FOLDER: "folder", DocumentOrigin.UPLOAD: "uploaded"}
"""Added to the name and title of a document stored beside one of the other origin with the same name."""


def document_origin(doc: DocumentInfo, *, folder: str | None = None) -> DocumentOrigin:
    """A stored document's origin (``meta['origin']``).

    Documents stored before origins existed have none: those whose source lies under ``folder`` (the absolute folder
    path ending in '/') came from it; any other is a user's.
    """
    value = doc.meta.get("origin")
    if value in (DocumentOrigin.FOLDER.value, DocumentOrigin.UPLOAD.value):
        return DocumentOrigin(value)
    if folder is not None and doc.source.startswith(folder):
        return DocumentOrigin.FOLDER
    return DocumentOrigin.UPLOAD


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A loaded and chunked document waiting for its vectors (built outside the knowledge base's lock)."""

    requested: str
    """The name it was given (file name, or path relative to the folder)."""
    name: str
    """The name it is stored under (``requested``, or a distinct one beside a document of the other origin)."""
    base_title: str
    """The document's own title."""
    title_suffix: str
    """' (uploaded)' or ' (folder)' when stored under a distinct name, else ''."""
    source: str
    content_hash: str
    meta: dict[str, Any]
    pieces: list[TextChunk]

    @property
    def title(self) -> str:
        """The title shown and indexed (distinct from the other document's when names clash)."""
        return self.base_title + self.title_suffix

    @property
    def chunks(self) -> list[IndexedChunk]:
        return [
            IndexedChunk(f"{self.name}#{p.index}", self.name, self.title, p.index, p.text, p.section)
            for p in self.pieces
        ]


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What ingesting one document did."""

    name: str
    """The name it was given (upload file name, or path relative to the folder)."""
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
    document_name: str = ""
    """The name the document is stored under: ``name``, or a distinct one (e.g. 'house-manual (uploaded).md') when a
    document of the other origin already has that name."""
    origin: str = ""
    """folder or upload (``DocumentOrigin``)."""

    @property
    def ok(self) -> bool:
        """Ingested or unchanged."""
        return self.status != "failed"


@dataclass(frozen=True, slots=True)
class BatchIngestReport:
    """What ingesting several uploads did: one report per file, in the order given."""

    reports: tuple[IngestReport, ...] = field(default_factory=tuple)
    """Per file, in order."""

    @property
    def results(self) -> dict[str, str]:
        """File name → document id (ingested or unchanged) or its error code (failed)."""
        return {r.name: (r.document_id or "") if r.ok else (r.error_code or "") for r in self.reports}

    @property
    def ingested(self) -> tuple[IngestReport, ...]:
        """Files that are now in the knowledge base (ingested or unchanged)."""
        return tuple(r for r in self.reports if r.ok)

    @property
    def failed(self) -> tuple[IngestReport, ...]:
        """Files that were refused, each with its error code and message."""
        return tuple(r for r in self.reports if not r.ok)


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
        enable = getattr(repo, "enable_vector_index", None)  # pgvector on PostgreSQL, when the server has it
        self._server_vectors = bool(callable(enable) and enable())
        """The store ranks chunk vectors (``repo.nearest_chunks``); the in-memory index keeps no matrix."""
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
        if matrix is not None and self._server_vectors:
            matrix = matrix[:, :0]  # the vectors live in the store's vector index
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
    #
    # Reading, chunking and embedding run outside ``_lock`` (a slow document never blocks the others, nor deletes);
    # the lock is held only to decide the document's identity again and write the store and the index.

    def _content_hash(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        return f"sha256:{digest}:{self.cfg.chunk_size}-{self.cfg.chunk_overlap}-{_INDEX_VERSION}"

    def _read(self, source: Path | str | bytes, name: str | None, origin: str | None) -> tuple[bytes, str, str]:
        if isinstance(source, bytes | bytearray | memoryview):
            if not name:
                raise AssistantError(ErrorCode.KB_UNSUPPORTED_FORMAT, "An uploaded document needs a file name.")
            return bytes(source), name, origin or "upload"
        path = Path(source)
        doc_name = name or path.name
        try:
            return path.read_bytes(), doc_name, origin or str(path.resolve())
        except OSError as exc:  # missing, a folder, unreadable
            _log.warning("knowledge base: cannot read %s: %r", path, exc)
            raise AssistantError(
                ErrorCode.KB_NOT_FOUND, f"I can't read the file '{doc_name}'.", details={"name": doc_name}
            ) from exc

    def _identity(
        self, requested: str, origin: DocumentOrigin, folder: str | None
    ) -> tuple[str, str, DocumentInfo | None]:
        """(stored name, title suffix, the stored document with that identity or None) for a document to ingest.

        A name held by a document of the other origin is never taken over: the new document is stored beside it as
        '<stem> (uploaded)<suffix>' (or '(folder)'), numbered if that is taken too.
        """
        existing = self.repo.get_document_by_name(requested)
        if existing is None or document_origin(existing, folder=folder) is origin:
            return requested, "", existing
        path = PurePosixPath(requested)
        label = _ORIGIN_LABEL[origin]
        for n in range(1, 1000):
            tag = label if n == 1 else f"{label} {n}"
            candidate = str(path.with_name(f"{path.stem} ({tag}){path.suffix}"))
            other = self.repo.get_document_by_name(candidate)
            if other is None or document_origin(other, folder=folder) is origin:
                return candidate, f" ({tag})", other
        raise AssistantError(ErrorCode.KB_UNSUPPORTED_FORMAT, f"Too many documents are named '{requested}'.")

    def _prepare(
        self, data: bytes, requested: str, where: str, origin: DocumentOrigin, folder: str | None
    ) -> _Prepared | IngestReport:
        """Load and chunk one document, or an 'unchanged' report when its content hash is already stored."""
        document_format(requested)  # an unsupported name is refused before anything else
        content_hash = self._content_hash(data)
        name, title_suffix, existing = self._identity(requested, origin, folder)
        if existing is not None and existing.content_hash == content_hash:
            return self._unchanged(requested, name, existing, origin)
        doc = load_document(requested, data, max_bytes=self.cfg.max_upload_mb * 1024 * 1024)
        try:
            pieces = split_document(
                doc.text,
                markdown=doc.format in ("markdown", "html"),
                chunk_size=self.cfg.chunk_size,
                chunk_overlap=self.cfg.chunk_overlap,
            )
        except Exception as exc:  # the text splitter is third-party too: never let it crash an ingest
            _log.error("knowledge base: splitting %s failed", requested, exc_info=True)
            raise AssistantError(
                ErrorCode.KB_CORRUPT_DOCUMENT,
                f"'{requested}' could not be split into passages.",
                details={"name": requested, "exception": type(exc).__name__},
            ) from exc
        if not pieces:
            raise AssistantError(ErrorCode.KB_EMPTY_DOCUMENT, f"'{requested}' contains no readable text.")
        meta = {"format": doc.format, "pages": doc.pages, "bytes": len(data), "origin": origin.value}
        return _Prepared(requested, name, doc.title, title_suffix, where, content_hash, meta, pieces)

    @staticmethod
    def _unchanged(requested: str, name: str, existing: DocumentInfo, origin: DocumentOrigin) -> IngestReport:
        return IngestReport(
            requested,
            "unchanged",
            existing.id,
            existing.title,
            existing.chunk_count,
            document_name=name,
            origin=origin.value,
        )

    def _commit(self, item: _Prepared, vectors: npt.NDArray[np.float32]) -> str:
        """Store one prepared document with its vectors and put it in the index (under ``_lock``)."""
        doc_id = self.repo.upsert_document(
            name=item.name, content_hash=item.content_hash, title=item.title, source=item.source, meta=item.meta
        )
        chunks = item.chunks
        rows = [
            ChunkRow(
                idx=c.chunk_index,
                text=c.text,
                embedding=vectors[i].astype(np.float32).tobytes(),
                meta={"section": c.section},
            )
            for i, c in enumerate(chunks)
        ]
        self.repo.replace_chunks(doc_id, rows)
        kept = vectors[:, :0] if self._server_vectors else vectors
        self._index.replace(remove_documents=[item.name], add=chunks, vectors=kept)
        return doc_id

    def ingest_file(
        self,
        source: Path | str | bytes,
        name: str | None = None,
        progress: Progress | None = None,
        *,
        origin: str | None = None,
    ) -> IngestReport:
        """Ingest one user document from a path or from bytes + name (an upload). Unchanged content is skipped.

        ``origin`` is where it came from (stored as the document's source). A document of the knowledge folder with
        the same name is kept: this one is stored beside it (``IngestReport.document_name``).

        Raises AssistantError: kb-unsupported-format, kb-too-large, kb-corrupt-document, kb-empty-document,
        kb-not-found (a path that cannot be read).
        """
        data, doc_name, where = self._read(source, name, origin)
        (report,) = self.ingest_many([(data, doc_name, where)], progress, raise_errors=True)
        return report

    def ingest_uploads(
        self,
        files: Sequence[tuple[str, bytes | Path | str]],
        progress: Progress | None = None,
    ) -> BatchIngestReport:
        """Ingest several user uploads, each ``(file name, bytes or a path to read)``; never raises for one file.

        Every good file is ingested even when others fail; the report has one entry per file, in order
        (``BatchIngestReport.results``: file name → document id or error code).
        """
        items: list[tuple[bytes, str, str]] = []
        unreadable: dict[int, IngestReport] = {}
        for n, (file_name, content) in enumerate(files):
            try:
                data, doc_name, where = self._read(content, file_name, "upload")
            except AssistantError as exc:
                unreadable[n] = IngestReport(
                    file_name, "failed", error_code=exc.code.value, message=exc.message, origin="upload"
                )
                continue
            items.append((data, doc_name, where))
        done = iter(self.ingest_many(items, progress))
        return BatchIngestReport(tuple(unreadable[n] if n in unreadable else next(done) for n in range(len(files))))

    def ingest_many(
        self,
        items: Sequence[tuple[bytes, str, str]],
        progress: Progress | None = None,
        *,
        raise_errors: bool = False,
        origin: DocumentOrigin | str = DocumentOrigin.UPLOAD,
        _folder: str | None = None,
    ) -> list[IngestReport]:
        """Ingest (bytes, name, source) documents, embedding all new chunks in shared batches (fast bulk ingest).

        A bad document gives a 'failed' report (or raises, with ``raise_errors``); the others are ingested.
        ``origin`` says who owns them (``DocumentOrigin``): a document never replaces one of the other origin.
        """
        kind = DocumentOrigin(origin)
        report = progress or _noop
        started = time.perf_counter()
        reports: dict[int, IngestReport] = {}
        prepared: list[tuple[int, _Prepared]] = []

        def failed(n: int, doc_name: str, exc: AssistantError) -> None:
            if raise_errors:
                raise exc
            _log.warning("knowledge base: %s", exc)
            reports[n] = IngestReport(
                doc_name, "failed", error_code=exc.code.value, message=exc.message, origin=kind.value
            )

        for n, (data, doc_name, where) in enumerate(items):  # outside the lock: the slow part
            report(0.1 * n / max(len(items), 1), f"{doc_name}: reading")
            try:
                result = self._prepare(data, doc_name, where, kind, _folder)
            except AssistantError as exc:
                failed(n, doc_name, exc)
                continue
            if isinstance(result, IngestReport):
                reports[n] = result
            else:
                prepared.append((n, result))
        texts = [c.index_text for _, item in prepared for c in item.chunks]
        label = prepared[0][1].requested if len(prepared) == 1 else f"{len(prepared)} documents"
        vectors = self._embed(texts, label, report) if texts else np.zeros((0, 0), dtype=np.float32)
        row = 0
        with self._lock:  # only identity and writes: another ingest may have stored a name meanwhile
            for n, item in prepared:
                doc_vectors = vectors[row : row + len(item.chunks)]
                row += len(item.chunks)
                try:
                    name, suffix, existing = self._identity(item.requested, kind, _folder)
                    if existing is not None and existing.content_hash == item.content_hash:
                        reports[n] = self._unchanged(item.requested, name, existing, kind)
                        continue
                    if name != item.name:  # rare: a concurrent ingest took the name meanwhile
                        item = replace(item, name=name, title_suffix=suffix)
                    doc_id = self._commit(item, doc_vectors)
                except AssistantError as exc:  # the store refused (store-full, ...): the others still go in
                    failed(n, item.requested, exc)
                    continue
                reports[n] = IngestReport(
                    item.requested, "ingested", doc_id, item.title, len(item.pieces),
                    document_name=item.name, origin=kind.value,
                )  # fmt: skip
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

        Its documents have the origin ``folder``: a user's document with the same name is kept (the folder's is
        stored beside it), and with ``prune`` only folder documents whose file is gone are deleted, never a user's.
        """
        report = progress or _noop
        folder = Path(path)
        if not folder.is_dir():
            raise AssistantError(ErrorCode.KB_NOT_FOUND, f"No such folder: {folder}", details={"path": str(folder)})
        base = str(folder.resolve()) + "/"
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        items: list[tuple[bytes, str, str]] = []
        unreadable: list[IngestReport] = []
        for f in files:
            rel = f.relative_to(folder).as_posix()
            try:
                items.append((f.read_bytes(), rel, str(f.resolve())))
            except OSError as exc:
                _log.warning("knowledge base: cannot read %s: %r", f, exc)
                unreadable.append(
                    IngestReport(
                        rel, "failed", error_code=ErrorCode.KB_NOT_FOUND.value, message=f"I can't read '{rel}'."
                    )
                )
        self._stamp_legacy_origins(base)
        reports = self.ingest_many(items, report, origin=DocumentOrigin.FOLDER, _folder=base)
        if prune:
            present = {str(f.resolve()) for f in files}
            for doc in self.repo.documents():
                if (
                    document_origin(doc, folder=base) is DocumentOrigin.FOLDER
                    and doc.source.startswith(base)
                    and doc.source not in present
                ):
                    self.delete(doc.id)
        report(1.0, f"{len(files)} documents")
        return reports + unreadable

    def _stamp_legacy_origins(self, base: str) -> None:
        """Record the origin of documents stored before origins existed (under the folder or not, by their source)."""
        with self._lock:
            for doc in self.repo.documents():
                if "origin" not in doc.meta:
                    origin = document_origin(doc, folder=base)
                    self.repo.upsert_document(
                        name=doc.name,
                        content_hash=doc.content_hash,
                        title=doc.title,
                        source=doc.source,
                        meta={**doc.meta, "origin": origin.value},
                    )

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
        if self._server_vectors:
            found = self.repo.nearest_chunks(vector, k=max(self._index.candidates, k))  # type: ignore[attr-defined]
            if found is not None:
                dense = {f"{h.document_name}#{h.idx}": h.cosine for h in found}
                return self._index.search(query, vector, k=k, dense_scores=dense)
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

    def relevant(self, query: str, *, k: int | None = None) -> list[Passage]:
        """Best passages at or above ``rag.min_score`` (an empty list: nothing relevant enough to answer from)."""
        return [p for p in self.search(query, k=k or self.cfg.top_k) if p.score >= self.cfg.min_score]
