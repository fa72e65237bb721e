"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.messages``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.messages import (
    Action,
    AssistantError,
    Candidate,
    ErrorCode,
    EventType,
    IntentMatch,
    Passage,
    PipelineEvent,
    Sentiment,
    SentimentLabel,
    SkillResult,
    Stage,
    StateChange,
    Tier,
    Transcript,
    Turn,
    TurnResult,
)

__all__ = [
    "Action",
    "AssistantError",
    "Candidate",
    "ErrorCode",
    "EventType",
    "IntentMatch",
    "Passage",
    "PipelineEvent",
    "Sentiment",
    "SentimentLabel",
    "SkillResult",
    "Stage",
    "StateChange",
    "Tier",
    "Transcript",
    "Turn",
    "TurnResult",
]
