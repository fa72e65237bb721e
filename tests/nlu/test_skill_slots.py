"""Skills' slot readers (``IntentSpec.read_slots``) applied by the engine, whichever tier matched. Requests written
for these tests, not taken from an evaluation set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.config import NluConfig
from assistant.nlu import Understanding, create_understanding
from assistant.nlu.normalize import split_commands
from assistant.nlu.skill_slots import read_skill_slots, slot_readers
from contracts.messages import IntentMatch, Tier
from contracts.skills import IntentSpec
from devices import create_home
from skills.registry import SkillRegistry
from tests.nlu.fakes import FakeHome

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class _SI:
    skill_id: str
    spec: IntentSpec


def _count_reader(text: str, slots: Mapping[str, Any], areas: Sequence[str]) -> dict[str, Any]:
    """Reads 'N eggs' and names the first area said."""
    out = dict(slots)
    for word, following in zip(text.split(), text.split()[1:], strict=False):
        if word.isdigit() and following.startswith("egg"):
            out["count"] = int(word)
    said = [a for a in areas if a.lower() in text.lower()]
    if said:
        out["area"] = said[0]
    return out


def _broken_reader(text: str, slots: Mapping[str, Any], areas: Sequence[str]) -> dict[str, Any]:
    raise RuntimeError("a bug in a skill")


def _engine(home: FakeHome, reader: Any) -> Understanding:
    intents = [
        _SI("eggs", IntentSpec("BoilEggs", examples=("boil some eggs", "cook eggs for breakfast"), read_slots=reader)),
        _SI("jokes", IntentSpec("TellJoke", examples=("tell me a joke", "make me laugh"))),
    ]
    return create_understanding(NluConfig(llm=False), home=home, intents=intents, embedder=None, llm=None)


def test_a_semantic_match_carries_the_slots_its_reader_finds(home: FakeHome) -> None:
    match = _engine(home, _count_reader).recognize("boil 3 eggs please", conversation_id="e")[0]
    assert (match.intent, match.tier) == ("BoilEggs", Tier.SEMANTIC)
    assert match.slots["count"] == 3
    area = next(iter(a.name for a in home.areas()))
    text = f"cook 2 eggs for breakfast in the {area.lower()}"
    assert _engine(home, _count_reader).recognize(text, conversation_id="a")[0].slots == {"count": 2, "area": area}


def test_a_reader_that_fails_does_not_break_recognition(home: FakeHome, caplog: pytest.LogCaptureFixture) -> None:
    engine = _engine(home, _broken_reader)
    match = engine.recognize("boil 3 eggs please", conversation_id="b")[0]
    assert (match.intent, dict(match.slots)) == ("BoilEggs", {})
    assert "slot reader of BoilEggs failed" in caplog.text
    assert engine.recognize("tell me a joke", conversation_id="j")[0].intent == "TellJoke"


def test_readers_skip_dialogue_answers_and_questions() -> None:
    readers = slot_readers([IntentSpec("BoilEggs", read_slots=_count_reader), IntentSpec("TellJoke")])
    assert list(readers) == ["BoilEggs"]
    for match in (
        IntentMatch("BoilEggs", {}, tier=Tier.DIALOGUE, text="4 eggs"),
        IntentMatch("BoilEggs", {}, tier=Tier.SEMANTIC, text="4 eggs", clarification="Which pot?"),
        IntentMatch("TellJoke", {}, tier=Tier.SEMANTIC, text="4 eggs"),
    ):
        assert read_skill_slots(match, readers, ()) is match
    read = read_skill_slots(IntentMatch("BoilEggs", {}, tier=Tier.TEMPLATE, text="4 eggs"), readers, ())
    assert read.slots == {"count": 4}
    odd = slot_readers([IntentSpec("BoilEggs", read_slots=lambda *_a: None)])  # type: ignore[arg-type,return-value]
    kept = IntentMatch("BoilEggs", {"count": 1}, tier=Tier.SEMANTIC, text="4 eggs")
    assert read_skill_slots(kept, odd, ()) is kept


@pytest.fixture(scope="module")
def timer_engine() -> Understanding:
    home = create_home(file=ROOT / "config" / "homes" / "default.yaml", adapter="simulated", data_dir=None,
                       persist=False)  # fmt: skip
    intents = list(SkillRegistry.load(folder=None, entry_points=True).intents())
    return create_understanding(NluConfig(llm=False), home=home, intents=intents, embedder=None, llm=None)


@pytest.mark.parametrize(
    ("text", "tier", "intent", "slots"),
    [
        ("set a pasta timer for 8 minutes", Tier.SEMANTIC, "HassStartTimer", {"minutes": 8, "name": "pasta"}),
        ("count down 30 seconds", Tier.SEMANTIC, "HassStartTimer", {"seconds": 30}),
        ("decrease my 12 seconds timer by 34 minutes", Tier.TEMPLATE, "HassDecreaseTimer",
         {"start_seconds": 12, "minutes": 34}),
        ("remove 3 minutes from my kitchen timer", Tier.TEMPLATE, "HassDecreaseTimer",
         {"minutes": 3, "area": "Kitchen"}),
    ],
)  # fmt: skip
def test_timer_requests_carry_home_assistant_slots(
    timer_engine: Understanding, text: str, tier: Tier, intent: str, slots: dict[str, Any]
) -> None:
    match = timer_engine.recognize(text, conversation_id=text)[0]
    assert (match.intent, match.tier, dict(match.slots)) == (intent, tier, slots)


def test_a_held_out_wildcard_line_no_longer_names_a_timer_by_its_duration(timer_engine: Understanding) -> None:
    # without the start_minutes line, the free-text name line matches; the reader converts its 'name'
    timer_engine.hold_out_templates(["HassCancelTimer/3/0", "HassCancelTimer/3/1"])
    try:
        match = timer_engine.recognize("cancel my 30-minutes timer", conversation_id="h")[0]
    finally:
        timer_engine.hold_out_templates([])
    assert (match.intent, dict(match.slots)) == ("HassCancelTimer", {"start_minutes": 30})


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("decrease timer by 75 and half hour", ["decrease timer by 75 and half hour"]),
        ("set a timer for an hour and a half", ["set a timer for an hour and a half"]),
        ("add 5 minutes and a half to the timer", ["add 5 minutes and a half to the timer"]),
        ("turn on the light and close the blinds", ["turn on the light", "close the blinds"]),
        ("turn on the kitchen light and half brightness in the bedroom",
         ["turn on the kitchen light", "half brightness in the bedroom"]),
    ],
)  # fmt: skip
def test_and_a_half_is_one_amount_not_two_commands(text: str, parts: list[str]) -> None:
    assert split_commands(text) == parts
