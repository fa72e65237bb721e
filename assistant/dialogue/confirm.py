"""Confirmation of sensitive actions: one small grammar, one service, one guard — used by chat, voice, the Home tab
and every API.

- ``parse_answer`` is an explicit grammar. A reply confirms only when the *whole* reply is an affirmation ("yes",
  "ok do it", "yes please, PIN 0042"); a negation, hedge or cancel word anywhere makes it a denial ("absolutely not",
  "yeah no", "sure not now", "ok cancel that"); anything else is not an answer at all ("ok, turn on the light",
  "yes and open the garage door") and the caller drops the pending action and handles the text as a new request.
- ``ConfirmationService`` holds at most one pending action per key (a conversation, or a Home-tab owner). A pending
  action has an id, an owner, an expiry (default 60 s) and the exact (service, entity) pairs it asked about; it is
  answered only by its own key and owner, before it expires. When a PIN is configured every confirmation needs it;
  wrong PINs are counted across all conversations and lock confirmations out with a doubling back-off.
- ``GuardedHome`` is the home a skill sees: a sensitive service call runs only when it is one of the approved pairs
  of a confirmation the user just gave; blocked calls never run. The check is in code, outside any skill or LLM.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal, Protocol

from assistant.dialogue.codec import jsonable, match_from_dict, match_to_dict
from contracts.home import Area, Entity, Floor, HomeApi, Resolution, RiskTier
from contracts.messages import Action, AssistantError, ErrorCode, IntentMatch, StateChange

__all__ = [
    "ANY_SERVICE",
    "Answer",
    "AnswerKind",
    "ConfirmationService",
    "ControlOutcome",
    "Guard",
    "GuardedHome",
    "HeldAction",
    "MemoryPendingStore",
    "PendingConfirmation",
    "PendingStore",
    "StoredPendingStore",
    "Verdict",
    "VerdictKind",
    "clean_text",
    "held_from_dict",
    "held_to_dict",
    "parse_answer",
    "redact_digits",
]

ANY_SERVICE = "*"
"""An approved pair with this service approves any service on that entity (skills that name no service)."""


# ---------------------------------------------------------------------------------------------------------- grammar


class AnswerKind(StrEnum):
    """What a reply to a yes/no question says."""

    YES = "yes"
    NO = "no"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Answer:
    """A parsed reply to a yes/no question."""

    kind: AnswerKind
    """Yes, no, or cancel."""
    pin: str | None = None
    """Digits given with the reply (a PIN), if any."""


_YES_UNITS = (
    "yes", "yeah", "yea", "yep", "yup", "ya", "yah", "yes please", "sure", "sure thing", "ok", "okay", "k",
    "alright", "all right", "confirm", "confirmed", "i confirm", "do it", "do it now", "please do", "please do it",
    "go ahead", "go for it", "proceed", "affirmative", "correct", "that's right", "that is right", "that's correct",
    "right", "absolutely", "of course", "definitely", "certainly", "indeed", "please", "sounds good", "fine",
    "yes i'm sure", "i'm sure", "i am sure", "you may", "you can",
)  # fmt: skip
_POLITE = ("please", "thanks", "thank you", "thank you very much")
_PIN_LEAD = r"(?:(?:with|using) )?(?:(?:my|the) )?(?:pin|code|pin code|passcode)(?: (?:is|number))?"
_UNIT = "|".join(sorted((re.escape(u) for u in _YES_UNITS), key=len, reverse=True))
_POLITE_RE = "|".join(re.escape(p) for p in _POLITE)
_AFFIRMATION = re.compile(
    rf"^(?:oh |well )?(?:{_UNIT})(?: (?:and |then )?(?:{_UNIT})){{0,4}}"
    rf"(?: (?:{_POLITE_RE}))?(?: (?:{_PIN_LEAD} )?(?P<pin>\d(?: ?\d){{2,11}}))?(?: (?:{_POLITE_RE}))?$"
)
_PIN_ONLY = re.compile(rf"^(?:{_PIN_LEAD} )?(?P<pin>\d(?: ?\d){{2,11}})(?: (?:{_POLITE_RE}))?$")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NEGATIONS = _wordset(
    "no nope nah naw not never negative wrong nay dont don't doesnt doesn't isnt isn't wont won't cant can't "
    "shouldnt shouldn't wouldnt wouldn't"
)
_CANCELS = _wordset("cancel cancelled abort stop halt wait hold hang forget nevermind scratch ignore undo nothing quit")
_HEDGES = _wordset(
    "maybe perhaps possibly probably guess think suppose unsure dunno idk later hmm hm hmmm um umm uh er erm "
    "whatever kinda sorta might actually rather if"
)
_ANSWER_WORDS = (
    _NEGATIONS
    | _CANCELS
    | _HEDGES
    | frozenset(w for u in (*_YES_UNITS, *_POLITE) for w in u.split())
    | _wordset(
        "a an the that this it do i i'm im am is be want to now yet just so thing about on second thought mind "
        "moment minute sec min pin code my with using oh well and then but you for me that's thats let's lets "
        "go ahead please really"
    )
)
_TOKEN = re.compile(r"[a-z0-9']+")
_FORMAT_CHARS = re.compile(r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                           r"\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8]")  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Remove zero-width, bidi and other invisible format characters, and turn control characters into spaces.

    ``"un\\u200block the door"`` is "unlock the door", never a different request. Raises input-invalid for text
    that is not valid Unicode (lone surrogates, e.g. undecodable bytes from a terminal).
    """
    if _SURROGATE.search(text):
        raise AssistantError(
            ErrorCode.INPUT_INVALID, "That text isn't valid UTF-8, so I did nothing. Please retype it."
        )
    text = _FORMAT_CHARS.sub("", text)
    return _CONTROL.sub(" ", text)


