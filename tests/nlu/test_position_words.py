"""Position words for valves and covers: 'half open', 'partially open', 'a quarter', 'fully closed' set a position,
never a full open. Requests written for these tests."""

from __future__ import annotations

import pytest

from assistant.config import NluConfig
from assistant.nlu import create_understanding
from assistant.nlu.normalize import normalize, parse_params
from contracts.home import Area, Entity
from tests.nlu.fakes import FakeHome


@pytest.mark.parametrize(
    ("text", "percent"),
    [
        ("half open the tap", 50),
        ("partially open the tap", 50),
        ("open the tap a quarter", 25),
        ("open the blinds three quarters", 75),
        ("set the tap to fully closed", 0),
        ("open the blinds fully", 100),
        ("set it to 30%", 30),
        ("open the tap", None),
    ],
)
def test_level_words(text: str, percent: int | None) -> None:
    assert parse_params(normalize(text)).percent == percent


def _home() -> FakeHome:
    services = frozenset({"valve.open_valve", "valve.close_valve", "valve.set_valve_position"})
    tap = Entity("valve.garden_tap", "Garden Tap", "closed", {"current_position": 0}, (), "yard", services=services)
    return FakeHome([tap], [Area("yard", "Yard")])


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("set the garden tap to half open", 50),
        ("half open the garden tap", 50),
        ("partially open the garden tap", 50),
        ("set the garden tap to fully closed", 0),
    ],
)
def test_position_words_set_a_position(text: str, position: int) -> None:
    engine = create_understanding(NluConfig(llm=False), home=_home(), intents=[], embedder=None, llm=None)
    m = engine.recognize(text, conversation_id="c")[0]
    assert (m.intent, m.targets, m.slots.get("position")) == ("HassSetPosition", ("valve.garden_tap",), position)
