"""One ``ConversationState`` per conversation and the ``ConversationStates`` repository that keeps them.

Everything a conversation remembers between turns lives in one object: the dialogue state (last targets, an open
clarification, an awaited yes/no), the skills' scratch state, the spoken language and the last understanding trace.
The repository bounds them (least recently used first, and after ``ttl_s`` of silence) and, given the store's records
(``use_records``), loads and saves them there with a version, so any worker can continue a conversation and two
workers never interleave one conversation's turns silently: a save from a stale version raises
``conversation-conflict`` (the pipeline's ``turn`` retries its start once from the fresh state, else fails cleanly).
With records that lease turns (the store's), a turn also holds the conversation's turn lease from its start to its end,
so a second worker's turn of it waits a moment and then fails with ``conversation-busy`` instead of running beside it;
the lease is the turn's own (its id), so a retry of the same request takes it over at once, and it expires when a
worker dies holding it.

Pending sensitive actions stay in ``assistant.dialogue.confirm``'s ``PendingStore``: an answer must take them exactly
once (an atomic delete), which a versioned document does not give; the state only says a yes/no is awaited.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from assistant.dialogue.codec import jsonable
from assistant.dialogue.state import DialogueState, state_from_dict, state_to_dict
from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "ConversationRecords",
    "ConversationState",
    "ConversationStates",
    "SkillState",
    "TurnLeases",
    "conversation_busy",
    "conversation_from_dict",
    "conversation_to_dict",
]

_log = logging.getLogger("assistant.dialogue")


class ConversationRecords(Protocol):
    """Where conversation states are kept between workers (``assistant.store``'s ``ConversationStates``)."""

    def version(self, conversation_id: str) -> int | None:
        """The stored version, or None."""
        ...

    def load(self, conversation_id: str) -> tuple[int, dict[str, Any]] | None:
        """(version, record), or None."""
        ...

    def save(self, conversation_id: str, data: Mapping[str, Any], *, expected: int | None = None) -> int:
        """Write the record; returns the new version. With ``expected`` (0: none stored) a stale version raises
        ``AssistantError(conversation-conflict)`` and writes nothing."""
        ...

    def delete(self, conversation_id: str) -> None:
        """Forget it."""
        ...


@runtime_checkable
class TurnLeases(Protocol):
    """Records that also lease a conversation to one turn at a time across workers (the store's, in ``leases``)."""

    def claim_turn(self, conversation_id: str, turn_id: str, ttl_s: float) -> bool:
        """Lease the conversation to ``turn_id`` for ``ttl_s`` seconds: True when free, expired or its own."""
        ...

    def release_turn(self, conversation_id: str, turn_id: str) -> None:
        """End the lease if ``turn_id`` still holds it."""
        ...


def conversation_busy(conversation_id: str) -> AssistantError:
    """The error of a turn that found its conversation held by another worker's turn for longer than it waits."""
    return AssistantError(
        ErrorCode.CONVERSATION_BUSY,
        "This conversation is busy with another request. Please try again in a moment.",
        details={"conversation_id": conversation_id},
    )


class SkillState(dict[str, Any]):
    """One skill's scratch state in one conversation (a dict the conversation owns: the skill registry keeps it
    rather than substituting its own)."""


@dataclass(eq=False, slots=True)
class ConversationState:
    """What one conversation remembers between turns."""

    conversation_id: str
    """The conversation."""
    dialogue: DialogueState = field(default_factory=DialogueState)
    """Last command and targets, an open clarification, an awaited yes/no."""
    skills: dict[str, SkillState] = field(default_factory=dict)
    """Each skill's scratch state (``SkillContext.state``), by skill id."""
    language: str | None = None
    """The language the recognizer heard first in this conversation."""
    trace: Any = None
    """The understanding trace of the last recognition (this worker only, never stored)."""
    version: int = 0
    """The stored version this state was loaded or saved at (0: never stored)."""
    touched: float = field(default_factory=time.time)
    """Last use (for the time-to-live)."""
    in_turn: bool = False
    """A turn is running on it in this worker (it is not reloaded or evicted meanwhile)."""
    saved: dict[str, Any] | None = field(default=None, repr=False)
    """The record last saved or loaded at ``version`` (a save that would change nothing is skipped)."""
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    """Held for a whole turn: one turn at a time per conversation in this worker."""

    def skill_state(self, skill_id: str) -> SkillState:
        """The scratch state of one skill (created empty)."""
        state = self.skills.get(skill_id)
        if state is None:
            state = self.skills[skill_id] = SkillState()
        return state


def conversation_to_dict(state: ConversationState) -> dict[str, Any]:
    """A conversation state as a JSON record (the dialogue's fields at the top, as records of version 0005 were)."""
    record = state_to_dict(state.dialogue)
    record["skills"] = {k: jsonable(v) for k, v in state.skills.items() if v}
    record["language"] = state.language
    return record


def conversation_from_dict(conversation_id: str, data: Mapping[str, Any], version: int = 0) -> ConversationState:
    """The conversation state of a record written by ``conversation_to_dict`` (or a bare dialogue record)."""
    skills = data.get("skills") or {}
    return ConversationState(
        conversation_id=conversation_id,
        dialogue=state_from_dict(data),
        skills={str(k): SkillState(v) for k, v in skills.items() if isinstance(v, Mapping)},
        language=data.get("language"),
        version=version,
        saved=dict(data),
    )


class ConversationStates:
    """Conversation states by id: in memory (bounded: least recently used out first, and after ``ttl_s`` of
    silence), and with ``records`` also in the store, versioned (any worker loads the newest, saves are
    compare-and-set). Thread-safe."""

    def __init__(
        self, max_conversations: int = 1000, ttl_s: float = 3600.0, records: ConversationRecords | None = None
    ) -> None:
        """Keep at most ``max_conversations`` states, each for ``ttl_s`` seconds of silence."""
        self._states: OrderedDict[str, ConversationState] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_conversations
        self.ttl_s = ttl_s
        """Seconds of silence after which a conversation is forgotten (its dialogue state starts afresh)."""
        self._records = records

    @property
    def records(self) -> ConversationRecords | None:
        """The store's records, when states are shared between workers."""
        return self._records

    def use_records(self, records: ConversationRecords | None) -> None:
        """Keep states in ``records`` from now on (the host calls this when the store is shared)."""
        with self._lock:
            self._records = records
            for state in self._states.values():
                state.version = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)

    def __contains__(self, conversation_id: object) -> bool:
        with self._lock:
            return conversation_id in self._states

    def peek(self, conversation_id: str) -> ConversationState | None:
        """The state held in this worker, if any (nothing is loaded or created)."""
        with self._lock:
            return self._states.get(conversation_id)

    def get(self, conversation_id: str) -> ConversationState:
        """The state of a conversation: a newer stored one if another worker saved since (not during a turn), a
        fresh one if unknown or expired."""
        with self._lock:
            state = self._states.get(conversation_id)
        if state is None or not state.in_turn:
            loaded = self._newer(conversation_id, state)
            if loaded is not None:
                state = self._replace(conversation_id, state, loaded)
        now = time.time()
        with self._lock:
            current = self._states.get(conversation_id)
            if current is not None and current is not state and current.in_turn:
                state = current  # a turn started meanwhile: its object wins
            if state is None or (not state.in_turn and now - state.touched > self.ttl_s):
                state = ConversationState(conversation_id, version=state.version if state is not None else 0)
            if not state.in_turn and now - state.dialogue.updated > self.ttl_s:
                state.dialogue = DialogueState()
            state.touched = now
            self._states[conversation_id] = state
            self._states.move_to_end(conversation_id)
            self._evict()
            return state

    def skill_state(self, conversation_id: str, skill_id: str) -> SkillState:
        """One skill's scratch state in a conversation."""
        return self.get(conversation_id).skill_state(skill_id)

    def save(self, conversation_id: str, *, force: bool = False) -> None:
        """Write the conversation's state to the records (a no-op without them, during a turn, or when nothing
        changed since the last save, unless ``force``), compare-and-set on its version.

        A stale version raises ``AssistantError(conversation-conflict)`` (another worker continued the conversation
        since this one loaded it); any other store failure is logged and this worker keeps its copy."""
        records = self._records
        if records is None:
            return
        with self._lock:
            state = self._states.get(conversation_id)
        if state is None or (state.in_turn and not force):
            return  # during a turn, the turn saves once at its end (a conflict can never strike after a skill ran)
        record = conversation_to_dict(state)
        if not force and state.version and record == state.saved:
            return
        try:
            state.version = records.save(conversation_id, record, expected=state.version)
            state.saved = record
        except AssistantError as exc:
            if exc.code == ErrorCode.CONVERSATION_CONFLICT:
                raise
            _log.warning("saving the state of conversation %s failed", conversation_id, exc_info=True)
        except Exception:  # the store is down: this worker keeps its copy
            _log.warning("saving the state of conversation %s failed", conversation_id, exc_info=True)

    def forget(self, conversation_id: str) -> None:
        """Drop a conversation's state (here and in the records)."""
        with self._lock:
            self._states.pop(conversation_id, None)
        if self._records is not None:
            self._records.delete(conversation_id)

    @contextmanager
    def turn(
        self,
        conversation_id: str,
        *,
        retries: int = 1,
        turn_id: str | None = None,
        lease_s: float = 30.0,
        wait_s: float = 3.0,
    ) -> Iterator[ConversationState]:
        """Hold a conversation for one turn: its lock (one turn at a time in this worker), with leasing records its
        turn lease (one turn at a time across workers), the newest stored state, and with records a claim on its
        version before anything runs.

        The lease is held by ``turn_id`` (a fresh id by default) for ``lease_s`` seconds, renewed while the turn runs
        and released at its end; one held by another turn is waited for up to ``wait_s`` seconds, then
        ``conversation-busy`` is raised (nothing ran). The same ``turn_id`` (a retried request) takes it over at once.
        A version claim that loses to another worker is retried ``retries`` times from the fresh state, then raises
        ``conversation-conflict`` (nothing ran). Saves during the turn wait for its end, where the state is saved
        once; a conflict there (another worker claimed the conversation meanwhile) is logged as a warning and the
        other worker's newer state stays."""
        state = self._hold(conversation_id)
        try:
            lease = self._lease(conversation_id, state, turn_id or uuid.uuid4().hex, lease_s, wait_s)
        except BaseException:
            state.lock.release()
            raise
        state.in_turn = True
        try:
            self._begin(conversation_id, state, retries)
            try:
                yield state
            finally:
                state.in_turn = False
                state.touched = time.time()
            try:
                self.save(conversation_id)
            except AssistantError:
                _log.warning("conversation %s was continued elsewhere during a turn; its state stays", conversation_id)
        finally:
            state.in_turn = False
            if lease is not None:
                lease.release()
            state.lock.release()

    # ------------------------------------------------------------------ internals

    def _hold(self, conversation_id: str) -> ConversationState:
        """The live state of the conversation, its lock held (waiting for this worker's turn on it to end)."""
        while True:
            state = self.get(conversation_id)
            state.lock.acquire()
            with self._lock:
                current = self._states.get(conversation_id)
            if current is state:
                return state
            state.lock.release()  # evicted or replaced while waiting: take the live one

    def _lease(
        self, conversation_id: str, state: ConversationState, holder: str, lease_s: float, wait_s: float
    ) -> _TurnLease | None:
        """With leasing records, the conversation's turn lease (or ``conversation-busy``), then its newest state."""
        records = self._records
        if records is None or not isinstance(records, TurnLeases):
            return None
        lease = _TurnLease(records, conversation_id, holder, lease_s)
        if not lease.acquire(wait_s):
            raise conversation_busy(conversation_id)
        fresh = self._newer(conversation_id, state)  # the turn that held it may have just saved
        if fresh is not None:
            _adopt(state, fresh)
        return lease

    def _begin(self, conversation_id: str, state: ConversationState, retries: int) -> None:
        if self._records is None:
            return
        for attempt in range(retries + 1):
            try:
                self.save(conversation_id, force=True)
                return
            except AssistantError:
                if attempt >= retries:
                    raise
                _log.info("conversation %s moved on elsewhere; starting the turn again from its newest state",
                          conversation_id)  # fmt: skip
                fresh = self._newer(conversation_id, state)
                if fresh is not None:
                    _adopt(state, fresh)

    def _replace(
        self, conversation_id: str, old: ConversationState | None, new: ConversationState
    ) -> ConversationState:
        if old is not None:
            new.trace = old.trace
            if old.in_turn:
                return old
        with self._lock:
            current = self._states.get(conversation_id)
            if current is not None and current.in_turn:
                return current
            if current is not None:
                new.lock = current.lock  # a waiting turn keeps the lock it waits on
            self._states[conversation_id] = new
        return new

    def _newer(self, conversation_id: str, state: ConversationState | None) -> ConversationState | None:
        records = self._records
        if records is None:
            return None
        held = state.version if state is not None else 0
        try:
            version = records.version(conversation_id)
            if version is None:
                if held:  # forgotten on another worker
                    return ConversationState(conversation_id)
                return None
            if version == held:
                return None
            loaded = records.load(conversation_id)
        except Exception:
            _log.warning("loading the state of conversation %s failed", conversation_id, exc_info=True)
            return None
        if loaded is None:
            return None
        try:
            return conversation_from_dict(conversation_id, loaded[1], loaded[0])
        except (KeyError, TypeError, ValueError, AttributeError):
            _log.warning("ignoring a malformed state of conversation %s", conversation_id)
            fresh = ConversationState(conversation_id)
            fresh.version = loaded[0]
            return fresh

    def _evict(self) -> None:
        """Drop the least recently used states beyond the bound (never one in a turn). Caller holds the lock."""
        excess = len(self._states) - self._max
        if excess <= 0:
            return
        for key in list(self._states):
            if excess <= 0:
                break
            if not self._states[key].in_turn:
                del self._states[key]
                excess -= 1


