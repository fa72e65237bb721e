"""Plain frozen records the repositories return (never ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from assistant.store.jsonsafe import jsonable

__all__ = [
    "ChunkRow",
    "ConversationInfo",
    "ConversationSummary",
    "DocumentInfo",
    "FrustrationItem",
    "SentimentPoint",
    "StoreStats",
    "StoredAction",
    "StoredChunk",
    "StoredTurn",
    "TurnBrief",
]


@dataclass(frozen=True, slots=True)
class ConversationInfo:
    """A conversation's own fields."""

    id: str
    """Conversation id (uuid hex)."""
    title: str | None
    """Title (the first request, shortened, unless given)."""
    created_at: datetime
    """Creation time (UTC)."""
    updated_at: datetime
    """Time of the last turn (UTC)."""
    language: str | None = None
    """Pinned language, if any."""


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """A conversation in a list: its fields, turn count and last exchange."""

    id: str
    """Conversation id."""
    title: str | None
    """Title."""
    created_at: datetime
    """Creation time (UTC)."""
    updated_at: datetime
    """Time of the last turn (UTC)."""
    turn_count: int
    """Number of stored turns."""
    last_text: str | None
    """The last user text."""
    last_reply: str | None = None
    """The last reply."""
    language: str | None = None
    """Pinned language, if any."""


@dataclass(frozen=True, slots=True)
class StoredAction:
    """A stored device action."""

    id: int
    """Row id."""
    entity_id: str
    """Target entity."""
    service: str
    """Service, e.g. 'light.turn_on'."""
    data: dict[str, Any]
    """Service data."""
    success: bool
    """Whether the adapter confirmed."""
    error_code: str | None
    """Stable error code on failure."""
    confirmed_by_user: bool
    """Ran after an explicit confirmation."""
    new_state: dict[str, Any] | None
    """State after the action."""


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """A stored turn with its actions."""

    id: str
    """Turn id (the TurnResult's turn_id)."""
    conversation_id: str
    """Conversation id."""
    seq: int
    """Position in the conversation, from 1."""
    created_at: datetime
    """When the turn started (UTC)."""
    user_text: str
    """What the user typed or said."""
    input_kind: str
    """'text' or 'audio'."""
    reply: str
    """The assistant's reply."""
    success: bool
    """False when the turn failed or an action failed."""
    transcript: str | None = None
    """ASR text for audio turns."""
    asr_avg_logprob: float | None = None
    """Whisper mean log-probability."""
    asr_no_speech_prob: float | None = None
    """Whisper no-speech probability."""
    asr_confidence: float | None = None
    """0..1 ASR confidence."""
    audio_duration_s: float | None = None
    """Audio length."""
    language: str | None = None
    """Language of the turn."""
    intent: str | None = None
    """Intent name."""
    tier: str | None = None
    """Understanding tier."""
    confidence: float | None = None
    """Intent confidence."""
    slots: dict[str, Any] = field(default_factory=dict)
    """Slot values."""
    targets: list[Any] = field(default_factory=list)
    """Target entity ids."""
    alternatives: list[Any] = field(default_factory=list)
    """Alternative candidates."""
    clarification: str | None = None
    """The clarification question, if one was asked."""
    skill_id: str | None = None
    """Skill that handled it."""
    sentiment_label: str | None = None
    """negative / neutral / positive."""
    sentiment_score: float | None = None
    """Polarity in [-1, 1]."""
    sentiment_confidence: float | None = None
    """Sentiment confidence."""
    sentiment_signals: list[Any] = field(default_factory=list)
    """Reasons for the sentiment."""
    policy_rule: str | None = None
    """Response-policy rule that shaped the reply."""
    error_code: str | None = None
    """Stable error code of the turn."""
    needs_confirmation: bool = False
    """The reply asked for a yes/no."""
    timings: dict[str, Any] = field(default_factory=dict)
    """Per-stage durations (ms)."""
    trace: list[Any] = field(default_factory=list)
    """The pipeline events (reply tokens left out)."""
    citations: list[Any] = field(default_factory=list)
    """Knowledge-base passages cited."""
    changes: list[Any] = field(default_factory=list)
    """State changes caused by the turn."""
    actions: tuple[StoredAction, ...] = ()
    """Device actions."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        out: dict[str, Any] = jsonable(self)
        return out


class TurnBrief(NamedTuple):
    """The few fields of a past turn that the reply policy looks at (read without the trace or actions)."""

    user_text: str
    """What the user said."""
    intent: str | None
    """The intent it was understood as."""
    success: bool
    """Whether the turn did what was asked."""
    error_code: str | None
    """Stable error code when it failed."""
    sentiment_score: float | None
    """Polarity of that user turn."""
    targets: tuple[str, ...] = ()
    """Entities the turn's request was about (the same action on the same targets is a repeat)."""


