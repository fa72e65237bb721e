"""The conversation and knowledge store: SQLite (WAL) through SQLAlchemy 2, migrated with Alembic on open.

Only the repositories touch sessions; they return plain frozen records (never ORM objects).
"""

from __future__ import annotations

from assistant.store.conversations import ConversationRepository
from assistant.store.database import DEFAULT_FILENAME, Database
from assistant.store.knowledge import KnowledgeRepository
from assistant.store.pending import PendingRepository
from assistant.store.records import (
    ChunkRow,
    ConversationInfo,
    ConversationSummary,
    DocumentInfo,
    FrustrationItem,
    SentimentPoint,
    StoredAction,
    StoredChunk,
    StoredTurn,
    StoreStats,
)

__all__ = [
    "DEFAULT_FILENAME",
    "ChunkRow",
    "ConversationInfo",
    "ConversationRepository",
    "ConversationSummary",
    "Database",
    "DocumentInfo",
    "FrustrationItem",
    "KnowledgeRepository",
    "PendingRepository",
    "SentimentPoint",
    "StoreStats",
    "StoredAction",
    "StoredChunk",
    "StoredTurn",
]
