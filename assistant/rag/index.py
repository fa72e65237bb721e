"""The in-memory hybrid index: BM25 over stemmed terms (inverted index) + dense cosine (numpy matrix), fused."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from assistant.rag.text import analyze

__all__ = ["Hit", "HybridIndex", "IndexedChunk"]

Fusion = Literal["rrf", "linear"]


@dataclass(frozen=True, slots=True)
class IndexedChunk:
    """One searchable chunk."""

    chunk_id: str
    """Unique chunk id ('<document name>#<index>')."""
    document_name: str
    """The document's unique name."""
    title: str
    """The document's title."""
    chunk_index: int
    """Index inside the document."""
    text: str
    """Chunk text."""
    section: str = ""
    """Heading path inside the document."""

    @property
    def index_text(self) -> str:
        """What is indexed: title, section and text (titles carry the topic a question names)."""
        head = ". ".join(p for p in (self.title, self.section) if p and p not in self.text[:200])
        return f"{head}. {self.text}" if head else self.text


@dataclass(frozen=True, slots=True)
class Hit:
    """A search hit with its component scores."""

    chunk: IndexedChunk
    """The chunk."""
    fused: float
    """Fused ranking score."""
    dense: float
    """Cosine similarity of query and chunk."""
    lexical: float
    """BM25 score."""
    coverage: float
    """IDF-weighted share of the query's terms found in the chunk (0..1)."""

    @property
    def relevance(self) -> float:
        """An absolute 0..1 relevance (mean of cosine and term coverage), comparable across queries."""
        return max(0.0, min(1.0, 0.5 * self.dense + 0.5 * self.coverage))