def _adopt(target: ConversationState, source: ConversationState) -> None:
    """Copy the stored fields of ``source`` onto ``target`` (which keeps its lock and trace)."""
    target.dialogue = source.dialogue
    target.skills = source.skills
    target.language = source.language
    target.version = source.version
    target.saved = source.saved


class _TurnLease:
    """One turn's lease on its conversation: claimed (polling while another turn holds it), renewed every third of
    its term from a background thread while the turn runs, released at its end."""

    def __init__(self, records: TurnLeases, conversation_id: str, holder: str, lease_s: float) -> None:
        self._records = records
        self._conversation_id = conversation_id
        self._holder = holder
        self._lease_s = lease_s
        self._held = False
        self._done = threading.Event()
        self._keeper: threading.Thread | None = None

    def acquire(self, wait_s: float) -> bool:
        """Claim the lease, polling for up to ``wait_s`` seconds; False when another turn keeps it. A store that
        fails is logged and the turn runs without a lease (its version claim still guards the state)."""
        deadline = time.monotonic() + wait_s
        pause = 0.02
        while True:
            try:
                if self._records.claim_turn(self._conversation_id, self._holder, self._lease_s):
                    self._held = True
                    self._keep()
                    return True
            except Exception:
                _log.warning("leasing conversation %s for a turn failed; it runs without the lease",
                             self._conversation_id, exc_info=True)  # fmt: skip
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.25)

    def release(self) -> None:
        """Stop renewing and drop the lease (unless another turn took it over)."""
        self._done.set()
        if self._keeper is not None:
            self._keeper.join()  # a renewal in flight must not claim the lease again after it is dropped
        if not self._held:
            return
        self._held = False
        try:
            self._records.release_turn(self._conversation_id, self._holder)
        except Exception:  # it expires by itself
            _log.warning("releasing the turn lease of conversation %s failed", self._conversation_id, exc_info=True)

    def _keep(self) -> None:
        self._keeper = threading.Thread(target=self._renew, name="turn-lease", daemon=True)
        self._keeper.start()

    def _renew(self) -> None:
        while not self._done.wait(self._lease_s / 3):
            try:
                if not self._records.claim_turn(self._conversation_id, self._holder, self._lease_s):
                    _log.warning("the turn lease of conversation %s was taken over", self._conversation_id)
                    return
            except Exception:
                _log.warning("renewing the turn lease of conversation %s failed", self._conversation_id, exc_info=True)
