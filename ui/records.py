"""Typed view records: what the tabs and the formatters read from engine records, converted once, here.

Engine records reach the UI in two shapes: dataclasses from the engine (``TurnResult``, ``Passage``, ``Entity``...)
and mappings from the store, the fakes and the JSON API. Each kind is converted here, once, by its record's
``from_any`` into a frozen, typed view record, and the formatters in ``ui.views`` and ``ui.dashboard`` read those
records only: the dict-or-object access lives in this module alone (``field``). ``from_any`` hands back a record it
is given unchanged, so a public formatter may take either and convert at its entry.

A field keeps the engine's value as the formatters print it (``None`` where the record lacks it, unless the field's
docstring names another default); each formatter still escapes what it shows.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "ActionView",
    "AreaView",
    "CandidateView",
    "ClarificationView",
    "ControlOutcomeView",
    "ConversationView",
    "DocumentView",
    "EntityView",
    "FloorView",
    "HeldControl",
    "IngestView",
    "IntentView",
    "LoadErrorView",
    "PassageView",
    "PendingView",
    "SentimentPointView",
    "SentimentView",
    "StoredTurnView",
    "TranscriptView",
    "TurnResultView",
    "field",
    "value_of",
]


def field(obj: Any, name: str, default: Any = None) -> Any:
    """A field of a record, whether a mapping or an object (the one dict-or-object read of the UI)."""
    return obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)


def value_of(obj: Any) -> Any:
    """An enum's value, else the object."""
    return getattr(obj, "value", obj)


_ABSENT: Any = object()
"""A field the record does not have (told apart from one that is None)."""


_View = TypeVar("_View", bound="DataclassInstance")


def _read(cls: type[_View], obj: Any, /, defaults: Mapping[str, Any] | None = None, **values: Any) -> _View:
    """A ``cls`` with each of its fields read from ``obj`` under the field's name (``field``: its entry in
    ``defaults`` where ``obj`` lacks it, else None), but those given in ``values`` (a field a record converts, or
    reads under another name)."""
    defaults = defaults or {}
    read = {f.name: field(obj, f.name, defaults.get(f.name)) for f in dataclasses.fields(cls) if f.name not in values}
    return cls(**read, **values)


def _optional(cls: type[Any], obj: Any) -> Any:
    """``obj`` converted by ``cls.from_any``, None for None."""
    return None if obj is None else cls.from_any(obj)


def _all(cls: type[Any], items: Any) -> tuple[Any, ...]:
    """Each of ``items`` (``None`` reads as none) converted by ``cls.from_any``."""
    return tuple(cls.from_any(i) for i in items or ())


def _texts(items: Any) -> tuple[str, ...]:
    return tuple(str(i) for i in items or ())


# ---------------------------------------------------------------------------------------------- knowledge


@dataclass(frozen=True, slots=True)
class PassageView:
    """A knowledge-base passage: a turn's citation or a search hit (``contracts.messages.Passage``)."""

    document: str
    """The document's id (``document_id``, else the older ``document``), "" when neither."""
    document_id: Any
    """The ``document_id`` field alone (what a search hit shows without a title)."""
    title: Any
    """The document's title."""
    chunk: Any
    """The passage number a citation shows (``chunk_index``, else the older ``chunk``)."""
    score: Any
    """The score a citation shows (``None`` when it has none)."""
    ranked_chunk: Any
    """The passage number a search hit shows (``chunk_index``, 0 when absent)."""
    ranked_score: Any
    """The score a search hit shows (0.0 when absent)."""
    text: Any
    """The passage's text ("" when absent)."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        index = field(obj, "chunk_index", None)
        return _read(
            cls,
            obj,
            defaults={"text": ""},
            document=field(obj, "document_id") or field(obj, "document") or "",
            chunk=field(obj, "chunk", None) if index is None else index,
            ranked_chunk=field(obj, "chunk_index", 0),
            ranked_score=field(obj, "score", 0.0),
        )


@dataclass(frozen=True, slots=True)
class DocumentView:
    """A stored document (``assistant.store.records.DocumentInfo``)."""

    id: Any
    """Its id in the store."""
    name: Any
    """Its file name."""
    title: Any
    """Its title, if it has one."""
    chunk_count: Any
    """Passages (0 when absent)."""
    size_bytes: Any
    """Its size in bytes."""
    updated_at: Any
    """When it was last (re)ingested."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        return _read(cls, obj, defaults={"chunk_count": 0})