def _tokens(text: str) -> list[str]:
    flat = clean_text(text).lower().replace("’", "'").replace("‘", "'")
    return _TOKEN.findall(flat)


def parse_answer(text: str) -> Answer | None:
    """Yes / no / cancel when the reply is an answer; None when it is anything else (a new request)."""
    try:
        tokens = _tokens(text)
    except AssistantError:
        return None
    if not tokens:
        return None
    flat = " ".join(tokens)
    words = [t for t in tokens if not t.isdigit()]
    digits = "".join(t for t in tokens if t.isdigit())
    pin = digits if 3 <= len(digits) <= 12 else None
    cancelled = any(w in _CANCELS for w in words) or "never mind" in flat
    plain = flat.replace("never mind", " ").split()
    negated = any(w in _NEGATIONS or w.endswith("n't") for w in plain)
    hedged = any(w in _HEDGES for w in words)
    if not (negated or cancelled or hedged):
        m = _AFFIRMATION.match(flat) or _PIN_ONLY.match(flat)
        if m is not None:
            found = m.group("pin")
            return Answer(AnswerKind.YES, found.replace(" ", "") if found else None)
        return None
    rest = [w for w in words if w not in _ANSWER_WORDS]
    short_refusal = words[:1] and words[0] in _NEGATIONS and len(words) <= 3
    if rest and not short_refusal:
        return None  # "no, turn on the kitchen light instead": a new request (it drops the pending action too)
    if cancelled and not negated:
        return Answer(AnswerKind.CANCEL, pin)
    return Answer(AnswerKind.NO, pin)


