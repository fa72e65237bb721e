"""Dialogue state: yes/no/cancel parsing, follow-up detection, observe."""

from __future__ import annotations

import pytest

from assistant.dialogue import CONFIRM, DENY, NEVERMIND, DialogueStore, is_follow_up, parse_confirmation
from contracts.messages import Action, IntentMatch, SkillResult

from .conftest import OpenWorker


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yes", (CONFIRM, None)), ("Yes please, 4321", (CONFIRM, "4321")), ("go ahead", (CONFIRM, None)),
     ("no", (DENY, None)), ("nope", (DENY, None)), ("never mind", (NEVERMIND, None)), ("cancel", (NEVERMIND, None)),
     ("1 2 3 4", (CONFIRM, "1234")), ("cancel all timers", None), ("stop the music", None),
     ("turn on the light", None)],
)  # fmt: skip
def test_parse_confirmation(text: str, expected: tuple[str, str | None] | None) -> None:
    assert parse_confirmation(text) == expected


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("and the bedroom", "the bedroom"), ("what about the fan", "the fan"), ("the kitchen too", "the kitchen"),
     ("turn on the light", None)],
)  # fmt: skip
def test_is_follow_up(text: str, phrase: str | None) -> None:
    assert is_follow_up(text) == phrase


def test_observe_keeps_acted_targets_and_confirmation_flag() -> None:
    store = DialogueStore()
    match = IntentMatch("HassTurnOn", {"domain": "light"}, ("light.a", "light.b"))
    store.observe("c", match, SkillResult("ok", actions=(Action("light.a", "light.turn_on", success=True),)))
    state = store.get("c")
    assert state.last_targets == ("light.a",) and state.last_intent == "HassTurnOn"
    store.observe("c", match, SkillResult("Sure?", needs_confirmation=True))
    assert store.get("c").awaiting_confirmation


class _Records:
    """In-memory DialogueRecords shared by two 'workers'."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[int, dict[str, object]]] = {}

    def version(self, conversation_id: str) -> int | None:
        row = self.rows.get(conversation_id)
        return row[0] if row else None

    def load(self, conversation_id: str) -> tuple[int, dict[str, object]] | None:
        return self.rows.get(conversation_id)

    def save(self, conversation_id: str, data: object, *, expected: int | None = None) -> int:
        stored = self.version(conversation_id) or 0
        if expected is not None and expected != stored:
            from contracts.messages import AssistantError, ErrorCode

            raise AssistantError(ErrorCode.CONVERSATION_CONFLICT, "stale")
        version = stored + 1
        self.rows[conversation_id] = (version, dict(data))  # type: ignore[call-overload]
        return version

    def delete(self, conversation_id: str) -> None:
        self.rows.pop(conversation_id, None)


def test_dialogue_state_moves_between_workers_through_the_records() -> None:
    from assistant.dialogue.state import DialogueStore
    from contracts.messages import Candidate, IntentMatch, SkillResult

    records = _Records()
    one, two = DialogueStore(records=records), DialogueStore(records=records)
    match = IntentMatch("HassTurnOn", slots={"name": "kitchen light"}, targets=("light.kitchen",))
    one.observe("c1", match, SkillResult("Turned on the kitchen light."))
    seen = two.get("c1")
    assert (seen.last_intent, seen.last_targets, seen.last_slots) == (
        "HassTurnOn",
        ("light.kitchen",),
        {"name": "kitchen light"},
    )
    options = (
        Candidate("HassTurnOn", ("light.a",), description="A"),
        Candidate("HassTurnOn", ("light.b",), description="B"),
    )
    two.ask("c1", IntentMatch("HassTurnOn", clarification="Which one?"), options)
    back = one.get("c1")
    assert back.pending is not None and [o.targets for o in back.pending.options] == [("light.a",), ("light.b",)]
    assert one.get("c1") is back  # unchanged since: the same object (the engine changes it in place within a turn)
    one.forget("c1")
    assert records.rows == {} and two.get("c1").last_intent is None


def test_dialogue_state_moves_between_workers_through_the_database(workers: OpenWorker) -> None:
    from assistant.dialogue.state import DialogueStore
    from contracts.messages import Candidate, IntentMatch, SkillResult

    db = workers()
    one, two = DialogueStore(records=db.dialogue), DialogueStore(records=workers().dialogue)
    match = IntentMatch("HassTurnOn", slots={"name": "kitchen light"}, targets=("light.kitchen",))
    one.observe("c1", match, SkillResult("Turned on the kitchen light."))
    seen = two.get("c1")
    assert (seen.last_intent, seen.last_targets, seen.last_slots) == (
        "HassTurnOn",
        ("light.kitchen",),
        {"name": "kitchen light"},
    )
    options = (
        Candidate("HassTurnOn", ("light.a",), description="A"),
        Candidate("HassTurnOn", ("light.b",), description="B"),
    )
    two.ask("c1", IntentMatch("HassTurnOn", clarification="Which one?"), options)
    back = one.get("c1")
    assert back.pending is not None and [o.targets for o in back.pending.options] == [("light.a",), ("light.b",)]
    assert one.get("c1") is back
    one.forget("c1")
    assert db.dialogue.load("c1") is None and two.get("c1").last_intent is None


def test_the_last_skill_turn_is_shared_between_workers(workers: OpenWorker) -> None:
    """'@followup' evidence (the previous turn went to this skill, e.g. a timer turn without targets) is part of the
    conversation's state, so 'add five minutes' refers to the timer whichever worker gets it."""
    from assistant.dialogue.state import DialogueStore

    one, two = DialogueStore(records=workers().dialogue), DialogueStore(records=workers().dialogue)
    one.get("c2").ran_intent = "HassStartTimer"
    one.save("c2")
    assert two.get("c2").ran_intent == "HassStartTimer" and two.get("c2").last_targets == ()
