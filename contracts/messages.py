"""The typed messages that pass between pipeline stages.

This module imports nothing of ours: ``skills`` and ``devices`` depend on it, and it depends on nobody.
Every message is a frozen dataclass; untyped payloads (LLM JSON, Gradio values, MQTT messages) are converted
into these at the edge, once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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


class ErrorCode(StrEnum):
    """Stable error codes. The user sees a sentence; the store and trace keep the code."""

    # input
    INPUT_EMPTY = "input-empty"
    INPUT_TOO_LONG = "input-too-long"
    INPUT_INVALID = "input-invalid"
    # speech recognition
    ASR_EMPTY = "asr-empty-audio"
    ASR_UNREADABLE = "asr-unreadable-audio"
    ASR_TOO_LONG = "asr-too-long"
    ASR_NO_SPEECH = "asr-no-speech"
    ASR_LOW_CONFIDENCE = "asr-low-confidence"
    ASR_UNAVAILABLE = "asr-unavailable"
    # speech synthesis
    TTS_UNAVAILABLE = "tts-unavailable"
    # understanding
    NLU_NO_MATCH = "nlu-no-match"
    NLU_AMBIGUOUS = "nlu-ambiguous"
    # confirmation of sensitive actions
    CONFIRM_REQUIRED = "confirm-required"
    CONFIRM_NOT_PENDING = "confirm-not-pending"
    CONFIRM_EXPIRED = "confirm-expired"
    CONFIRM_WRONG_PIN = "confirm-wrong-pin"
    CONFIRM_LOCKED = "confirm-locked"
    # devices
    DEVICE_UNKNOWN = "device-unknown"
    DEVICE_UNAVAILABLE = "device-unavailable"
    DEVICE_UNSUPPORTED = "device-unsupported"
    DEVICE_INVALID_PARAMS = "device-invalid-params"
    DEVICE_READ_ONLY = "device-read-only"
    DEVICE_NOT_CONFIRMED = "device-not-confirmed"
    DEVICE_TIMEOUT = "device-timeout"
    HOME_INVALID = "home-invalid"
    # skills
    SKILL_FAILED = "skill-failed"
    SKILL_TIMEOUT = "skill-timeout"
    SKILL_NOT_FOUND = "skill-not-found"
    SKILL_LOAD_FAILED = "skill-load-failed"
    SKILL_CONFLICT = "skill-conflict"
    PERMISSION_DENIED = "permission-denied"
    TIMER_NOT_FOUND = "timer-not-found"
    TIMER_INVALID = "timer-invalid"
    # knowledge base
    KB_UNSUPPORTED_FORMAT = "kb-unsupported-format"
    KB_CORRUPT_DOCUMENT = "kb-corrupt-document"
    KB_TOO_LARGE = "kb-too-large"
    KB_EMPTY_DOCUMENT = "kb-empty-document"
    KB_NOT_FOUND = "kb-not-found"
    # models
    LLM_UNAVAILABLE = "llm-unavailable"
    MODEL_UNAVAILABLE = "model-unavailable"
    # configuration and storage
    CONFIG_INVALID = "config-invalid"
    STORE_LOCKED = "store-locked"
    STORE_UNAVAILABLE = "store-unavailable"
    STORE_FULL = "store-full"
    CONVERSATION_NOT_FOUND = "conversation-not-found"
    CONVERSATION_FORBIDDEN = "conversation-forbidden"
    CONVERSATION_CONFLICT = "conversation-conflict"
    CONVERSATION_BUSY = "conversation-busy"
    AUTH_INVALID = "auth-invalid"
    AUTH_THROTTLED = "auth-throttled"
    INTERNAL = "internal-error"


class AssistantError(Exception):
    """An error with a stable code and a sentence a user can read."""

    def __init__(self, code: ErrorCode | str, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = ErrorCode(code)
        """The stable error code."""
        self.message = message
        """A sentence for the user."""
        self.details: dict[str, Any] = dict(details or {})
        """Extra machine-readable facts (the bad key, the file, the entity id)."""


class Stage(StrEnum):
    """Pipeline stages, in order."""

    ASR = "asr"
    SENTIMENT = "sentiment"
    NLU = "nlu"
    DIALOGUE = "dialogue"
    SKILL = "skill"
    REPLY = "reply"
    TTS = "tts"


class EventType(StrEnum):
    """Events on the pipeline's stream."""

    RUN_START = "run-start"
    ASR_START = "asr-start"
    ASR_PARTIAL = "asr-partial"
    ASR_END = "asr-end"
    SENTIMENT_END = "sentiment-end"
    INTENT_START = "intent-start"
    INTENT_END = "intent-end"
    DIALOGUE_END = "dialogue-end"
    SKILL_START = "skill-start"
    SKILL_END = "skill-end"
    REPLY_TOKEN = "reply-token"
    REPLY_END = "reply-end"
    TTS_START = "tts-start"
    TTS_END = "tts-end"
    STATE_CHANGED = "state-changed"
    ANNOUNCEMENT = "announcement"
    ERROR = "error"
    RUN_END = "run-end"


