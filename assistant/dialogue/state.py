"""Per-conversation dialogue state shared by all tiers: last targets, pending questions, confirmations."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from assistant.dialogue.codec import candidate_to_dict, jsonable, match_from_dict, match_to_dict
from assistant.dialogue.confirm import AnswerKind, parse_answer
from contracts.messages import Candidate, IntentMatch, SkillResult

if TYPE_CHECKING:
    from assistant.dialogue.conversation import ConversationStates

__all__ = [
    "CONFIRM",
    "DENY",
    "NEVERMIND",
    "DialogueRecords",
    "DialogueState",
    "DialogueStore",
    "Pending",
    "parse_confirmation",
    "state_from_dict",
    "state_to_dict",
]

CONFIRM = "Confirm"
DENY = "Deny"
NEVERMIND = "HassNevermind"


@dataclass(frozen=True, slots=True)
class Pending:
    """A clarification question waiting for its answer."""

    match: IntentMatch
    """The match that was ambiguous (its intent and slots are kept)."""
    options: tuple[Candidate, ...]
    """The candidates the question chooses between."""
    asked_at: float = field(default_factory=time.time)
    """When it was asked."""


@dataclass(slots=True)
class DialogueState:
    """What one conversation remembers between turns."""

    last_intent: str | None = None
    """Intent of the last command that ran."""
    ran_intent: str | None = None
    """Intent of the last turn any skill ran (a timer turn has no targets): a skill's '@followup' evidence."""
    last_targets: tuple[str, ...] = ()
    """Entities the last command acted on."""
    last_slots: dict[str, Any] = field(default_factory=dict)
    """Slots of the last command."""
    pending: Pending | None = None
    """An open clarification question."""
    awaiting_confirmation: bool = False
    """True after a skill asked for a yes/no."""
    area: str | None = None
    """The speaker's area on the last turn."""
    updated: float = field(default_factory=time.time)
    """Last change."""


def parse_confirmation(text: str) -> tuple[str, str | None] | None:
    """('Confirm'|'Deny'|'HassNevermind', pin) when the whole reply is an answer, else None (confirm.parse_answer)."""
    answer = parse_answer(text)
    if answer is None:
        return None
    if answer.kind == AnswerKind.YES:
        return CONFIRM, answer.pin
    return (NEVERMIND if answer.kind == AnswerKind.CANCEL else DENY), answer.pin


class DialogueRecords(Protocol):
    """Where conversation states are kept between workers (``assistant.store``'s ``ConversationStates``; the same
    protocol as ``assistant.dialogue.conversation.ConversationRecords``)."""

    def version(self, conversation_id: str) -> int | None:
        """The stored version, or None."""
        ...

    def load(self, conversation_id: str) -> tuple[int, dict[str, Any]] | None:
        """(version, record), or None."""
        ...

    def save(self, conversation_id: str, data: Mapping[str, Any], *, expected: int | None = None) -> int:
        """Write the record; returns the new version (a stale ``expected`` raises conversation-conflict)."""
        ...

    def delete(self, conversation_id: str) -> None:
        """Forget it."""
        ...


class DialogueStore:
    """The dialogue part of each conversation's state (a view on ``ConversationStates``, which owns, bounds and
    stores the states).

    With ``records`` (several workers on one store) every change is saved with a new version (compare-and-set), and
    ``get`` reloads a state another worker saved since, so "and the bedroom?" works whichever worker gets it. Within
    one worker the state object stays the same between saves (the engine changes it in place during a turn).
    """

    def __init__(
        self,
        max_conversations: int = 1000,
        ttl_s: float = 3600.0,
        records: DialogueRecords | None = None,
        *,
        states: ConversationStates | None = None,
    ) -> None:
        """Keep at most ``max_conversations`` states, each for ``ttl_s`` seconds of silence (or use ``states``)."""
        from assistant.dialogue.conversation import ConversationStates

        if states is None:
            states = ConversationStates(max_conversations, ttl_s, records)
        self.states: ConversationStates = states
        """Every conversation's whole state (dialogue, skills' state, language, last trace)."""

    def use_records(self, records: DialogueRecords | None) -> None:
        """Keep states in ``records`` from now on (the host calls this when the store is shared)."""
        self.states.use_records(records)

    def get(self, conversation_id: str) -> DialogueState:
        """The dialogue state of a conversation (a fresh one if unknown or expired)."""
        return self.states.get(conversation_id).dialogue

    def save(self, conversation_id: str) -> None:
        """Write the conversation's state to the records (a no-op without them); a stale version raises
        ``AssistantError(conversation-conflict)``."""
        self.states.save(conversation_id)

    def observe(self, conversation_id: str, match: IntentMatch, result: SkillResult) -> None:
        """Remember what ran (targets for 'it', intent for 'and the bedroom?') and whether a yes/no is awaited."""
        state = self.get(conversation_id)
        state.updated = time.time()
        state.awaiting_confirmation = result.needs_confirmation
        if match.intent not in (CONFIRM, DENY, NEVERMIND):
            acted = tuple(a.entity_id for a in result.actions) or match.targets
            if acted or match.targets:
                state.last_targets = tuple(dict.fromkeys(acted))
                state.last_intent = match.intent
                state.last_slots = dict(match.slots)
        self.save(conversation_id)

    def remember_match(self, conversation_id: str, match: IntentMatch) -> None:
        """Note a recognised command before it runs, so a follow-up in the same breath can refer to it."""
        if not match.targets:
            return
        state = self.get(conversation_id)
        state.last_targets = match.targets
        state.last_intent = match.intent
        state.last_slots = dict(match.slots)

    def ask(self, conversation_id: str, match: IntentMatch, options: tuple[Candidate, ...]) -> None:
        """Record an open clarification question."""
        self.get(conversation_id).pending = Pending(replace(match, alternatives=options), options)
        self.save(conversation_id)

    def forget(self, conversation_id: str) -> None:
        """Drop a conversation's state."""
        self.states.forget(conversation_id)

    def clear_pending(self, conversation_id: str) -> None:
        """Drop an open question and any awaited confirmation."""
        state = self.get(conversation_id)
        state.pending = None
        state.awaiting_confirmation = False
        self.save(conversation_id)


def state_to_dict(state: DialogueState) -> dict[str, Any]:
    """A dialogue state as a JSON record."""
    pending = state.pending
    return {
        "last_intent": state.last_intent,
        "ran_intent": state.ran_intent,
        "last_targets": list(state.last_targets),
        "last_slots": jsonable(state.last_slots),
        "pending": None
        if pending is None
        else {
            "match": match_to_dict(pending.match),
            "options": [candidate_to_dict(c) for c in pending.options],
            "asked_at": pending.asked_at,
        },
        "awaiting_confirmation": state.awaiting_confirmation,
        "area": state.area,
        "updated": state.updated,
    }


def state_from_dict(data: Mapping[str, Any]) -> DialogueState:
    """The dialogue state of a record written by ``state_to_dict``."""
    raw = data.get("pending")
    pending = None
    if raw:
        match = match_from_dict(raw["match"])
        options = match_from_dict({"intent": "", "alternatives": raw.get("options") or []}).alternatives
        pending = Pending(match, options, float(raw.get("asked_at") or time.time()))
    return DialogueState(
        last_intent=data.get("last_intent"),
        ran_intent=data.get("ran_intent"),
        last_targets=tuple(str(t) for t in data.get("last_targets") or ()),
        last_slots=dict(data.get("last_slots") or {}),
        pending=pending,
        awaiting_confirmation=bool(data.get("awaiting_confirmation")),
        area=data.get("area"),
        updated=float(data.get("updated") or time.time()),
    )
