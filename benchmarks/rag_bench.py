"""Retrieval benchmark on the SQuAD v1.1 dev slice: recall@1/5/10, answer containment, latency, ingestion speed.

Every paragraph of ``squad_contexts.jsonl`` becomes a document (its article title as heading); every question of
``squad_questions.dev.jsonl`` is a query; a hit is a passage of the gold ``context_id``.

    python benchmarks/rag_bench.py [--data /work/shared/data/eval] [--limit N] [--fusion rrf|linear]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["run"]

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _rag_dir(data_dir: Path) -> Path:
    for candidate in (data_dir / "rag", data_dir / "eval" / "rag", data_dir):
        if (candidate / "squad_contexts.jsonl").exists():
            return candidate
    raise FileNotFoundError(f"squad_contexts.jsonl not found under {data_dir}")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    from assistant.jsonl import read_jsonl  # lines end at "\n" only (U+2028 may sit inside a JSON string)

    return read_jsonl(path)


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").split())


def run(
    data_dir: Path | str = Path("/work/shared/data/eval"),
    *,
    limit: int | None = None,
    fusion: str | None = None,
    dense_weight: float | None = None,
) -> dict[str, Any]:
    """Index all contexts, query with the dev questions; returns the figures as a dict."""
    from assistant.config import EmbeddingsConfig, RagConfig
    from assistant.embeddings import create_embedder
    from assistant.rag import KnowledgeBase, MemoryKnowledgeRepository

    rag = _rag_dir(Path(data_dir))
    contexts = _read_jsonl(rag / "squad_contexts.jsonl")
    questions = _read_jsonl(rag / "squad_questions.dev.jsonl")
    if limit:
        questions = questions[:limit]
    overrides: dict[str, Any] = {}
    if fusion:
        overrides["fusion"] = fusion
    if dense_weight is not None:
        overrides["dense_weight"] = dense_weight
    cfg = RagConfig(**overrides)
    embedder = create_embedder(EmbeddingsConfig())
    embedder.embed(["warm up"])
    kb = KnowledgeBase(MemoryKnowledgeRepository(), embedder, cfg)

    docs = [
        (f"# {c['title'].replace('_', ' ')}\n\n{c['text']}\n".encode(), f"{c['context_id']}.md", "squad")
        for c in contexts
    ]
    started = time.perf_counter()
    for start in range(0, len(docs), 256):
        kb.ingest_many(docs[start : start + 256])
    ingest_s = time.perf_counter() - started
    chunks = kb.chunk_count

    ks = (1, 5, 10)
    hits = dict.fromkeys(ks, 0)
    contained = 0
    latencies: list[float] = []
    for q in questions:
        t0 = time.perf_counter()
        passages = kb.search(q["question"], k=10)
        latencies.append((time.perf_counter() - t0) * 1000.0)
        found = [p.document_id.removesuffix(".md") for p in passages]
        for k in ks:
            hits[k] += q["context_id"] in found[:k]
        if passages:
            top = _normalise(passages[0].text)
            contained += any(_normalise(a) in top for a in q["answers"])
    n = len(questions)
    latencies.sort()
    return {
        "questions": n,
        "contexts": len(contexts),
        "chunks": chunks,
        "fusion": cfg.fusion,
        "dense_weight": cfg.dense_weight,
        "recall@1": hits[1] / n,
        "recall@5": hits[5] / n,
        "recall@10": hits[10] / n,
        "answer_in_top_passage": contained / n,
        "p50_query_ms": statistics.median(latencies),
        "p95_query_ms": latencies[int(0.95 * (n - 1))],
        "ingest_seconds": ingest_s,
        "ingest_chunks_per_s": chunks / ingest_s if ingest_s else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry: print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/eval"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--fusion", choices=("rrf", "linear"), default=None)
    parser.add_argument("--dense-weight", type=float, default=None)
    args = parser.parse_args(argv)
    result = run(args.data, limit=args.limit, fusion=args.fusion, dense_weight=args.dense_weight)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
