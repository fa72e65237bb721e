"""Per-conversation dialogue state shared by all tiers: last targets, pending questions, confirmations."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from assistant.dialogue.codec import candidate_to_dict, jsonable, match_from_dict, match_to_dict
from assistant.dialogue.confirm import AnswerKind, parse_answer
from contracts.messages import Candidate, IntentMatch, SkillResult

_log = logging.getLogger("assistant.dialogue")

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
    """Where dialogue states are kept between workers (``assistant.store.ConversationStates``)."""

    def version(self, conversation_id: str) -> int | None:
        """The stored version, or None."""
        ...

    def load(self, conversation_id: str) -> tuple[int, dict[str, Any]] | None:
        """(version, record), or None."""
        ...

    def save(self, conversation_id: str, data: Mapping[str, Any]) -> int:
        """Write the record; returns the new version."""
        ...

    def delete(self, conversation_id: str) -> None:
        """Forget it."""
        ...


class DialogueStore:
    """Dialogue states by conversation id (bounded, thread-safe).

    With ``records`` (several workers on one store) every change is saved with a new version, and ``get`` reloads a
    state another worker saved since, so "and the bedroom?" works whichever worker gets it. Within one worker the
    state object stays the same between saves (the engine changes it in place during a turn).
    """

    def __init__(
        self, max_conversations: int = 1000, ttl_s: float = 3600.0, records: DialogueRecords | None = None
    ) -> None:
        """Keep at most ``max_conversations`` states, each for ``ttl_s`` seconds of silence."""
        self._states: OrderedDict[str, DialogueState] = OrderedDict()
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()
        self._max = max_conversations
        self._ttl = ttl_s
        self._records = records

    def use_records(self, records: DialogueRecords | None) -> None:
        """Keep states in ``records`` from now on (the host calls this when the store is shared)."""
        with self._lock:
            self._records = records
            self._versions.clear()

    def get(self, conversation_id: str) -> DialogueState:
        """The state of a conversation (a fresh one if unknown or expired)."""
        loaded = self._newer(conversation_id)
        with self._lock:
            state = self._states.get(conversation_id)
            if loaded is not None:
                version, state = loaded
                self._states[conversation_id] = state
                if version:
                    self._versions[conversation_id] = version
                else:
                    self._versions.pop(conversation_id, None)
            if state is None or time.time() - state.updated > self._ttl:
                state = DialogueState()
                self._states[conversation_id] = state
            self._states.move_to_end(conversation_id)
            while len(self._states) > self._max:
                old, _ = self._states.popitem(last=False)
                self._versions.pop(old, None)
            return state

    def save(self, conversation_id: str) -> None:
        """Write the conversation's state to the records (a no-op without them)."""
        records = self._records
        if records is None:
            return
        with self._lock:
            state = self._states.get(conversation_id)
        if state is None:
            return
        try:
            version = records.save(conversation_id, state_to_dict(state))
        except Exception:  # the store is down: this worker keeps its copy
            _log.warning("saving the dialogue state of %s failed", conversation_id, exc_info=True)
            return
        with self._lock:
            self._versions[conversation_id] = version

    def _newer(self, conversation_id: str) -> tuple[int, DialogueState] | None:
        records = self._records
        if records is None:
            return None
        try:
            version = records.version(conversation_id)
            if version is None and conversation_id in self._versions:
                return 0, DialogueState()  # forgotten on another worker
            if version is None or version == self._versions.get(conversation_id):
                return None
            loaded = records.load(conversation_id)
        except Exception:
            _log.warning("loading the dialogue state of %s failed", conversation_id, exc_info=True)
            return None
        if loaded is None:
            return None
        try:
            return loaded[0], state_from_dict(loaded[1])
        except (KeyError, TypeError, ValueError):
            _log.warning("ignoring a malformed dialogue state of %s", conversation_id)
            return None

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
        with self._lock:
            self._states.pop(conversation_id, None)
            self._versions.pop(conversation_id, None)
        if self._records is not None:
            self._records.delete(conversation_id)

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
        last_targets=tuple(str(t) for t in data.get("last_targets") or ()),
        last_slots=dict(data.get("last_slots") or {}),
        pending=pending,
        awaiting_confirmation=bool(data.get("awaiting_confirmation")),
        area=data.get("area"),
        updated=float(data.get("updated") or time.time()),
    )