def redact_digits(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` (a PIN, possibly spoken with spaces between digits) replaced by '••••'."""
    if not secret or not text:
        return text
    pattern = r"(?<!\d)" + r"\s?".join(re.escape(d) for d in secret) + r"(?!\d)"
    return re.sub(pattern, "••••", text)


# ---------------------------------------------------------------------------------------------------------- service


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """What a front end shows of a pending sensitive action."""

    id: str
    """Opaque id; a Yes/No button carries it, so a stale button can never confirm a newer action."""
    question: str
    """The question the user is asked."""
    needs_pin: bool
    """True when the confirmation must include the PIN."""
    expires_at: float
    """Time (epoch seconds, the service's clock) after which it can no longer be confirmed."""
    conversation_id: str | None = None
    """The conversation it belongs to (None for a Home-tab control)."""


@dataclass(frozen=True, slots=True)
class HeldAction:
    """A sensitive action waiting for its yes/no."""

    view: PendingConfirmation
    """What the user sees."""
    owner: str | None
    """Who may answer it (None: whoever speaks in its conversation)."""
    approved: frozenset[tuple[str, str]]
    """The exact (service, entity_id) pairs a yes approves; nothing else runs on it."""
    deadline: float
    """Expiry time (the service's clock, epoch seconds by default)."""
    skill_id: str | None = None
    """The skill that asked (chat and voice)."""
    match: IntentMatch | None = None
    """The request to run again once confirmed (chat and voice)."""
    service: str | None = None
    """The service to call once confirmed (Home-tab controls)."""
    entity_ids: tuple[str, ...] = ()
    """Its targets (Home-tab controls)."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """Its service data (Home-tab controls)."""
    attempts: int = 0
    """Wrong PINs given for it."""

    @property
    def id(self) -> str:
        """The pending id."""
        return self.view.id


class VerdictKind(StrEnum):
    """How an answer to a pending action ended."""

    CONFIRMED = "confirmed"
    DENIED = "denied"
    NOT_PENDING = "not-pending"
    EXPIRED = "expired"
    WRONG_PIN = "wrong-pin"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of answering a pending action."""

    kind: VerdictKind
    """What happened."""
    held: HeldAction | None
    """The pending action answered (None when there was none)."""
    message: str
    """A sentence for the user."""

    @property
    def error_code(self) -> ErrorCode | None:
        """The stable code of a refused answer (None for confirmed and denied)."""
        return _VERDICT_CODES.get(self.kind)


_VERDICT_CODES = {
    VerdictKind.NOT_PENDING: ErrorCode.CONFIRM_NOT_PENDING,
    VerdictKind.EXPIRED: ErrorCode.CONFIRM_EXPIRED,
    VerdictKind.WRONG_PIN: ErrorCode.CONFIRM_WRONG_PIN,
    VerdictKind.LOCKED: ErrorCode.CONFIRM_LOCKED,
}


@dataclass(frozen=True, slots=True)
class ControlOutcome:
    """The result of a Home-tab control (a direct service call on one entity)."""

    status: Literal["done", "needs-confirmation", "refused"]
    """Ran, waits for a confirmation, or was refused."""
    actions: tuple[Action, ...] = ()
    """What the adapter reported (status 'done')."""
    pending: PendingConfirmation | None = None
    """The confirmation to ask for (status 'needs-confirmation')."""
    error_code: str | None = None
    """Why it was refused."""
    message: str = ""
    """A sentence for the user."""


@dataclass(frozen=True, slots=True)
class Guard:
    """The wrong-PIN back-off, shared by every conversation (and every worker when the store is shared)."""

    failures: int = 0
    """Wrong PINs in a row since the last lockout or right PIN."""
    lockouts: int = 0
    """Lockouts since the last right PIN (each one doubles the next)."""
    locked_until: float = 0.0
    """Epoch seconds until which confirmations are refused."""


class PendingStore(Protocol):
    """Where pending actions live: process memory (one worker) or the shared database (several workers)."""

    def get(self, key: str) -> HeldAction | None:
        """The action held under ``key`` (expired ones included), or None."""
        ...

    def put(self, key: str, held: HeldAction) -> None:
        """Hold ``held`` under ``key``, replacing what was there."""
        ...

    def take(self, key: str, pending_id: str) -> bool:
        """Remove ``key``'s action if it is still ``pending_id``; True for the one caller that removed it."""
        ...

    def update(self, key: str, held: HeldAction) -> bool:
        """Replace ``key``'s action by ``held`` if it is still the same id; True when replaced."""
        ...

    def delete(self, key: str) -> HeldAction | None:
        """Remove whatever ``key`` holds; returns it."""
        ...

    def find(self, pending_id: str) -> str | None:
        """The key holding a pending id."""
        ...

    def guard(self) -> Guard:
        """The wrong-PIN back-off state."""
        ...

    def set_guard(self, guard: Guard) -> None:
        """Store the wrong-PIN back-off state."""
        ...


class MemoryPendingStore:
    """Pending actions in this process (the default for one worker)."""

    def __init__(self) -> None:
        self._held: dict[str, HeldAction] = {}
        self._guard = Guard()
        self._lock = threading.Lock()

    def get(self, key: str) -> HeldAction | None:
        """See PendingStore."""
        with self._lock:
            return self._held.get(key)

    def put(self, key: str, held: HeldAction) -> None:
        """See PendingStore."""
        with self._lock:
            self._held[key] = held

    def take(self, key: str, pending_id: str) -> bool:
        """See PendingStore."""
        with self._lock:
            held = self._held.get(key)
            if held is None or held.id != pending_id:
                return False
            del self._held[key]
            return True

    def update(self, key: str, held: HeldAction) -> bool:
        """See PendingStore."""
        with self._lock:
            current = self._held.get(key)
            if current is None or current.id != held.id:
                return False
            self._held[key] = held
            return True

    def delete(self, key: str) -> HeldAction | None:
        """See PendingStore."""
        with self._lock:
            return self._held.pop(key, None)

    def find(self, pending_id: str) -> str | None:
        """See PendingStore."""
        with self._lock:
            return next((k for k, h in self._held.items() if h.id == pending_id), None)

    def guard(self) -> Guard:
        """See PendingStore."""
        return self._guard

    def set_guard(self, guard: Guard) -> None:
        """See PendingStore."""
        self._guard = guard


class PendingRecords(Protocol):
    """What ``StoredPendingStore`` needs of a database repository (``assistant.store.PendingRepository``)."""

    def get(self, key: str) -> dict[str, Any] | None: ...
    def put(self, key: str, pending_id: str, deadline: float, data: dict[str, Any]) -> None: ...
    def take(self, key: str, pending_id: str) -> bool: ...
    def update(self, key: str, pending_id: str, data: dict[str, Any]) -> bool: ...
    def delete(self, key: str) -> dict[str, Any] | None: ...
    def find(self, pending_id: str) -> str | None: ...
    def guard(self) -> tuple[int, int, float]: ...
    def set_guard(self, failures: int, lockouts: int, locked_until: float) -> None: ...


class StoredPendingStore:
    """Pending actions as JSON records in the database, so every worker on it sees and answers them."""

    def __init__(self, records: PendingRecords) -> None:
        self._records = records

    def get(self, key: str) -> HeldAction | None:
        """See PendingStore."""
        data = self._records.get(key)
        return held_from_dict(data) if data is not None else None

    def put(self, key: str, held: HeldAction) -> None:
        """See PendingStore."""
        self._records.put(key, held.id, held.deadline, held_to_dict(held))

    def take(self, key: str, pending_id: str) -> bool:
        """See PendingStore."""
        return self._records.take(key, pending_id)

    def update(self, key: str, held: HeldAction) -> bool:
        """See PendingStore."""
        return self._records.update(key, held.id, held_to_dict(held))

    def delete(self, key: str) -> HeldAction | None:
        """See PendingStore."""
        data = self._records.delete(key)
        return held_from_dict(data) if data is not None else None

    def find(self, pending_id: str) -> str | None:
        """See PendingStore."""
        return self._records.find(pending_id)

    def guard(self) -> Guard:
        """See PendingStore."""
        return Guard(*self._records.guard())

    def set_guard(self, guard: Guard) -> None:
        """See PendingStore."""
        self._records.set_guard(guard.failures, guard.lockouts, guard.locked_until)


def held_to_dict(held: HeldAction) -> dict[str, Any]:
    """A JSON-ready record of a held action."""
    match = held.match
    return {
        "view": {
            "id": held.view.id,
            "question": held.view.question,
            "needs_pin": held.view.needs_pin,
            "expires_at": held.view.expires_at,
            "conversation_id": held.view.conversation_id,
        },
        "owner": held.owner,
        "approved": sorted([s, e] for s, e in held.approved),
        "deadline": held.deadline,
        "skill_id": held.skill_id,
        "match": match_to_dict(match) if match is not None else None,
        "service": held.service,
        "entity_ids": list(held.entity_ids),
        "data": jsonable(held.data),
        "attempts": held.attempts,
    }


def held_from_dict(data: Mapping[str, Any]) -> HeldAction:
    """The held action of a record written by ``held_to_dict``."""
    view = data["view"]
    match = data.get("match")
    return HeldAction(
        view=PendingConfirmation(
            id=str(view["id"]),
            question=str(view["question"]),
            needs_pin=bool(view["needs_pin"]),
            expires_at=float(view["expires_at"]),
            conversation_id=view.get("conversation_id"),
        ),
        owner=data.get("owner"),
        approved=frozenset((str(s), str(e)) for s, e in data.get("approved", [])),
        deadline=float(data["deadline"]),
        skill_id=data.get("skill_id"),
        match=match_from_dict(match) if match else None,
        service=data.get("service"),
        entity_ids=tuple(data.get("entity_ids", ())),
        data=dict(data.get("data") or {}),
        attempts=int(data.get("attempts", 0)),
    )


class ConfirmationService:
    """Pending sensitive actions by key, with expiry, owner binding, PIN checks and a wrong-PIN back-off.

    Deadlines are wall-clock times, so a pending action held by one worker can be answered on another (with a
    ``PendingStore`` over the shared database); each action is confirmed at most once (``PendingStore.take``).
    """

    def __init__(
        self,
        *,
        pin: str | None = None,
        ttl_s: float = 60.0,
        max_attempts: int = 3,
        lockout_s: float = 30.0,
        max_lockout_s: float = 900.0,
        clock: Callable[[], float] = time.time,
        store: PendingStore | None = None,
    ) -> None:
        """``pin``: required with every confirmation when set. ``max_attempts`` wrong PINs drop the pending action
        and lock confirmations for ``lockout_s`` (doubling per lockout up to ``max_lockout_s``)."""
        self._pin = pin or None
        self._ttl = float(ttl_s)
        self._max_attempts = max(1, int(max_attempts))
        self._lockout_s = float(lockout_s)
        self._max_lockout_s = float(max_lockout_s)
        self._clock = clock
        self._store: PendingStore = store if store is not None else MemoryPendingStore()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str, str | None], None]] = []

    @property
    def needs_pin(self) -> bool:
        """True when confirmations need the PIN."""
        return self._pin is not None

    def redact(self, text: str) -> str:
        """``text`` without the configured PIN (so a PIN said anywhere is never stored)."""
        return redact_digits(text, self._pin)

    def subscribe(self, callback: Callable[[str, str | None], None]) -> Callable[[], None]:
        """Be told ``(key, pending id or None)`` whenever a key's pending action is set or answered here."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def hold(
        self,
        key: str,
        *,
        question: str,
        owner: str | None,
        approved: Iterable[tuple[str, str]],
        conversation_id: str | None = None,
        skill_id: str | None = None,
        match: IntentMatch | None = None,
        service: str | None = None,
        entity_ids: Sequence[str] = (),
        data: Mapping[str, Any] | None = None,
    ) -> HeldAction:
        """Hold an action for confirmation under ``key``, replacing whatever was pending there."""
        deadline = self._clock() + self._ttl
        view = PendingConfirmation(
            id=secrets.token_urlsafe(12),
            question=question,
            needs_pin=self.needs_pin,
            expires_at=deadline,
            conversation_id=conversation_id,
        )
        held = HeldAction(
            view=view,
            owner=owner,
            approved=frozenset(approved),
            deadline=deadline,
            skill_id=skill_id,
            match=match,
            service=service,
            entity_ids=tuple(entity_ids),
            data=dict(data or {}),
        )
        self._store.put(key, held)
        self._notify(key, held.id)
        return held

    def current(self, key: str, *, owner: str | None = None) -> HeldAction | None:
        """The live pending action of ``key``; None when there is none, it expired, or it is another owner's."""
        held = self._store.get(key)
        if held is None or self._clock() >= held.deadline or not _may_answer(held, owner):
            return None
        return held

    def drop(self, key: str) -> HeldAction | None:
        """Forget ``key``'s pending action (a new request was made); returns it."""
        if self._store.get(key) is None:  # the common case reads only
            return None
        held = self._store.delete(key)
        if held is not None:
            self._notify(key, None)
        return held

    def resolve(
        self, key: str, *, yes: bool, pin: str | None = None, owner: str | None = None, pending_id: str | None = None
    ) -> Verdict:
        """Answer ``key``'s pending action. A yes confirms only a live action of this owner (and this id, when
        given) with the right PIN; a no always drops it."""
        with self._lock:
            verdict = self._resolve(key, yes=yes, pin=pin, owner=owner, pending_id=pending_id)
        if verdict.kind in (VerdictKind.CONFIRMED, VerdictKind.DENIED, VerdictKind.EXPIRED):
            self._notify(key, None)
        return verdict

    # -- internals -------------------------------------------------------------------------------------------------
    def _resolve(self, key: str, *, yes: bool, pin: str | None, owner: str | None, pending_id: str | None) -> Verdict:
        held = self._store.get(key)
        if held is None:
            return Verdict(VerdictKind.NOT_PENDING, None, "There's nothing waiting for a confirmation.")
        if not _may_answer(held, owner) or (pending_id and pending_id != held.id):
            return Verdict(VerdictKind.NOT_PENDING, None, "That confirmation is no longer waiting; I did nothing.")
        if self._clock() >= held.deadline:
            self._store.take(key, held.id)
            return Verdict(VerdictKind.EXPIRED, None, "That request expired, so I did nothing. Ask again.")
        if not yes:
            self._store.take(key, held.id)
            return Verdict(VerdictKind.DENIED, held, "OK, I won't do it.")
        return self._check_pin_locked(key, held, pin)

    def _check_pin_locked(self, key: str, held: HeldAction, pin: str | None) -> Verdict:
        now = self._clock()
        guard = self._store.guard()
        if now < guard.locked_until:
            wait = int(guard.locked_until - now) + 1
            return Verdict(
                VerdictKind.LOCKED, held, f"Too many wrong PINs. Confirmations are locked for {wait} more seconds."
            )
        if self._pin is not None and not hmac.compare_digest((pin or "").encode(), self._pin.encode()):
            attempts = held.attempts + 1
            message = "That PIN is not right, so I did nothing." if pin else "Please say yes with your PIN."
            if attempts >= self._max_attempts:
                self._store.take(key, held.id)
                message = "That PIN is not right. I cancelled the request."
            else:
                self._store.update(key, replace(held, attempts=attempts))
            failures, lockouts, locked_until = guard.failures + 1, guard.lockouts, guard.locked_until
            if failures >= self._max_attempts:
                lock = min(self._max_lockout_s, self._lockout_s * (2**lockouts))
                failures, lockouts, locked_until = 0, lockouts + 1, now + lock
                message += f" Confirmations are locked for {int(lock)} seconds."
            self._store.set_guard(Guard(failures, lockouts, locked_until))
            return Verdict(VerdictKind.WRONG_PIN, held, message)
        if not self._store.take(key, held.id):  # answered meanwhile (another tab or worker)
            return Verdict(VerdictKind.NOT_PENDING, None, "That confirmation is no longer waiting; I did nothing.")
        if guard.failures or guard.lockouts:
            self._store.set_guard(Guard())
        return Verdict(VerdictKind.CONFIRMED, held, "")

    def _notify(self, key: str, pending_id: str | None) -> None:
        for callback in list(self._listeners):
            try:
                callback(key, pending_id)
            except Exception:  # a listener must not break a confirmation
                continue


def _may_answer(held: HeldAction, owner: str | None) -> bool:
    return held.owner is None or held.owner == owner


# ------------------------------------------------------------------------------------------------------------ guard


class GuardedHome:
    """The home as a skill sees it: sensitive calls run only for approved (service, entity) pairs, blocked never."""

    def __init__(self, home: HomeApi, approved: Iterable[tuple[str, str]] = ()) -> None:
        """``approved``: pairs the user confirmed for this turn (empty on an ordinary turn)."""
        self._home = home
        self._approved = frozenset(approved)

    @property
    def approved(self) -> frozenset[tuple[str, str]]:
        """The pairs this turn may run although they are sensitive."""
        return self._approved

    def entities(self) -> Sequence[Entity]:
        """All entities."""
        return self._home.entities()

    def entity(self, entity_id: str) -> Entity | None:
        """One entity, or None."""
        return self._home.entity(entity_id)

    def areas(self) -> Sequence[Area]:
        """All areas."""
        return self._home.areas()

    def floors(self) -> Sequence[Floor]:
        """All floors."""
        return self._home.floors()

    def states(self) -> dict[str, dict[str, Any]]:
        """Every entity's state."""
        return self._home.states()

    def resolve(self, phrase: str, *, domain: str | None = None, area: str | None = None) -> Resolution:
        """Resolve a spoken name."""
        return self._home.resolve(phrase, domain=domain, area=area)

    def risk(self, entity_id: str, service: str) -> RiskTier:
        """The risk tier of a call."""
        return self._home.risk(entity_id, service)

    def subscribe(self, callback: Callable[[StateChange], None]) -> Callable[[], None]:
        """Be told of state changes."""
        return self._home.subscribe(callback)

    def call_service(
        self, service: str, entity_ids: Sequence[str], data: Mapping[str, Any] | None = None
    ) -> list[Action]:
        """Run the call when every target is allowed; raise permission-denied / confirm-required otherwise."""
        for entity_id in entity_ids:
            tier = RiskTier(self._home.risk(entity_id, service))
            if tier == RiskTier.BLOCKED:
                raise AssistantError(
                    ErrorCode.PERMISSION_DENIED, f"{service} on {entity_id} is blocked by policy.",
                    details={"entity_id": entity_id, "service": service},
                )  # fmt: skip
            if tier == RiskTier.SENSITIVE and not self.allows(service, entity_id):
                raise AssistantError(
                    ErrorCode.CONFIRM_REQUIRED, f"{service} on {entity_id} needs your confirmation first.",
                    details={"entity_id": entity_id, "service": service},
                )  # fmt: skip
        return self._home.call_service(service, entity_ids, data)

    def allows(self, service: str, entity_id: str) -> bool:
        """True when this turn may run the sensitive ``service`` on ``entity_id``."""
        return (service, entity_id) in self._approved or (ANY_SERVICE, entity_id) in self._approved

    def __getattr__(self, name: str) -> Any:
        return getattr(self._home, name)
