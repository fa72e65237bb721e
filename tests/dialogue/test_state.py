"""Dialogue state: yes/no/cancel parsing, follow-up detection, observe."""

from __future__ import annotations

import pytest

from assistant.dialogue import CONFIRM, DENY, NEVERMIND, DialogueStore, is_follow_up, parse_confirmation
from assistant.messages import Action, IntentMatch, SkillResult


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
