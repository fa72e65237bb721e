"""Two workers (two pipelines, each with its own ``Database`` on one SQLite file or one PostgreSQL database) never run
turns of the same conversation at once: a turn leases its conversation (``turn:<id>`` in ``leases``) from start to
end; another worker's turn waits a moment, then fails cleanly with conversation-busy (stored, no skill call); a retry
of the same request id, or any turn after the lease expired, takes it over at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from assistant.dialogue import ConversationStates
from assistant.pipeline import Pipeline, PipelineOptions
from assistant.store import Database
from contracts.messages import ErrorCode, IntentMatch, SkillResult, Tier, Turn, TurnResult

from .conftest import OpenWorker

SLOW = "turn on the light slowly"
WAIT_S = 0.4


class _Understanding:
    def recognize(self, text: str, *, conversation_id: str, area: str | None = None) -> list[IntentMatch]:
        return [IntentMatch(intent="HassTurnOn", targets=("light.kitchen",), tier=Tier.TEMPLATE, confidence=1.0)]

    def observe(self, conversation_id: str, match: IntentMatch, result: SkillResult) -> None:
        pass


class _Skills:
    """Counts its turns in the conversation's skill state; a SLOW turn blocks until ``go`` is set."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.entered = threading.Event()
        self.go = threading.Event()

    def owner(self, intent: str) -> str | None:
        return "home"

    def make_context(self, skill_id: str, **kwargs: Any) -> dict[str, Any]:
        return kwargs

    def handle(self, match: IntentMatch, ctx: dict[str, Any]) -> SkillResult:
        self.calls.append((ctx["conversation_id"], ctx["text"]))
        state = ctx["state"]
        state["n"] = state.get("n", 0) + 1
        if ctx["text"] == SLOW:
            self.entered.set()
            assert self.go.wait(20)
        return SkillResult(text=f"Turn {state['n']}.")


class _Store:
    def __init__(self) -> None:
        self.turns: list[TurnResult] = []

    def ensure_conversation(self, conversation_id: str | None) -> str:
        return conversation_id or "new"

    def save_turn(self, result: TurnResult, *, policy_rule: str | None = None, owner: str | None = None) -> str:
        self.turns.append(result)
        return result.turn_id

    def owner_of(self, conversation_id: str) -> str | None:
        return None

    def recent(self, conversation_id: str, n: int) -> list[Any]:
        return []


class _Home:
    def entities(self) -> Sequence[Any]:
        return []

    def areas(self) -> Sequence[Any]:
        return []

    def states(self) -> dict[str, dict[str, Any]]:
        return {}


class _Worker:
    def __init__(self, db: Database, *, wait_s: float = WAIT_S) -> None:
        self.db = db
        self.skills = _Skills()
        self.store = _Store()
        self.pipeline = Pipeline(
            understanding=_Understanding(),
            skills=self.skills,
            store=self.store,
            home=_Home(),  # type: ignore[arg-type]
            conversations=ConversationStates(records=db.dialogue),
            options=PipelineOptions(turn_wait_s=wait_s, turn_lease_s=30.0),
        )

    def ask(self, text: str, conversation_id: str = "c", request_id: str | None = None) -> TurnResult:
        return self.pipeline.run(Turn(text=text, conversation_id=conversation_id, request_id=request_id))

    def start_slow(self, request_id: str, conversation_id: str = "c") -> tuple[threading.Thread, list[TurnResult]]:
        """A turn of this worker blocked inside its skill (holding the conversation) until ``skills.go`` is set."""
        out: list[TurnResult] = []
        thread = threading.Thread(target=lambda: out.append(self.ask(SLOW, conversation_id, request_id)), daemon=True)
        thread.start()
        assert self.skills.entered.wait(20)
        return thread, out

    def finish_slow(self, thread: threading.Thread) -> None:
        self.skills.go.set()
        thread.join(20)
        assert not thread.is_alive()


@pytest.fixture
def two(workers: OpenWorker) -> Any:
    first, second = _Worker(workers()), _Worker(workers())
    yield first, second
    for worker in (first, second):
        worker.skills.go.set()
        worker.pipeline.close()


def test_a_second_workers_turn_waits_then_fails_busy_and_never_runs_beside_the_first(two: Any) -> None:
    a, b = two
    thread, done = a.start_slow("a-1")
    assert a.db.dialogue.turn_holder("c") == "a-1"
    started = time.monotonic()
    busy = b.ask("turn on the light", request_id="b-1")
    waited = time.monotonic() - started
    assert busy.error == ErrorCode.CONVERSATION_BUSY.value and "try again" in busy.reply
    assert WAIT_S <= waited < WAIT_S + 5
    assert b.skills.calls == []  # nothing ran on worker B
    assert b.store.turns[-1].turn_id == "b-1" and b.store.turns[-1].error == busy.error  # the refusal is stored
    other = b.ask("turn on the light", conversation_id="d")  # another conversation on B is unaffected
    assert other.error is None and b.skills.calls == [("d", "turn on the light")]
    a.finish_slow(thread)
    assert done[0].error is None and done[0].reply == "Turn 1."
    assert a.db.dialogue.turn_holder("c") is None  # released at the end of the turn
    after = b.ask("turn on the light", request_id="b-2")
    assert after.error is None and after.reply == "Turn 2."  # B continues from A's saved state


def test_a_turn_that_waits_runs_once_the_other_workers_turn_ends(two: Any, workers: OpenWorker) -> None:
    a = two[0]
    b = _Worker(workers(), wait_s=10.0)
    try:
        thread, _ = a.start_slow("a-1")
        threading.Timer(0.3, a.skills.go.set).start()
        started = time.monotonic()
        result = b.ask("turn on the light", request_id="b-1")
        assert result.error is None and result.reply == "Turn 2."  # after A's turn, from its state
        assert 0.25 <= time.monotonic() - started < 10
        a.finish_slow(thread)
    finally:
        b.pipeline.close()


def test_a_retry_of_the_same_request_takes_the_lease_over_at_once(two: Any) -> None:
    a, b = two
    thread, _ = a.start_slow("req-1")  # worker A "dies" inside the turn (it stays blocked)
    started = time.monotonic()
    retried = b.ask("turn on the light", request_id="req-1")  # the client retries the same request on B
    assert retried.error is None and retried.turn_id == "req-1"
    assert time.monotonic() - started < WAIT_S  # no wait for the dead worker's lease
    assert b.skills.calls == [("c", "turn on the light")]
    a.finish_slow(thread)


def test_an_expired_lease_of_a_dead_worker_is_taken_over(two: Any) -> None:
    a, b = two
    assert a.db.leases.claim("turn:c", 30.0, now=time.time() - 60, holder="dead-turn")  # long expired
    started = time.monotonic()
    result = b.ask("turn on the light", request_id="b-1")
    assert result.error is None and time.monotonic() - started < WAIT_S
    assert b.db.dialogue.turn_holder("c") is None
    assert a.db.dialogue.claim_turn("c", "dying-turn", 0.2)  # a worker leases it and dies
    time.sleep(0.3)
    assert b.ask("turn on the light", request_id="b-2").error is None