@dataclass(frozen=True, slots=True)
class IngestView:
    """What the upload of one file did (``assistant.rag.kb.IngestReport``)."""

    name: Any
    """The uploaded file's name."""
    status: Any
    """'ingested', 'unchanged' or 'failed'."""
    error_code: Any
    """Why it failed, if it did."""
    message: Any
    """What went wrong, in words."""
    chunks: Any
    """Passages stored (0 when absent)."""
    document_name: Any
    """The name it is stored under."""
    seconds: Any
    """How long it took (0.0 when absent)."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        return _read(cls, obj, defaults={"chunks": 0, "seconds": 0.0})


# ---------------------------------------------------------------------------------------------- turns


@dataclass(frozen=True, slots=True)
class CandidateView:
    """An alternative reading of a request (``contracts.messages.Candidate``), as a clarification offers it."""

    description: Any
    """The candidate in words ('Turn on the Kitchen Light')."""
    name: str
    """Its description, else its intent, else the record as text."""
    targets: tuple[str, ...]
    """The entities it would act on."""
    score: Any
    """Its score (0.0 when absent)."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        description = field(obj, "description")
        return _read(
            cls,
            obj,
            defaults={"score": 0.0},
            description=description,
            name=str(description or field(obj, "intent") or str(obj)),
            targets=_texts(field(obj, "targets")),
        )


@dataclass(frozen=True, slots=True)
class ActionView:
    """A device action a turn or a control ran (``contracts.messages.Action`` or a stored action)."""

    entity_id: Any
    """Target entity ("" when absent)."""
    service: Any
    """Service called ("" when absent)."""
    data: Any
    """Service data."""
    success: Any
    """Whether the adapter confirmed it (False when absent)."""
    error_code: Any
    """Why it failed, if it did."""
    confirmed_by_user: Any
    """Whether it ran after a confirmation (False when absent)."""
    new_state: Any
    """The entity's state record after it."""
    new_state_value: Any
    """The ``state`` of ``new_state`` (None without one)."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        new_state = field(obj, "new_state")
        return _read(
            cls,
            obj,
            defaults={"entity_id": "", "service": "", "success": False, "confirmed_by_user": False},
            new_state=new_state,
            new_state_value=field(new_state or {}, "state"),
        )


@dataclass(frozen=True, slots=True)
class TranscriptView:
    """What speech recognition heard (``contracts.messages.Transcript``)."""

    text: Any
    """The text heard."""
    confidence: Any
    """How sure the recogniser was (0..1)."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        return _read(cls, obj)