class Tier(StrEnum):
    """Which understanding tier decided."""

    TEMPLATE = "template"
    SEMANTIC = "semantic"
    LLM = "llm"
    DIALOGUE = "dialogue"
    NONE = "none"


class SentimentLabel(StrEnum):
    """Three-class sentiment."""

    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


@dataclass(frozen=True, slots=True)
class Transcript:
    """What speech recognition heard."""

    text: str
    """The recognised text, stripped."""
    language: str = "en"
    """ISO 639-1 language code."""
    avg_logprob: float = 0.0
    """Mean token log-probability over segments (Whisper); 0.0 for typed text."""
    no_speech_prob: float = 0.0
    """Probability that the audio holds no speech."""
    confidence: float = 1.0
    """A 0..1 confidence derived from the two above."""
    duration_s: float = 0.0
    """Audio duration in seconds."""
    is_final: bool = True
    """False for partial transcripts while streaming."""


@dataclass(frozen=True, slots=True)
class Sentiment:
    """Sentiment of one user turn."""

    label: SentimentLabel
    """negative / neutral / positive."""
    score: float
    """Polarity in [-1, 1]."""
    confidence: float
    """0..1."""
    signals: tuple[str, ...] = ()
    """Human-readable reasons (lexicon hits, patterns) for the trace."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One alternative an understanding tier considered."""

    intent: str
    """Intent name (Home Assistant's names for device intents)."""
    targets: tuple[str, ...] = ()
    """Entity ids."""
    slots: Mapping[str, Any] = field(default_factory=dict)
    """Slot values."""
    score: float = 0.0
    """Score in 0..1."""
    description: str = ""
    """A short verbalisation, e.g. 'Turn on Kitchen Light'."""


@dataclass(frozen=True, slots=True)
class IntentMatch:
    """What an understanding tier decided. Every tier returns this."""

    intent: str
    """Intent name, e.g. HassTurnOn, HassLightSet, FaqAsk, GenerateText; 'Unknown' if nothing matched."""
    slots: Mapping[str, Any] = field(default_factory=dict)
    """Slot values as in Home Assistant's tests (name, area, domain, brightness, temperature, ...)."""
    targets: tuple[str, ...] = ()
    """Resolved entity ids the action applies to."""
    tier: Tier = Tier.NONE
    """The tier that decided."""
    confidence: float = 0.0
    """Calibrated confidence in 0..1."""
    alternatives: tuple[Candidate, ...] = ()
    """Other candidates, best first."""
    skill_id: str | None = None
    """Skill that owns the intent."""
    text: str = ""
    """The (normalised) request text this match is for."""
    clarification: str | None = None
    """A question to ask instead of acting (ambiguity)."""


