"""The knowledge base (RAG): document loading, chunking, hybrid BM25 + dense retrieval and cited answers."""

from __future__ import annotations

from assistant.rag.answer import DONT_KNOW, KbAnswer, extractive_answer, llm_answer
from assistant.rag.kb import BatchIngestReport, DocumentOrigin, IngestReport, KnowledgeBase, Progress, document_origin
from assistant.rag.loaders import SUPPORTED_SUFFIXES, LoadedDocument, load_document
from assistant.rag.repository import KnowledgeStore, MemoryKnowledgeRepository

__all__ = [
    "DONT_KNOW",
    "SUPPORTED_SUFFIXES",
    "BatchIngestReport",
    "DocumentOrigin",
    "IngestReport",
    "KbAnswer",
    "KnowledgeBase",
    "KnowledgeStore",
    "LoadedDocument",
    "MemoryKnowledgeRepository",
    "Progress",
    "document_origin",
    "extractive_answer",
    "llm_answer",
    "load_document",
]
