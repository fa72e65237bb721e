"""'Turn on the heating' heats: the mode a request names is set when the thermostat has it. Written for tests."""

from __future__ import annotations

import pytest

from assistant.config import NluConfig
from assistant.nlu import create_understanding
from assistant.nlu.lexicon import hvac_mode
from contracts.home import Area, Entity
from contracts.intents import entity_supports, service_call
from contracts.skills import SkillContext
from skills.home_control import HomeControlSkill
from tests.nlu.fakes import FakeHome


def _thermostat(modes: list[str] | None = None, state: str = "off") -> Entity:
    attrs: dict[str, object] = {"temperature": 20}
    if modes is not None:
        attrs["hvac_modes"] = modes
    return Entity("climate.hall", "Hall Thermostat", state, attrs, (), "hall")


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("turn on the heating", "heat"),
        ("put the heater on", "heat"),
        ("warm up the hall", "heat"),
        ("switch the ac on", "cool"),
        ("turn on the air conditioning", "cool"),
        ("turn on the thermostat", None),
        ("heat or cool, whatever", None),
    ],
)
def test_mode_words(text: str, mode: str | None) -> None:
    assert hvac_mode(text) == mode


def test_turn_on_with_a_mode_sets_that_mode_when_the_thermostat_has_it() -> None:
    t = _thermostat(["off", "cool", "heat"])
    assert service_call("HassTurnOn", t, {"hvac_mode": "heat"}) == ("climate.set_hvac_mode", {"hvac_mode": "heat"})
    assert entity_supports("HassTurnOn", t, {"hvac_mode": "heat"})
    assert service_call("HassTurnOn", t, {}) == ("climate.turn_on", {})


def test_a_mode_the_thermostat_lacks_is_a_plain_turn_on() -> None:
    t = _thermostat(["off", "cool"])
    assert service_call("HassTurnOn", t, {"hvac_mode": "heat"}) == ("climate.turn_on", {})
    assert service_call("HassTurnOff", t, {"hvac_mode": "heat"}) == ("climate.turn_off", {})


def test_turn_on_the_heating_heats_a_thermostat_that_last_cooled() -> None:
    home = FakeHome([_thermostat(["off", "cool", "heat"])], [Area("hall", "Hall")])
    engine = create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=None, llm=None)
    m = engine.recognize("turn on the heating in the hall", conversation_id="c")[0]
    assert (m.intent, m.targets, m.slots.get("hvac_mode")) == ("HassTurnOn", ("climate.hall",), "heat")
    result = HomeControlSkill().turn_on(m, SkillContext("c", "turn on the heating", {}, {}, home=home))
    assert result.success
    assert home.calls[-1][0] == "climate.set_hvac_mode"
    assert home.calls[-1][2] == {"hvac_mode": "heat"}