class _Bm25:
    """Okapi BM25 over an inverted index (term → document rows and term frequencies)."""

    def __init__(self, docs: Sequence[list[str]], *, k1: float, b: float) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float32)
        self.avgdl = float(lengths.mean()) if self.n else 1.0
        self.norm = (k1 * (1.0 - b + b * lengths / max(self.avgdl, 1e-9))).astype(np.float32)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for row, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                rows, tfs = postings.setdefault(term, ([], []))
                rows.append(row)
                tfs.append(tf)
        self.postings = {
            t: (np.array(r, dtype=np.int64), np.array(f, dtype=np.float32)) for t, (r, f) in postings.items()
        }
        self.idf = {t: math.log(1.0 + (self.n - len(r) + 0.5) / (len(r) + 0.5)) for t, (r, _) in postings.items()}
        self.max_idf = math.log(1.0 + (self.n + 0.5) / 0.5)

    def scores(self, terms: Sequence[str]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """BM25 scores and idf-weighted term coverage for every row."""
        scores = np.zeros(self.n, dtype=np.float32)
        covered = np.zeros(self.n, dtype=np.float32)
        total = 0.0
        for term, qtf in Counter(terms).items():
            idf = self.idf.get(term)
            total += (idf if idf is not None else self.max_idf) * qtf
            if idf is None:
                continue
            rows, tfs = self.postings[term]
            scores[rows] += qtf * idf * tfs * (self.k1 + 1.0) / (tfs + self.norm[rows])
            covered[rows] += qtf * idf
        coverage = covered / total if total > 0 else covered
        return scores, coverage


class HybridIndex:
    """BM25 + dense retrieval over chunks, fused by normalised scores (default) or reciprocal rank."""

    def __init__(
        self,
        *,
        fusion: Fusion = "linear",
        rrf_k: int = 60,
        dense_weight: float = 0.5,
        candidates: int = 100,
        bm25_k1: float = 1.2,
        bm25_b: float = 0.75,
    ) -> None:
        self.fusion: Fusion = fusion
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.candidates = candidates
        self._k1, self._b = bm25_k1, bm25_b
        self._lock = threading.RLock()
        self._docs: dict[str, tuple[list[IndexedChunk], list[list[str]], npt.NDArray[np.float32]]] = {}
        self._dirty = True
        self._chunks: list[IndexedChunk] = []
        self._vectors: npt.NDArray[np.float32] = np.zeros((0, 0), dtype=np.float32)
        self._bm25 = _Bm25([], k1=bm25_k1, b=bm25_b)

    def __len__(self) -> int:
        with self._lock:
            return sum(len(c) for c, _, _ in self._docs.values())

    @property
    def chunks(self) -> list[IndexedChunk]:
        """The indexed chunks, in row order."""
        with self._lock:
            self._refresh()
            return list(self._chunks)

    def replace(
        self,
        *,
        remove_documents: Sequence[str] = (),
        add: Sequence[IndexedChunk] = (),
        vectors: npt.NDArray[np.float32] | None = None,
    ) -> None:
        """Drop every chunk of ``remove_documents``, then add ``add`` with their ``vectors`` (one row each).

        Cheap: the flat matrix and the BM25 statistics are rebuilt lazily, at the next search.
        """
        if add and (vectors is None or len(vectors) != len(add)):
            raise ValueError("one vector per added chunk is required")
        with self._lock:
            for name in remove_documents:
                self._docs.pop(name, None)
            by_doc: dict[str, list[int]] = {}
            for i, chunk in enumerate(add):
                by_doc.setdefault(chunk.document_name, []).append(i)
            for name, rows in by_doc.items():
                chunks = [add[i] for i in rows]
                matrix = np.asarray(vectors, dtype=np.float32)[rows]
                self._docs[name] = (chunks, [analyze(c.index_text) for c in chunks], matrix)
            self._dirty = True

    def _refresh(self) -> None:
        if not self._dirty:
            return
        chunks: list[IndexedChunk] = []
        terms: list[list[str]] = []
        mats: list[npt.NDArray[np.float32]] = []
        for c, t, m in self._docs.values():
            chunks.extend(c)
            terms.extend(t)
            mats.append(m)
        self._chunks = chunks
        self._vectors = np.vstack(mats).astype(np.float32) if mats else np.zeros((0, 0), dtype=np.float32)
        self._bm25 = _Bm25(terms, k1=self._k1, b=self._b)
        self._dirty = False

    def search(
        self,
        query: str,
        query_vector: npt.NDArray[np.float32] | None,
        *,
        k: int = 5,
        dense_scores: Mapping[str, float] | None = None,
    ) -> list[Hit]:
        """The k best chunks for a query (query_vector: its L2-normalised embedding, or None for BM25 only).

        ``dense_scores`` (chunk id → cosine) replaces the in-memory dense ranking: the nearest chunks a vector index
        outside this process found (pgvector); chunks it left out count as cosine 0.
        """
        with self._lock:
            self._refresh()
            n = len(self._chunks)
            if n == 0 or k <= 0:
                return []
            lexical, coverage = self._bm25.scores(analyze(query))
            if dense_scores is not None:
                dense = np.array([dense_scores.get(c.chunk_id, 0.0) for c in self._chunks], dtype=np.float32)
            elif query_vector is not None and self._vectors.shape[0] == n and self._vectors.shape[1] > 0:
                dense = (self._vectors @ np.asarray(query_vector, dtype=np.float32).reshape(-1)).astype(np.float32)
            else:
                dense = np.zeros(n, dtype=np.float32)
            has_dense = dense_scores is not None or query_vector is not None
            fused = self._fuse(dense, lexical, has_dense=has_dense)
            top = _top(fused, k)
            return [
                Hit(self._chunks[i], float(fused[i]), float(dense[i]), float(lexical[i]), float(coverage[i]))
                for i in top
            ]

    def _fuse(
        self, dense: npt.NDArray[np.float32], lexical: npt.NDArray[np.float32], *, has_dense: bool
    ) -> npt.NDArray[np.float32]:
        if not has_dense:
            return lexical
        if self.fusion == "linear":
            top_lex = float(lexical.max())
            lex = lexical / top_lex if top_lex > 0 else lexical
            return (self.dense_weight * dense + (1.0 - self.dense_weight) * lex).astype(np.float32)
        fused = np.zeros_like(dense)
        m = min(self.candidates, len(dense))
        for scores, weight in ((dense, self.dense_weight), (lexical, 1.0 - self.dense_weight)):
            order = _top(scores, m)
            if scores is lexical:
                order = order[scores[order] > 0]
            fused[order] += 2.0 * weight / (self.rrf_k + 1.0 + np.arange(len(order), dtype=np.float32))
        # a tiny dense tie-breaker keeps rows outside both candidate lists ordered
        return (fused + 1e-6 * dense).astype(np.float32)


def _top(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")].astype(np.int64)