@dataclass(frozen=True, slots=True)
class Action:
    """One device action and what the adapter reported."""

    entity_id: str
    """Target entity."""
    service: str
    """Home Assistant service, e.g. 'light.turn_on'."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """Service data (brightness, temperature, ...)."""
    success: bool = False
    """True only when the adapter confirmed."""
    error_code: str | None = None
    """Stable error code when it failed."""
    confirmed_by_user: bool = False
    """True when a sensitive action ran after an explicit confirmation."""
    new_state: Mapping[str, Any] | None = None
    """State after the action, as the adapter reported it."""
    assumed: bool = False
    """True when the adapter sent the command but cannot confirm it (no state feedback): the state is assumed."""


@dataclass(frozen=True, slots=True)
class StateChange:
    """An entity's state changed (from an action or an adapter event)."""

    entity_id: str
    """Entity."""
    old_state: Mapping[str, Any] | None
    """{'state': ..., 'attributes': {...}} before, if known."""
    new_state: Mapping[str, Any]
    """{'state': ..., 'attributes': {...}} after."""
    source: str = "adapter"
    """Who reported it."""


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved knowledge-base chunk."""

    document_id: str
    """Document identifier (path or upload name)."""
    chunk_id: str
    """Chunk identifier, unique in the knowledge base."""
    text: str
    """Chunk text (data, never instructions)."""
    score: float
    """Fused relevance score."""
    title: str = ""
    """Document title."""
    chunk_index: int = 0
    """Index of the chunk inside its document."""


@dataclass(frozen=True, slots=True)
class SkillResult:
    """What a skill handler returns."""

    text: str
    """The reply text."""
    success: bool = True
    """False when the skill could not do what was asked."""
    actions: tuple[Action, ...] = ()
    """Device actions performed (with adapter results)."""
    error_code: str | None = None
    """Stable error code when success is False."""
    needs_confirmation: bool = False
    """True when the reply asks the user to confirm a pending action."""
    citations: tuple[Passage, ...] = ()
    """Knowledge-base passages the reply cites."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """Extra structured data for the UI."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One user input."""

    text: str | None = None
    """Typed text (None for audio)."""
    audio: bytes | None = None
    """Audio bytes in any common format (None for text)."""
    conversation_id: str | None = None
    """Conversation; a new one is created when None."""
    area: str | None = None
    """The speaker's area (id or name) for 'in here'."""
    language: str | None = None
    """Requested language; None = configured default."""
    owner: str | None = None
    """Who speaks (the browser session or signed-in user); a conversation of another owner is refused."""
    confirm_id: str | None = None
    """Set when the turn answers one specific pending confirmation (a Yes/No button): a stale id is refused."""
    pin: str | None = None
    """A PIN typed beside the answer (a PIN box); checked, never stored."""
    request_id: str | None = None
    """The client's id for this request: it becomes the turn id, so a retry (after a worker died) replaces the stored
    turn instead of adding a second one."""


@dataclass(frozen=True, slots=True)
class PipelineEvent:
    """One event on the pipeline stream. Every event carries its timing."""

    type: EventType
    """What happened."""
    stage: Stage | None = None
    """The stage it belongs to."""
    run_id: str = ""
    """The turn (run) id."""
    conversation_id: str = ""
    """The conversation id."""
    timestamp: float = field(default_factory=time.time)
    """Wall-clock time of the event."""
    elapsed_ms: float = 0.0
    """Milliseconds since the run started."""
    duration_ms: float | None = None
    """Stage duration, on *-end events."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """Event payload (JSON-serialisable)."""


@dataclass(frozen=True, slots=True)
class TurnResult:
    """The outcome of one turn, as the API, CLI and UI see it."""

    turn_id: str
    """Stored turn id."""
    conversation_id: str
    """Conversation id."""
    text: str
    """The user's text (typed, or transcribed)."""
    reply: str
    """The assistant's reply."""
    transcript: Transcript | None = None
    """ASR result for audio turns."""
    intent: IntentMatch | None = None
    """Understanding result."""
    sentiment: Sentiment | None = None
    """Sentiment of the user's turn."""
    skill_id: str | None = None
    """The skill that handled it."""
    actions: tuple[Action, ...] = ()
    """Device actions with adapter results."""
    changes: tuple[StateChange, ...] = ()
    """State changes caused by this turn."""
    needs_confirmation: bool = False
    """True when the assistant waits for a yes/no."""
    citations: tuple[Passage, ...] = ()
    """Knowledge-base sources of the reply."""
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    """Per-stage durations in ms (asr, sentiment, nlu, dialogue, skill, reply, tts, total)."""
    error: str | None = None
    """Stable error code when the turn failed."""
    events: tuple[PipelineEvent, ...] = ()
    """The turn's trace."""
    audio: bytes | None = None
    """Spoken reply as WAV bytes, when TTS ran."""