@dataclass(frozen=True, slots=True)
class SentimentView:
    """A turn's sentiment (``contracts.messages.Sentiment``)."""

    label: Any
    """negative / neutral / positive (maybe an enum)."""
    score: Any
    """Polarity."""
    signals: tuple[Any, ...]
    """The reasons for the label."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        return _read(cls, obj, signals=tuple(field(obj, "signals") or ()))


@dataclass(frozen=True, slots=True)
class IntentView:
    """What understanding made of a request (``contracts.messages.IntentMatch``)."""

    intent: Any
    """The intent's name."""
    tier: Any
    """Which tier understood it (maybe an enum)."""
    confidence: Any
    """How sure it was."""
    slots: Any
    """The slots it filled."""
    targets: tuple[Any, ...]
    """The entities it acts on."""
    alternatives: tuple[CandidateView, ...]
    """The other readings it considered."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        return _read(
            cls,
            obj,
            targets=tuple(field(obj, "targets") or ()),
            alternatives=_all(CandidateView, field(obj, "alternatives")),
        )


@dataclass(frozen=True, slots=True)
class ClarificationView:
    """What makes a turn a clarification ('Which light do you mean?'): its code and the candidates it offers."""

    code: str
    """The turn's error code (``error``, else ``error_code``; 'nlu-ambiguous' for a clarification), else ""."""
    choices: tuple[CandidateView, ...]
    """Its intent's alternatives, else the turn's own."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        error = field(obj, "error") or field(obj, "error_code")
        intent = field(obj, "intent")
        alternatives = field(intent, "alternatives") if intent is not None and not isinstance(intent, str) else None
        if alternatives is None:
            alternatives = field(obj, "alternatives")
        return cls(code=str(value_of(error or "")), choices=_all(CandidateView, alternatives))


@dataclass(frozen=True, slots=True)
class TurnResultView:
    """A live turn (``contracts.messages.TurnResult``)."""

    turn_id: Any
    """The turn's id ("" when absent)."""
    text: Any
    """What the user said ("" when absent)."""
    reply: Any
    """The assistant's reply ("" when absent)."""
    transcript: TranscriptView | None
    """What was heard (None for typed text)."""
    intent: IntentView | None
    """What was understood."""
    sentiment: SentimentView | None
    """How the request sounded."""
    skill_id: Any
    """The skill that answered."""
    actions: tuple[ActionView, ...]
    """The device actions it ran."""
    citations: tuple[PassageView, ...]
    """The passages the reply cites."""
    timings_ms: Any
    """Milliseconds per stage, as given."""
    error: Any
    """Its error code, if any."""
    needs_confirmation: Any
    """Whether the reply asked yes/no (False when absent)."""
    clarification: ClarificationView
    """Whether it asks which one, and the choices."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        return _read(
            cls,
            obj,
            defaults={"turn_id": "", "text": "", "reply": "", "needs_confirmation": False},
            transcript=_optional(TranscriptView, field(obj, "transcript")),
            intent=_optional(IntentView, field(obj, "intent")),
            sentiment=_optional(SentimentView, field(obj, "sentiment")),
            actions=_all(ActionView, field(obj, "actions")),
            citations=_all(PassageView, field(obj, "citations")),
            clarification=ClarificationView.from_any(obj),
        )


@dataclass(frozen=True, slots=True)
class StoredTurnView:
    """A stored turn (``assistant.store.records.StoredTurn``)."""

    id: Any
    """Its id, as given."""
    trace_id: str
    """Its id for the trace ("" when absent)."""
    conversation_id: Any
    """The conversation's id ("" when absent)."""
    seq: Any
    """Its number in the conversation (None when absent)."""
    has_seq: bool
    """Whether the record has a ``seq`` field at all."""
    created_at: Any
    """When it was stored."""
    user_text: Any
    """What the user typed or said ("" when absent)."""
    input_kind: Any
    """'text' or 'audio' ('text' when absent)."""
    reply: Any
    """The assistant's reply ("" when absent)."""
    transcript: Any
    """ASR text."""
    asr_confidence: Any
    """How sure the recogniser was."""
    intent: Any
    """The intent's name."""
    tier: Any
    """Which tier understood it."""
    confidence: Any
    """How sure understanding was."""
    slots: Any
    """The slots it filled."""
    targets: tuple[str, ...]
    """The entities it acted on."""
    alternatives: tuple[CandidateView, ...]
    """The other readings it considered."""
    skill_id: Any
    """The skill that answered."""
    sentiment_label: Any
    """negative / neutral / positive."""
    sentiment_score: Any
    """Polarity."""
    sentiment_signals: tuple[str, ...]
    """The reasons for the label."""
    error_code: Any
    """Its error code, if any."""
    needs_confirmation: Any
    """Whether the reply asked yes/no (False when absent)."""
    timings: Any
    """Milliseconds per stage, as stored."""
    citations: tuple[PassageView, ...]
    """The passages the reply cited."""
    actions: tuple[ActionView, ...]
    """The device actions it ran."""
    clarification: ClarificationView
    """Whether it asks which one, and the choices."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        seq = field(obj, "seq", _ABSENT)
        return _read(
            cls,
            obj,
            defaults={
                "conversation_id": "",
                "user_text": "",
                "input_kind": "text",
                "reply": "",
                "needs_confirmation": False,
            },
            trace_id=str(field(obj, "id", "")),
            seq=None if seq is _ABSENT else seq,
            has_seq=seq is not _ABSENT,
            targets=_texts(field(obj, "targets")),
            alternatives=_all(CandidateView, field(obj, "alternatives")),
            sentiment_signals=_texts(field(obj, "sentiment_signals")),
            citations=_all(PassageView, field(obj, "citations")),
            actions=_all(ActionView, field(obj, "actions")),
            clarification=ClarificationView.from_any(obj),
        )


@dataclass(frozen=True, slots=True)
class SentimentPointView:
    """One point of a conversation's sentiment series (``SentimentPoint`` or a plain ``(seq, ..., score, label)``)."""

    seq: Any
    """The turn's number."""
    score: Any
    """Polarity."""
    label: Any
    """negative / neutral / positive."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
            return cls(seq=obj[0], score=obj[-2], label=obj[-1])
        return _read(cls, obj)


@dataclass(frozen=True, slots=True)
class ConversationView:
    """A conversation in the switcher (``assistant.store.records.ConversationSummary``)."""

    id: Any
    """Its id."""
    title: Any
    """Its title, if it has one."""
    last_text: Any
    """What the user said last."""
    updated_at: Any
    """When it last changed."""
    turn_count: Any
    """How many turns it has."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        return _read(cls, obj)


