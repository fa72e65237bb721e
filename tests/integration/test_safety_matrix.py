"""The safety matrix of issue 12: a risky action runs only on a real "yes" — through the real engine on the default
home (templates, NLU, pipeline, store, simulated adapter). Every case asserts that no sensitive action ran unless
the user confirmed exactly it, in time, in its own conversation, with the PIN when one is set."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.dialogue.confirm import ConfirmationService, GuardedHome, StoredPendingStore
from contracts.messages import AssistantError, ErrorCode

pytestmark = pytest.mark.slow

LOCK = "lock.front_door"
GARAGE = "cover.garage_door"
PIN = "0042"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    data: Path = tmp_path_factory.mktemp("safety-matrix")
    a = Assistant.create(data_dir=str(data))
    try:
        yield a
    finally:
        a.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def a(assistant: Assistant, clock: Clock) -> Assistant:
    """The shared assistant with a fresh confirmation service (no PIN, 60 s expiry) and a closed, locked home."""
    assistant.pipeline.confirmations = ConfirmationService(ttl_s=60, clock=clock, store=_store(assistant))
    _reset(assistant)
    return assistant


@pytest.fixture
def with_pin(assistant: Assistant, clock: Clock) -> Assistant:
    """The shared assistant with a PIN, 3 attempts and a 30 s lockout."""
    assistant.pipeline.confirmations = ConfirmationService(
        pin=PIN, ttl_s=60, max_attempts=3, lockout_s=30, clock=clock, store=_store(assistant)
    )
    _reset(assistant)
    return assistant


def _store(a: Assistant) -> StoredPendingStore:
    """The database-backed pending store the product uses, with a clean wrong-PIN back-off."""
    a.db.pending.set_guard(0, 0, 0.0)
    return StoredPendingStore(a.db.pending)


def _reset(a: Assistant) -> None:
    a.home.call_service("lock.lock", [LOCK], {})
    a.home.call_service("cover.close_cover", [GARAGE], {})
    a.home.call_service("light.turn_off", ["light.kitchen"], {})


def _state(a: Assistant, entity_id: str) -> str:
    return str(a.home.states()[entity_id]["state"])


def _new(a: Assistant, owner: str | None = None) -> str:
    return a.db.conversations.create_conversation(owner=owner)


def _ask_unlock(a: Assistant, conv: str, owner: str | None = None) -> None:
    asked = a.handle_text("unlock the front door", conversation_id=conv, owner=owner)
    assert asked.needs_confirmation, asked.reply
    assert _state(a, LOCK) == "locked"


# --------------------------------------------------------------------------- negations, hedges, fillers (26 cases)

NOT_YES = [
    "absolutely not",
    "of course not",
    "okay never mind",
    "ok cancel that",
    "ok stop",
    "yeah no",
    "sure not now",
    "no",
    "nope",
    "not now",
    "don't",
    "don't do it",
    "no, don't",
    "maybe",
    "maybe later",
    "yeah I guess",
    "hmm",
    "wait",
    "hold on",
    "cancel",
    "never mind",
    "no thanks",
    "yes no",
    "sure, but not now",
    "right, what time is it?",
    "ok, turn on the kitchen light",
]


@pytest.mark.parametrize("reply", NOT_YES)
def test_only_a_whole_yes_confirms(a: Assistant, reply: str) -> None:
    conv = _new(a)
    _ask_unlock(a, conv)
    answered = a.handle_text(reply, conversation_id=conv)
    assert _state(a, LOCK) == "locked", (reply, answered.reply)
    assert not answered.needs_confirmation
    later = a.handle_text("yes", conversation_id=conv)  # the pending action is gone, not just postponed
    assert later.actions == ()
    assert _state(a, LOCK) == "locked"


def test_a_filler_before_a_new_request_runs_the_request_not_the_unlock(a: Assistant) -> None:
    conv = _new(a)
    _ask_unlock(a, conv)
    r = a.handle_text("ok, turn on the kitchen light", conversation_id=conv)
    assert _state(a, "light.kitchen") == "on", r.reply
    assert _state(a, LOCK) == "locked"


def test_yes_and_another_risky_request_confirms_neither(a: Assistant) -> None:
    conv = _new(a)
    _ask_unlock(a, conv)
    r = a.handle_text("yes and open the garage door", conversation_id=conv)
    assert _state(a, LOCK) == "locked", r.reply
    assert _state(a, GARAGE) == "closed", r.reply


@pytest.mark.parametrize("reply", ["yes", "Yes.", "yes please", "ok do it", "go ahead", "sure", "confirm"])
def test_whole_affirmations_confirm(a: Assistant, reply: str) -> None:
    conv = _new(a)
    _ask_unlock(a, conv)
    done = a.handle_text(reply, conversation_id=conv)
    assert _state(a, LOCK) == "unlocked", done.reply
    assert done.actions and all(x.confirmed_by_user for x in done.actions)


# --------------------------------------------------------------------------- interleaved turns, expiry, scope (9)


def test_a_clarification_in_between_never_counts_as_the_confirmation(a: Assistant) -> None:
    conv = _new(a)
    _ask_unlock(a, conv)
    a.handle_text("turn on the light", conversation_id=conv)  # asks which light
    r = a.handle_text("yes", conversation_id=conv)
    assert _state(a, LOCK) == "locked", r.reply


def test_another_request_in_between_drops_the_pending_unlock(a: Assistant) -> None:
    conv = _new(a)
    _ask_unlock(a, conv)
    a.handle_text("turn on the kitchen light", conversation_id=conv)
    a.handle_text("yes", conversation_id=conv)
    assert _state(a, LOCK) == "locked"


def test_a_pending_unlock_expires(a: Assistant, clock: Clock) -> None:
    conv = _new(a)
    _ask_unlock(a, conv)
    clock.now += 61
    r = a.handle_text("yes", conversation_id=conv)
    assert _state(a, LOCK) == "locked"
    assert r.error == ErrorCode.CONFIRM_EXPIRED.value
    assert "expired" in r.reply


def test_yes_within_the_expiry_still_works(a: Assistant, clock: Clock) -> None:
    conv = _new(a)
    _ask_unlock(a, conv)
    clock.now += 59
    a.handle_text("yes", conversation_id=conv)
    assert _state(a, LOCK) == "unlocked"


def test_yes_in_another_conversation_does_nothing(a: Assistant) -> None:
    conv, other = _new(a), _new(a)
    _ask_unlock(a, conv)
    a.handle_text("yes", conversation_id=other)
    assert _state(a, LOCK) == "locked"
    a.handle_text("yes", conversation_id=conv)
    assert _state(a, LOCK) == "unlocked"


def test_another_owner_cannot_answer_or_even_use_the_conversation(a: Assistant) -> None:
    conv = _new(a, owner="alice")
    _ask_unlock(a, conv, owner="alice")
    r = a.handle_text("yes", conversation_id=conv, owner="mallory")
    assert r.error == ErrorCode.CONVERSATION_FORBIDDEN.value
    assert _state(a, LOCK) == "locked"
    assert a.pending(conv, owner="mallory") is None
    assert a.pending(conv, owner="alice") is not None
    pending = a.pending(conv, owner="alice")
    assert pending is not None
    stolen = a.answer_confirmation(conv, yes=True, pending_id=pending.id, owner="mallory")
    assert stolen.error == ErrorCode.CONVERSATION_FORBIDDEN.value
    assert _state(a, LOCK) == "locked"


def test_a_stale_button_id_never_confirms_a_newer_action(a: Assistant) -> None:
    conv = _new(a)
    _ask_unlock(a, conv)
    first = a.pending(conv)
    assert first is not None
    a.handle_text("open the garage door", conversation_id=conv)  # a newer risky request replaces it
    r = a.answer_confirmation(conv, yes=True, pending_id=first.id)
    assert r.error == ErrorCode.CONFIRM_NOT_PENDING.value
    assert _state(a, LOCK) == "locked"
    assert _state(a, GARAGE) == "closed"


def test_the_button_of_the_live_action_confirms_exactly_it(a: Assistant) -> None:
    conv = _new(a)
    _ask_unlock(a, conv)
    pending = a.pending(conv)
    assert pending is not None and not pending.needs_pin
    r = a.answer_confirmation(conv, yes=True, pending_id=pending.id)
    assert _state(a, LOCK) == "unlocked", r.reply
    assert a.pending(conv) is None
    again = a.answer_confirmation(conv, yes=True, pending_id=pending.id)  # a second press
    assert again.error == ErrorCode.CONFIRM_NOT_PENDING.value


def test_no_button_drops_the_action(a: Assistant) -> None:
    conv = _new(a)
    _ask_unlock(a, conv)
    pending = a.pending(conv)
    assert pending is not None
    a.answer_confirmation(conv, yes=False, pending_id=pending.id)
    assert a.pending(conv) is None
    a.handle_text("yes", conversation_id=conv)
    assert _state(a, LOCK) == "locked"


# --------------------------------------------------------------------------- PIN paths: chat, button, Home tab (10)


@pytest.mark.parametrize("reply", ["yes", "yes 0041", "absolutely not 0042", "0 0 4 1", "no 0042"])
def test_chat_needs_the_right_pin(with_pin: Assistant, reply: str) -> None:
    a = with_pin
    conv = _new(a)
    _ask_unlock(a, conv)
    a.handle_text(reply, conversation_id=conv)
    assert _state(a, LOCK) == "locked", reply


def test_chat_with_the_right_pin_unlocks_and_the_pin_is_never_stored(with_pin: Assistant) -> None:
    a = with_pin
    conv = _new(a)
    _ask_unlock(a, conv)
    done = a.handle_text("yes, my pin is 0042", conversation_id=conv)
    assert _state(a, LOCK) == "unlocked", done.reply
    assert PIN not in done.text
    assert not [(t.user_text, t.reply, t.transcript) for t in a.db.conversations.search_turns(PIN)]
    exported = json.dumps(a.db.conversations.export_conversation(conv), ensure_ascii=False)
    assert "my pin is ••••" in exported
    assert not re.search(rf"(?<![0-9a-f.]){PIN}(?![0-9a-f])", exported)  # ids and timings are other digits


def test_wrong_pins_lock_confirmations_out_even_for_the_right_pin(with_pin: Assistant, clock: Clock) -> None:
    a = with_pin
    for guess in ("1111", "2222", "3333"):
        conv = _new(a)
        _ask_unlock(a, conv)
        r = a.handle_text(f"yes {guess}", conversation_id=conv)
        assert r.error in (ErrorCode.CONFIRM_WRONG_PIN.value, ErrorCode.CONFIRM_LOCKED.value)
    conv = _new(a)
    _ask_unlock(a, conv)
    locked = a.handle_text("yes 0042", conversation_id=conv)
    assert locked.error == ErrorCode.CONFIRM_LOCKED.value
    assert _state(a, LOCK) == "locked"
    clock.now += 31
    a.handle_text("yes 0042", conversation_id=conv)
    assert _state(a, LOCK) == "unlocked"


def test_button_answer_takes_the_pin_beside_it(with_pin: Assistant) -> None:
    a = with_pin
    conv = _new(a)
    _ask_unlock(a, conv)
    pending = a.pending(conv)
    assert pending is not None and pending.needs_pin
    wrong = a.answer_confirmation(conv, yes=True, pending_id=pending.id, pin="9999")
    assert wrong.error == ErrorCode.CONFIRM_WRONG_PIN.value
    assert _state(a, LOCK) == "locked"
    a.answer_confirmation(conv, yes=True, pending_id=pending.id, pin=PIN)
    assert _state(a, LOCK) == "unlocked"
    assert not a.db.conversations.search_turns(PIN)


def test_home_tab_unlock_needs_confirmation_and_the_pin(with_pin: Assistant) -> None:
    a = with_pin
    outcome = a.request_control(LOCK, "lock.unlock", owner="alice")
    assert outcome.status == "needs-confirmation" and outcome.pending is not None
    assert outcome.pending.needs_pin
    assert _state(a, LOCK) == "locked"
    no_pin = a.confirm_control(outcome.pending.id, owner="alice")
    assert no_pin.status == "refused" and no_pin.error_code == ErrorCode.CONFIRM_WRONG_PIN.value
    assert no_pin.pending == outcome.pending == a.pending_control(owner="alice")  # still waiting for the PIN
    assert a.pending_control(owner="mallory") is None
    other = a.confirm_control(outcome.pending.id, pin=PIN, owner="mallory")
    assert other.status == "refused"
    assert _state(a, LOCK) == "locked"
    done = a.confirm_control(outcome.pending.id, pin=PIN, owner="alice")
    assert done.status == "done" and all(x.success and x.confirmed_by_user for x in done.actions)
    assert _state(a, LOCK) == "unlocked"
    stale = a.confirm_control(outcome.pending.id, pin=PIN, owner="alice")
    assert stale.status == "refused" and stale.pending is None and a.pending_control(owner="alice") is None


def test_home_tab_cancel_and_expiry(a: Assistant, clock: Clock) -> None:
    first = a.request_control(GARAGE, "cover.open_cover", owner="bob")
    assert first.pending is not None
    a.cancel_control(first.pending.id, owner="bob")
    assert a.confirm_control(first.pending.id, owner="bob").status == "refused"
    second = a.request_control(GARAGE, "cover.open_cover", owner="bob")
    assert second.pending is not None
    clock.now += 61
    expired = a.confirm_control(second.pending.id, owner="bob")
    assert expired.error_code == ErrorCode.CONFIRM_EXPIRED.value
    assert _state(a, GARAGE) == "closed"


def test_home_tab_normal_controls_run_at_once(a: Assistant) -> None:
    outcome = a.request_control("light.kitchen", "light.turn_on", owner="bob")
    assert outcome.status == "done" and outcome.actions and outcome.actions[0].success
    assert _state(a, "light.kitchen") == "on"


# --------------------------------------------------------------------------- invisible characters (5)


@pytest.mark.parametrize(
    "text", ["un\u200block the front door", "un\u200c\u200dlock the front door", "\u202eunlock the front door",
             "unlock\u2060 the front door", "un\ufeffl\u00adock the front door"],
)  # fmt: skip
def test_invisible_characters_never_flip_an_unlock_into_a_lock(a: Assistant, text: str) -> None:
    r = a.handle_text(text, conversation_id=_new(a))
    assert not any(x.service == "lock.lock" for x in r.actions), r.reply
    assert r.needs_confirmation, r.reply  # understood as the unlock it is, so it asks
    assert _state(a, LOCK) == "locked"


def test_undecodable_text_is_refused_before_anything_runs_and_still_stored(a: Assistant) -> None:
    conv = _new(a)
    r = a.handle_text("turn on the kitchen light \udcff", conversation_id=conv)
    assert r.error == ErrorCode.INPUT_INVALID.value
    assert _state(a, "light.kitchen") == "off"
    stored = a.db.conversations.turns(conv)
    assert len(stored) == 1 and stored[0].error_code == ErrorCode.INPUT_INVALID.value


# --------------------------------------------------------------------------- the guard outside skills and LLM (3)


def test_a_skill_cannot_unlock_without_a_confirmation(a: Assistant) -> None:
    guarded = GuardedHome(a.home)
    with pytest.raises(AssistantError) as err:
        guarded.call_service("lock.unlock", [LOCK])
    assert err.value.code == ErrorCode.CONFIRM_REQUIRED
    assert _state(a, LOCK) == "locked"


def test_a_confirmation_approves_only_its_own_entity_and_service(a: Assistant) -> None:
    guarded = GuardedHome(a.home, {("lock.unlock", LOCK)})
    with pytest.raises(AssistantError):
        guarded.call_service("cover.open_cover", [GARAGE])
    assert _state(a, GARAGE) == "closed"
    guarded.call_service("lock.unlock", [LOCK])
    assert _state(a, LOCK) == "unlocked"


def test_normal_calls_pass_the_guard(a: Assistant) -> None:
    GuardedHome(a.home).call_service("light.turn_on", ["light.kitchen"])
    assert _state(a, "light.kitchen") == "on"
