"""Of several devices with one name, an on/off request means the one not already as it would leave it ('turn on the
bedroom light' where the other bedroom lights are on). Homes and requests written for these tests."""

from __future__ import annotations

from assistant.config import NluConfig
from assistant.nlu import create_understanding
from assistant.nlu.catalog import build_index
from assistant.nlu.resolve import resolve_targets
from contracts.home import Area, Entity
from tests.nlu.fakes import FakeHome


def _home(states: tuple[str, str, str]) -> FakeHome:
    areas = [Area("a", "Attic"), Area("b", "Basement"), Area("c", "Cellar")]
    lights = [Entity(f"light.bedroom_{k}", "Bedroom Light", s, {}, (), k) for k, s in zip("abc", states, strict=True)]
    return FakeHome(lights, areas)


def test_the_one_still_to_change_is_meant() -> None:
    home = _home(("on", "off", "on"))
    index = build_index(home)
    assert resolve_targets(index, "HassTurnOn", {"name": "Bedroom Light"}, live=home.entity).targets == (
        "light.bedroom_b",
    )
    assert resolve_targets(index, "HassTurnOff", {"name": "Bedroom Light"}, live=home.entity).clarification
    engine = create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=None, llm=None)
    m = engine.recognize("turn on the bedroom light", conversation_id="c")[0]
    assert (m.intent, m.targets) == ("HassTurnOn", ("light.bedroom_b",))


def test_without_live_states_or_with_two_to_change_it_asks() -> None:
    home = _home(("off", "off", "on"))
    index = build_index(home)
    assert resolve_targets(index, "HassTurnOn", {"name": "Bedroom Light"}, live=home.entity).clarification
    assert resolve_targets(index, "HassTurnOn", {"name": "Bedroom Light"}).clarification


def test_a_brightness_change_never_lands_on_an_unlit_namesake_by_the_room_word() -> None:
    areas = [Area("bedroom", "Bedroom"), Area("master", "Master Bedroom")]
    lights = [
        Entity("light.bedroom_light", "Bedroom Light", "off", {"supported_color_modes": ["brightness"]}, (), "bedroom"),
        Entity("light.bedroom_light_2", "Bedroom Light", "on",
               {"supported_color_modes": ["brightness"], "brightness": 255}, (), "master"),
    ]  # fmt: skip
    home = FakeHome(lights, areas)
    engine = create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=None, llm=None)
    m = engine.recognize("dim the bedroom light to 30%", conversation_id="c")[0]
    assert "light.bedroom_light" not in m.targets  # the room word is part of both names: it does not decide
    assert m.targets == ("light.bedroom_light_2",) or m.clarification


def test_a_room_and_a_short_name_mean_the_rooms_device_whose_name_ends_so() -> None:
    areas = [Area("living", "Living Room"), Area("guest", "Guest Bedroom")]
    lights = [
        Entity("light.light", "Light", "off", {}, (), "living"),
        Entity("light.bedroom_light", "Bedroom Light", "off", {}, (), "guest"),
    ]
    home = FakeHome(lights, areas)
    index = build_index(home)
    got = resolve_targets(index, "HassTurnOn", {"name": "Light", "area": "Guest Bedroom"}, live=home.entity)
    assert got.targets == ("light.bedroom_light",)  # not the 'Light' in the living room


def test_a_brightness_change_takes_the_lit_namesake() -> None:
    home = _home(("off", "on", "off"))
    index = build_index(home)
    got = resolve_targets(index, "HassLightSet", {"name": "Bedroom Light", "brightness": 40}, live=home.entity)
    assert got.targets == ("light.bedroom_b",)
    both = _home(("on", "on", "off"))
    got = resolve_targets(build_index(both), "HassLightSet", {"name": "Bedroom Light", "brightness": 40},
                          live=both.entity)  # fmt: skip
    assert got.clarification  # two lit: ask
