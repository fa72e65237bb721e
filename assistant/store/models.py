"""SQLAlchemy 2 typed declarative models. Only the repositories in this package use them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "ActionModel",
    "Base",
    "ChunkModel",
    "ConfirmGuardModel",
    "ConversationModel",
    "ConversationStateModel",
    "DocumentModel",
    "LeaseModel",
    "PendingActionModel",
    "SkillRecordModel",
    "TurnModel",
    "UtcDateTime",
    "utcnow",
]


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware → naive UTC (naive values are taken as UTC)."""
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Naive UTC → aware UTC."""
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class ConversationModel(Base):
    """A conversation: an ordered list of turns."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(128), index=True)
    """Who the conversation belongs to (a browser session or signed-in user); None for the CLI and old rows."""

    turns: Mapped[list[TurnModel]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", passive_deletes=True, order_by="TurnModel.seq"
    )


class TurnModel(Base):
    """One user turn and everything the pipeline did with it."""

    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_turns_conversation_seq"),
        Index("ix_turns_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_text: Mapped[str] = mapped_column(Text, default="")
    input_kind: Mapped[str] = mapped_column(String(8), default="text")
    transcript: Mapped[str | None] = mapped_column(Text)
    asr_avg_logprob: Mapped[float | None] = mapped_column(Float)
    asr_no_speech_prob: Mapped[float | None] = mapped_column(Float)
    asr_confidence: Mapped[float | None] = mapped_column(Float)
    audio_duration_s: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(100))
    tier: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    targets: Mapped[list[Any]] = mapped_column(default=list)
    alternatives: Mapped[list[Any]] = mapped_column(default=list)
    clarification: Mapped[str | None] = mapped_column(Text)
    skill_id: Mapped[str | None] = mapped_column(String(100))
    reply: Mapped[str] = mapped_column(Text, default="")
    success: Mapped[bool] = mapped_column(Boolean, default=True)
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    sentiment_confidence: Mapped[float | None] = mapped_column(Float)
    sentiment_signals: Mapped[list[Any]] = mapped_column(default=list)
    policy_rule: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(64))
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, default=False)
    timings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    trace: Mapped[list[Any]] = mapped_column(default=list)
    citations: Mapped[list[Any]] = mapped_column(default=list)
    changes: Mapped[list[Any]] = mapped_column(default=list)

    conversation: Mapped[ConversationModel] = relationship(back_populates="turns")
    actions: Mapped[list[ActionModel]] = relationship(
        back_populates="turn", cascade="all, delete-orphan", passive_deletes=True, order_by="ActionModel.idx"
    )


class ActionModel(Base):
    """One device action of a turn and the adapter's result."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[str] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    idx: Mapped[int] = mapped_column(Integer, default=0)
    entity_id: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    error_code: Mapped[str | None] = mapped_column(String(64))
    confirmed_by_user: Mapped[bool] = mapped_column(Boolean, default=False)
    new_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    turn: Mapped[TurnModel] = relationship(back_populates="actions")


class PendingActionModel(Base):
    """A sensitive action waiting for its yes/no (shared by every worker on this database)."""

    __tablename__ = "pending_actions"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    pending_id: Mapped[str] = mapped_column(String(64), index=True)
    deadline: Mapped[float] = mapped_column(Float)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class SkillRecordModel(Base):
    """A skill's durable JSON record (a running timer, ...), shared by every worker on this database."""

    __tablename__ = "skill_records"

    skill_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationStateModel(Base):
    """What a conversation's dialogue remembers between turns (last action and targets, an open question), with a
    version every save increments, so each worker sees another's newer state."""

    __tablename__ = "conversation_state"

    conversation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeaseModel(Base):
    """Who may act on a shared thing until when (a due timer, a delayed command): a worker claims a lease row
    atomically, so exactly one of several workers fires each."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    lease_until: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConfirmGuardModel(Base):
    """The wrong-PIN back-off state (one row)."""

    __tablename__ = "confirm_guard"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[float] = mapped_column(Float, default=0.0)


class DocumentModel(Base):
    """A knowledge-base document (its chunks hold the text)."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(500), unique=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(1000), default="")
    content_hash: Mapped[str] = mapped_column(String(128), default="")
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    chunks: Mapped[list[ChunkModel]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True, order_by="ChunkModel.idx"
    )


class ChunkModel(Base):
    """A chunk of a document with its float32 embedding."""

    __tablename__ = "chunks"
    __table_args__ = (UniqueConstraint("document_id", "idx", name="uq_chunks_document_idx"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    idx: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_count: Mapped[int | None] = mapped_column(Integer)
    char_count: Mapped[int] = mapped_column(Integer, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    document: Mapped[DocumentModel] = relationship(back_populates="chunks")
