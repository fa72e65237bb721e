"""One ConversationState per conversation: bounded in memory, and through the store any worker continues a
conversation, with a version so two workers never overwrite each other's turn silently."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from assistant.dialogue import ConversationStates, DialogueStore
from contracts.messages import AssistantError, Candidate, ErrorCode, IntentMatch, SkillResult

from .conftest import OpenWorker

MATCH = IntentMatch("HassTurnOn", slots={"name": "kitchen light"}, targets=("light.kitchen",))


def test_memory_states_are_bounded_least_recently_used_first() -> None:
    states = ConversationStates(max_conversations=2)
    states.get("a").language = "en"
    states.get("b")
    states.get("a")  # a is used again: b is now the oldest
    states.get("c")
    assert "a" in states and "c" in states and "b" not in states and len(states) == 2


def test_a_state_in_a_turn_is_never_evicted() -> None:
    states = ConversationStates(max_conversations=1)
    with states.turn("a") as held:
        states.get("b")
        states.get("c")
        assert states.peek("a") is held
    states.get("d")
    assert "a" not in states


def test_memory_states_expire_after_silence() -> None:
    states = ConversationStates(ttl_s=60)
    state = states.get("a")
    state.skill_state("timer")["last"] = 1
    state.touched = time.time() - 61
    assert states.get("a") is not state and states.get("a").skills == {}


def test_dialogue_skills_and_trace_are_one_object_per_conversation() -> None:
    dialogue = DialogueStore()
    states = dialogue.states
    dialogue.observe("c", MATCH, SkillResult("Done."))
    states.skill_state("c", "timer")["n"] = 1
    states.get("c").trace = "the trace"
    state = states.get("c")
    assert state.dialogue is dialogue.get("c") and state.dialogue.last_targets == ("light.kitchen",)
    assert state.skills == {"timer": {"n": 1}} and state.trace == "the trace"
    dialogue.forget("c")
    assert states.peek("c") is None


def test_the_skill_registry_keeps_skill_state_in_the_conversation() -> None:
    from skills.registry import SkillRegistry

    registry = SkillRegistry()
    states = ConversationStates()
    registry.use_states(states.skill_state)
    registry.state("c", "timer")["n"] = 2
    assert states.get("c").skills["timer"] == {"n": 2}


def test_a_conversation_moves_between_workers_through_the_store(workers: OpenWorker) -> None:
    one, two = ConversationStates(records=workers().dialogue), ConversationStates(records=workers().dialogue)
    with one.turn("c") as state:
        state.language = "de"
        state.skill_state("timer")["last"] = "tea"
        DialogueStore(states=one).observe("c", MATCH, SkillResult("Done."))
    seen = two.get("c")
    assert seen.language == "de" and seen.skills == {"timer": {"last": "tea"}}
    assert seen.dialogue.last_targets == ("light.kitchen",) and seen.version >= 2
    options = (Candidate("HassTurnOn", ("light.a",), description="A"), Candidate("HassTurnOn", ("light.b",)))
    with two.turn("c"):
        DialogueStore(states=two).ask("c", IntentMatch("HassTurnOn", clarification="Which one?"), options)
    back = one.get("c").dialogue.pending
    assert back is not None and [o.targets for o in back.options] == [("light.a",), ("light.b",)]
    one.forget("c")
    assert two.get("c").dialogue.pending is None  # forgotten on the other worker too


def test_a_save_from_a_stale_version_raises_and_writes_nothing(workers: OpenWorker) -> None:
    db = workers()
    one, two = ConversationStates(records=db.dialogue), ConversationStates(records=workers().dialogue)
    DialogueStore(states=one).observe("c", MATCH, SkillResult("Done."))
    assert db.dialogue.version("c") == 1  # saved at once, outside a turn too (an empty repository is no default)
    stale = one.get("c")
    other = two.get("c")
    other.dialogue.last_intent = "HassTurnOff"
    two.save("c")  # worker two continued the conversation
    stale.dialogue.last_intent = "HassLightSet"
    with pytest.raises(AssistantError) as conflict:
        one.save("c")
    assert conflict.value.code == ErrorCode.CONVERSATION_CONFLICT
    loaded = db.dialogue.load("c")
    assert loaded is not None and loaded[1]["last_intent"] == "HassTurnOff"


def test_saves_during_a_turn_wait_for_its_end_and_a_late_conflict_keeps_the_newer_state(
    workers: OpenWorker, caplog: pytest.LogCaptureFixture
) -> None:
    db = workers()
    one, two = ConversationStates(records=db.dialogue), ConversationStates(records=workers().dialogue)
    with one.turn("c") as state:
        claimed = db.dialogue.version("c")
        DialogueStore(states=one).observe("c", MATCH, SkillResult("Done."))
        assert db.dialogue.version("c") == claimed  # not yet: the turn saves once, at its end
    assert db.dialogue.version("c") == claimed + 1
    with one.turn("c") as state:
        state.language = "en"
        other = two.get("c")
        other.language = "sv"
        two.save("c")  # another worker took the conversation over while this turn ran (its claim had expired)
    assert "continued elsewhere" in caplog.text
    assert two.get("c").language == "sv" and db.dialogue.load("c") is not None


def test_a_turn_whose_start_loses_the_race_is_retried_once_from_the_fresh_state(workers: OpenWorker) -> None:
    db = workers()
    one, two = (
        ConversationStates(records=_RaceOnce(db.dialogue, workers().dialogue)),
        ConversationStates(records=db.dialogue),
    )
    with two.turn("c") as state:
        state.language = "fr"
    with one.turn("c") as state:  # its first claim loses to a save made in between; the retry starts afresh
        assert state.language == "fr" and state.skills == {"raced": {"by": "other"}}
        state.language = "it"
    assert two.get("c").language == "it"


def test_a_turn_that_keeps_losing_fails_cleanly_before_running(workers: OpenWorker) -> None:
    records = _AlwaysRaced(workers().dialogue)
    states = ConversationStates(records=records)
    ran = False
    with pytest.raises(AssistantError) as conflict, states.turn("c"):
        ran = True
    assert conflict.value.code == ErrorCode.CONVERSATION_CONFLICT and not ran
    assert records.attempts == 2  # the first claim and one retry


def test_a_turn_leases_its_conversation_so_another_workers_turn_fails_busy(workers: OpenWorker) -> None:
    one, two = ConversationStates(records=workers().dialogue), ConversationStates(records=workers().dialogue)
    ran = False
    with one.turn("c", turn_id="a", lease_s=0.3) as state:
        state.language = "de"
        time.sleep(0.45)  # longer than the lease: it is renewed while the turn runs
        with pytest.raises(AssistantError) as busy, two.turn("c", turn_id="b", wait_s=0.1):
            ran = True
        assert busy.value.code == ErrorCode.CONVERSATION_BUSY and not ran
    with two.turn("c", turn_id="b", wait_s=0.0) as state:  # released at the end: free at once, with its state
        assert state.language == "de"


def test_a_turn_of_the_same_id_takes_the_lease_over_and_memory_turns_only_queue(workers: OpenWorker) -> None:
    one, two = ConversationStates(records=workers().dialogue), ConversationStates(records=workers().dialogue)
    with one.turn("c", turn_id="a"), two.turn("c", turn_id="a", wait_s=0.0) as state:
        state.language = "fr"
    memory, ran = ConversationStates(), []

    def second() -> None:
        with memory.turn("c", turn_id="b", wait_s=0.0):
            ran.append("b")

    with memory.turn("c", turn_id="a"):  # no records: the lock serialises turns; nobody is told busy
        waiting = threading.Thread(target=second, daemon=True)
        waiting.start()
        waiting.join(0.2)
        assert waiting.is_alive() and ran == []
    waiting.join(5)
    assert ran == ["b"]


class _RaceOnce:
    """Records whose first compare-and-set loses: another worker saves just before it."""

    def __init__(self, records: Any, other: Any) -> None:
        self._records, self._other, self._raced = records, other, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._records, name)

    def save(self, conversation_id: str, data: Mapping[str, Any], *, expected: int | None = None) -> int:
        if not self._raced and expected is not None:
            self._raced = True
            loaded = self._other.load(conversation_id)
            record = dict(loaded[1]) if loaded else {}
            record["skills"] = {"raced": {"by": "other"}}
            self._other.save(conversation_id, record)
        return int(self._records.save(conversation_id, data, expected=expected))


class _AlwaysRaced(_RaceOnce):
    """Records where another worker always saves first."""

    def __init__(self, records: Any) -> None:
        super().__init__(records, records)
        self.attempts = 0

    def save(self, conversation_id: str, data: Mapping[str, Any], *, expected: int | None = None) -> int:
        if expected is not None:
            self.attempts += 1
            self._records.save(conversation_id, {"by": "other"})
        return int(self._records.save(conversation_id, data, expected=expected))
