"""The knowledge base (RAG): document loading, chunking, hybrid BM25 + dense retrieval. It only retrieves: answers
are composed by the FAQ skill (``skills/faq/answer.py``)."""

from __future__ import annotations

from assistant.rag.kb import BatchIngestReport, DocumentOrigin, IngestReport, KnowledgeBase, Progress, document_origin
from assistant.rag.loaders import SUPPORTED_SUFFIXES, LoadedDocument, load_document
from assistant.rag.repository import KnowledgeStore, MemoryKnowledgeRepository

__all__ = [
    "SUPPORTED_SUFFIXES",
    "BatchIngestReport",
    "DocumentOrigin",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeStore",
    "LoadedDocument",
    "MemoryKnowledgeRepository",
    "Progress",
    "document_origin",
    "load_document",
]
