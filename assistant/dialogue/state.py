"""Per-conversation dialogue state shared by all tiers: last targets, pending questions, confirmations."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.dialogue.confirm import AnswerKind, parse_answer
from assistant.messages import Candidate, IntentMatch, SkillResult

__all__ = [
    "CONFIRM",
    "DENY",
    "NEVERMIND",
    "DialogueState",
    "DialogueStore",
    "Pending",
    "parse_confirmation",
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
    asked_at: float = field(default_factory=time.monotonic)
    """When it was asked."""


@dataclass(slots=True)
class DialogueState:
    """What one conversation remembers between turns."""

    last_intent: str | None = None
    """Intent of the last command that ran."""
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
    updated: float = field(default_factory=time.monotonic)
    """Last change."""


def parse_confirmation(text: str) -> tuple[str, str | None] | None:
    """('Confirm'|'Deny'|'HassNevermind', pin) when the whole reply is an answer, else None (confirm.parse_answer)."""
    answer = parse_answer(text)
    if answer is None:
        return None
    if answer.kind == AnswerKind.YES:
        return CONFIRM, answer.pin
    return (NEVERMIND if answer.kind == AnswerKind.CANCEL else DENY), answer.pin


class DialogueStore:
    """Dialogue states by conversation id (bounded, thread-safe)."""

    def __init__(self, max_conversations: int = 1000, ttl_s: float = 3600.0) -> None:
        """Keep at most ``max_conversations`` states, each for ``ttl_s`` seconds of silence."""
        self._states: OrderedDict[str, DialogueState] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_conversations
        self._ttl = ttl_s

    def get(self, conversation_id: str) -> DialogueState:
        """The state of a conversation (a fresh one if unknown or expired)."""
        with self._lock:
            state = self._states.get(conversation_id)
            if state is None or time.monotonic() - state.updated > self._ttl:
                state = DialogueState()
                self._states[conversation_id] = state
            self._states.move_to_end(conversation_id)
            while len(self._states) > self._max:
                self._states.popitem(last=False)
            return state

    def observe(self, conversation_id: str, match: IntentMatch, result: SkillResult) -> None:
        """Remember what ran (targets for 'it', intent for 'and the bedroom?') and whether a yes/no is awaited."""
        state = self.get(conversation_id)
        state.updated = time.monotonic()
        state.awaiting_confirmation = result.needs_confirmation
        if match.intent in (CONFIRM, DENY, NEVERMIND):
            return
        acted = tuple(a.entity_id for a in result.actions) or match.targets
        if acted or match.targets:
            state.last_targets = tuple(dict.fromkeys(acted))
            state.last_intent = match.intent
            state.last_slots = dict(match.slots)

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

    def forget(self, conversation_id: str) -> None:
        """Drop a conversation's state."""
        with self._lock:
            self._states.pop(conversation_id, None)

    def clear_pending(self, conversation_id: str) -> None:
        """Drop an open question and any awaited confirmation."""
        state = self.get(conversation_id)
        state.pending = None
        state.awaiting_confirmation = False