@dataclass(frozen=True, slots=True)
class LoadErrorView:
    """A skill that failed to load (``skills.registry.SkillLoadError``)."""

    skill: Any
    """Which skill: its id, else its source, else its name."""
    code: Any
    """Its error code."""
    message: Any
    """The message, else the record as text."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        return _read(
            cls,
            obj,
            skill=field(obj, "skill_id") or field(obj, "source") or field(obj, "name") or "",
            message=field(obj, "message") or str(obj),
        )


# ---------------------------------------------------------------------------------------------- home


@dataclass(frozen=True, slots=True)
class EntityView:
    """A device's entity (``contracts.home.Entity``)."""

    entity_id: Any
    """As given (None when absent)."""
    domain: str
    """The part of the entity id before the dot ("" without an id)."""
    name: Any
    """Its friendly name."""
    state: str
    """Its state ("" when absent or empty)."""
    attributes: Mapping[str, Any]
    """Its attributes ({} when none)."""
    area_id: Any
    """The room it is in."""
    services: frozenset[str]
    """The services it supports ('light.turn_on' ...)."""
    device_class_raw: str
    """Its device class (or the ``device_class`` attribute) as given, "" when none."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        attributes = field(obj, "attributes") or {}
        return _read(
            cls,
            obj,
            domain=str(field(obj, "entity_id", "")).split(".", 1)[0],
            state=str(field(obj, "state", "") or ""),
            attributes=attributes,
            services=frozenset(str(s) for s in (field(obj, "services") or ())),
            device_class_raw=str(field(obj, "device_class") or attributes.get("device_class") or ""),
        )


@dataclass(frozen=True, slots=True)
class AreaView:
    """A room (``contracts.home.Area``)."""

    id: Any
    """Its id."""
    name: Any
    """Its name."""
    floor_id: Any
    """The floor it is on."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        return _read(cls, obj)


@dataclass(frozen=True, slots=True)
class FloorView:
    """A floor (``contracts.home.Floor``)."""

    id: Any
    """Its id."""
    name: Any
    """Its name."""
    level: Any
    """Its level (0 = ground), if known."""

    @classmethod
    def from_any(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        return _read(cls, obj)


@dataclass(frozen=True)
class PendingView:
    """A confirmation the engine holds (a sensitive action waiting for Yes, maybe a PIN)."""

    id: str
    """The id the Yes/Confirm press answers (``str`` of the engine's id)."""
    needs_pin: bool
    """Whether the PIN box is shown."""
    expires_at: float | None
    """When the engine drops it (epoch seconds), if it said."""
    question: Any = None
    """The question it asks ('Unlock the front door?')."""
    expires_raw: Any = None
    """``expires_at`` as the engine gave it."""

    @classmethod
    def of(cls, pending: Any) -> PendingView | None:
        if pending is None:
            return None
        if isinstance(pending, cls):
            return pending
        expires = field(pending, "expires_at")
        return _read(
            cls,
            pending,
            id=str(field(pending, "id")),
            needs_pin=bool(field(pending, "needs_pin")),
            expires_at=expires if isinstance(expires, int | float) else None,
            expires_raw=expires,
        )

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (time.time() if now is None else now)


@dataclass(frozen=True)
class ControlOutcomeView:
    """What a Home-tab control came back with: done, refused, or held for confirmation."""

    pending: PendingView | None
    """The held confirmation (a sensitive control), else None."""
    error_code: str | None
    """The engine's error code, if any."""
    status: str = ""
    """'done', 'refused', 'pending' ... (``str`` of the engine's status)."""
    actions: tuple[ActionView, ...] = ()
    """The actions it ran."""
    message: str = ""
    """What the engine said about it."""

    @classmethod
    def of(cls, outcome: Any) -> ControlOutcomeView:
        if isinstance(outcome, cls):
            return outcome
        return _read(
            cls,
            outcome,
            pending=PendingView.of(field(outcome, "pending")),
            status=str(value_of(field(outcome, "status", ""))),
            actions=_all(ActionView, field(outcome, "actions")),
            message=str(field(outcome, "message") or ""),
        )


@dataclass(frozen=True)
class HeldControl:
    """The Home tab's held control as kept in its ``gr.State`` (a plain mapping ``{"id", "expires_at"}``)."""

    id: str
    """The held confirmation's id."""
    expires_at: Any
    """When it expires, as the engine gave it."""

    @classmethod
    def of(cls, state: Mapping[str, Any] | None) -> HeldControl | None:
        return cls(id=str(state["id"]), expires_at=state.get("expires_at")) if state else None

    @classmethod
    def state(cls, pending: PendingView | None) -> dict[str, Any] | None:
        """The state stored for a held confirmation (None when nothing is held)."""
        if pending is None:
            return None
        return {"id": pending.id, "expires_at": pending.expires_raw}

    def expired(self, now: float | None = None) -> bool:
        exp = self.expires_at
        return isinstance(exp, int | float) and exp <= (time.time() if now is None else now)