class SentimentPoint(NamedTuple):
    """One point of a conversation's sentiment series."""

    seq: int
    """Turn position."""
    created_at: datetime
    """Turn time (UTC)."""
    score: float
    """Polarity in [-1, 1]."""
    label: str
    """negative / neutral / positive."""


@dataclass(frozen=True, slots=True)
class FrustrationItem:
    """A request that was often followed by a frustrated turn."""

    intent: str | None
    """Intent of the request."""
    text: str
    """The request text (normalised: case-folded, spaces collapsed)."""
    frustrated: int
    """How often the next turn was frustrated."""
    occurrences: int
    """How often the request was made (with a following turn)."""
    failed: int
    """How often the request itself failed."""
    last_at: datetime | None = None
    """Last time it was followed by frustration."""
    example_turn_ids: tuple[str, ...] = ()
    """Up to three turn ids of the request, newest first."""

    @property
    def rate(self) -> float:
        """Share of the request's occurrences followed by frustration."""
        return self.frustrated / self.occurrences if self.occurrences else 0.0


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counts for the history view and the settings page."""

    conversations: int
    """Number of conversations."""
    turns: int
    """Number of turns."""
    actions: int
    """Number of device actions."""
    failed_turns: int
    """Turns with an error or a failed action."""
    documents: int
    """Knowledge-base documents."""
    chunks: int
    """Knowledge-base chunks."""
    sentiment: dict[str, int] = field(default_factory=dict)
    """Turn count per sentiment label."""
    tiers: dict[str, int] = field(default_factory=dict)
    """Turn count per understanding tier."""
    size_bytes: int = 0
    """Database file size (with the WAL)."""


@dataclass(frozen=True, slots=True)
class ChunkRow:
    """A chunk to store (input to ``KnowledgeRepository.replace_chunks``)."""

    idx: int
    """Index inside the document."""
    text: str
    """Chunk text."""
    embedding: bytes | None = None
    """float32 embedding bytes."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Extra facts (page, heading, offsets)."""
    token_count: int | None = None
    """Token count, when the chunker knows it."""


@dataclass(frozen=True, slots=True)
class StoredChunk:
    """A stored chunk with its document's name and title."""

    id: int
    """Chunk row id (unique in the knowledge base)."""
    document_id: str
    """Document id."""
    document_name: str
    """Document name (unique)."""
    title: str
    """Document title."""
    idx: int
    """Index inside the document."""
    text: str
    """Chunk text."""
    embedding: bytes | None
    """float32 embedding bytes."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Chunk meta."""
    token_count: int | None = None
    """Token count, when known."""


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A knowledge-base document with its chunk count."""

    id: str
    """Document id."""
    name: str
    """Unique name (path or upload name)."""
    title: str
    """Title."""
    source: str
    """Where it came from."""
    content_hash: str
    """Hash of the content (skip re-ingesting unchanged files)."""
    size_bytes: int | None
    """Original size."""
    created_at: datetime
    """First ingest (UTC)."""
    updated_at: datetime
    """Last ingest (UTC)."""
    chunk_count: int = 0
    """Number of chunks."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Extra facts."""
