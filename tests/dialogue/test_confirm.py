"""The confirmation grammar and service in isolation (no engine)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.dialogue.confirm import (
    AnswerKind,
    ConfirmationService,
    PendingStore,
    StoredPendingStore,
    VerdictKind,
    clean_text,
    parse_answer,
    redact_digits,
)
from contracts.messages import AssistantError, ErrorCode

from .conftest import OpenWorker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "kind", "pin"),
    [
        ("yes", AnswerKind.YES, None),
        ("Yes!", AnswerKind.YES, None),
        ("yes please", AnswerKind.YES, None),
        ("ok, do it", AnswerKind.YES, None),
        ("yes 0042", AnswerKind.YES, "0042"),
        ("yes, my pin is 0 0 4 2", AnswerKind.YES, "0042"),
        ("0042", AnswerKind.YES, "0042"),
        ("the code is 1234 thanks", AnswerKind.YES, "1234"),
        ("no", AnswerKind.NO, None),
        ("absolutely not", AnswerKind.NO, None),
        ("absolutely not 0042", AnswerKind.NO, "0042"),
        ("yeah no", AnswerKind.NO, None),
        ("sure not now", AnswerKind.NO, None),
        ("maybe later", AnswerKind.NO, None),
        ("I don't think so", AnswerKind.NO, None),
        ("cancel", AnswerKind.CANCEL, None),
        ("ok cancel that", AnswerKind.CANCEL, None),
        ("never mind", AnswerKind.CANCEL, None),
        ("ok stop", AnswerKind.CANCEL, None),
    ],
)
def test_answers(text: str, kind: AnswerKind, pin: str | None) -> None:
    answer = parse_answer(text)
    assert answer is not None and answer.kind == kind and answer.pin == pin


@pytest.mark.parametrize(
    "text",
    [
        "ok, turn on the kitchen light",
        "right, what time is it?",
        "yes and open the garage door",
        "sure, unlock the back door too",
        "stop the vacuum",
        "no, turn on the kitchen light instead",
        "okay google",
        "",
        "   ",
        "12",
    ],
)
def test_anything_else_is_not_an_answer(text: str) -> None:
    assert parse_answer(text) is None


@given(st.text(max_size=60))
def test_a_negation_word_anywhere_never_reads_as_yes(prefix: str) -> None:
    for word in ("not", "no", "never", "cancel", "maybe", "don't"):
        answer = parse_answer(f"yes {prefix} {word}")
        assert answer is None or answer.kind != AnswerKind.YES


def test_clean_text_removes_invisible_characters_and_rejects_surrogates() -> None:
    assert clean_text("un\u200block\u2060 the\u00ad door\ufeff") == "unlock the door"
    assert clean_text("a\x00b\tc") == "a b\tc"
    with pytest.raises(AssistantError) as err:
        clean_text("bad \udcff")
    assert err.value.code == ErrorCode.INPUT_INVALID


def test_redact_digits() -> None:
    assert redact_digits("yes my pin is 0 0 4 2", "0042") == "yes my pin is ••••"
    assert redact_digits("yes 10042", "0042") == "yes 10042"
    assert redact_digits("yes 0042", None) == "yes 0042"


def _service(clock: Clock, store: PendingStore | None = None, **kwargs: object) -> ConfirmationService:
    return ConfirmationService(clock=clock, store=store, **kwargs)  # type: ignore[arg-type]


def test_hold_and_confirm_once(pending_store: PendingStore | None) -> None:
    clock = Clock()
    svc = _service(clock, pending_store)
    held = svc.hold("c1", question="Unlock?", owner=None, approved=[("lock.unlock", "lock.a")])
    assert svc.current("c1") == held
    verdict = svc.resolve("c1", yes=True)
    assert verdict.kind == VerdictKind.CONFIRMED and verdict.held == held
    assert svc.resolve("c1", yes=True).kind == VerdictKind.NOT_PENDING


def test_expiry_is_reported_once(pending_store: PendingStore | None) -> None:
    clock = Clock()
    svc = _service(clock, pending_store, ttl_s=60)
    svc.hold("c1", question="Unlock?", owner=None, approved=())
    clock.now = 60.0
    assert svc.current("c1") is None
    assert svc.resolve("c1", yes=True).kind == VerdictKind.EXPIRED
    assert svc.resolve("c1", yes=True).kind == VerdictKind.NOT_PENDING


def test_owner_and_id_binding(pending_store: PendingStore | None) -> None:
    clock = Clock()
    svc = _service(clock, pending_store)
    held = svc.hold("c1", question="Unlock?", owner="alice", approved=())
    assert svc.current("c1", owner="bob") is None
    assert svc.resolve("c1", yes=True, owner="bob").kind == VerdictKind.NOT_PENDING
    assert svc.resolve("c1", yes=True, owner="alice", pending_id="other").kind == VerdictKind.NOT_PENDING
    assert svc.resolve("c1", yes=True, owner="alice", pending_id=held.id).kind == VerdictKind.CONFIRMED


def test_wrong_pins_drop_the_action_and_lock_with_doubling_back_off(pending_store: PendingStore | None) -> None:
    clock = Clock()
    svc = _service(clock, pending_store, pin="0042", max_attempts=3, lockout_s=30)
    svc.hold("c1", question="Unlock?", owner=None, approved=())
    assert svc.resolve("c1", yes=True).kind == VerdictKind.WRONG_PIN  # no PIN at all
    assert svc.resolve("c1", yes=True, pin="1111").kind == VerdictKind.WRONG_PIN
    third = svc.resolve("c1", yes=True, pin="2222")
    assert third.kind == VerdictKind.WRONG_PIN and "locked for 30" in third.message
    assert svc.current("c1") is None  # dropped after three wrong PINs
    svc.hold("c2", question="Unlock?", owner=None, approved=())
    assert svc.resolve("c2", yes=True, pin="0042").kind == VerdictKind.LOCKED
    clock.now = 31.0
    for guess in ("1", "2", "3"):
        svc.hold("c3", question="Unlock?", owner=None, approved=())
        last = svc.resolve("c3", yes=True, pin=guess * 4)
    assert "locked for 60" in last.message  # the second lockout is twice as long
    clock.now = 92.0
    assert svc.resolve("c2", yes=True, pin="0042").kind == VerdictKind.EXPIRED  # c2 waited too long meanwhile
    svc.hold("c4", question="Unlock?", owner=None, approved=())
    assert svc.resolve("c4", yes=True, pin="0042").kind == VerdictKind.CONFIRMED


def test_no_always_drops_even_when_locked(pending_store: PendingStore | None) -> None:
    clock = Clock()
    svc = _service(clock, pending_store, pin="0042", max_attempts=1, lockout_s=30)
    svc.hold("c1", question="Unlock?", owner=None, approved=())
    svc.resolve("c1", yes=True, pin="1")
    svc.hold("c1", question="Unlock?", owner=None, approved=())
    assert svc.resolve("c1", yes=False).kind == VerdictKind.DENIED
    assert svc.current("c1") is None


def test_listeners_hear_set_and_resolved(pending_store: PendingStore | None) -> None:
    clock = Clock()
    svc = _service(clock, pending_store)
    heard: list[tuple[str, str | None]] = []
    svc.subscribe(lambda key, pid: heard.append((key, pid)))
    held = svc.hold("c1", question="Unlock?", owner=None, approved=())
    svc.resolve("c1", yes=False)
    assert heard == [("c1", held.id), ("c1", None)]


def test_an_action_held_on_one_worker_is_answered_on_another(workers: OpenWorker) -> None:
    clock = Clock()
    one = _service(clock, StoredPendingStore(workers().pending), pin="0042")
    two = _service(clock, StoredPendingStore(workers().pending), pin="0042")
    held = one.hold("c1", question="Unlock?", owner="alice", approved=[("lock.unlock", "lock.a")])
    assert two.current("c1", owner="alice") == held
    assert two.resolve("c1", yes=True, pin="0042", owner="alice").kind == VerdictKind.CONFIRMED
    assert one.resolve("c1", yes=True, pin="0042", owner="alice").kind == VerdictKind.NOT_PENDING
