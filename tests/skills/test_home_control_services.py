"""Service selection (capabilities, relative amounts, alarm panels) and domain-aware replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.home import Entity, HomeApi
from contracts.intents import entity_supports, relative_value, service_call
from contracts.messages import Action, IntentMatch
from contracts.skills import SkillContext
from devices import create_home
from skills.home_control import HomeControlSkill
from skills.home_control.replies import confirmation_question, describe_action, state_sentence, summarize

ROOT = Path(__file__).resolve().parents[2]


def _light(modes: list[str], state: str = "off", **attrs: object) -> Entity:
    return Entity("light.x", "X", state, {"supported_color_modes": modes, **attrs})


def test_non_dimmable_light_is_turned_on_without_brightness() -> None:
    assert service_call("HassLightSet", _light(["onoff"]), {"brightness": 30}) == ("light.turn_on", {})
    assert service_call("HassLightSet", _light(["onoff"]), {"brightness": 0}) == ("light.turn_off", {})
    assert service_call("HassLightSet", _light(["brightness"]), {"brightness": 30}) == (
        "light.turn_on",
        {"brightness_pct": 30},
    )


def test_colour_only_where_the_light_has_colours() -> None:
    assert service_call("HassLightSet", _light(["onoff"]), {"color": "red"}) is None
    assert service_call("HassLightSet", _light(["hs"]), {"color": "red"}) == ("light.turn_on", {"color_name": "red"})
    white = service_call("HassLightSet", _light(["color_temp"]), {"color": "white"})
    assert white is not None and "color_temp_kelvin" in white[1]


def test_relative_brightness_starts_from_each_lights_own_level() -> None:
    on = _light(["brightness"], "on", brightness=200)
    call = service_call("HassLightSet", on, {"brightness": 25, "brightness_delta": 25})
    assert call == ("light.turn_on", {"brightness_pct": 100})
    dim = service_call("HassLightSet", on, {"brightness": 25, "brightness_delta": -25})
    assert dim == ("light.turn_on", {"brightness_pct": round(200 / 255 * 100) - 25})
    off = _light(["brightness"], "off")
    assert service_call("HassLightSet", off, {"brightness_delta": 25}) == ("light.turn_on", {})
    assert service_call("HassLightSet", off, {"brightness_delta": -25}) is None


def test_relative_position_volume_and_speed() -> None:
    blinds = Entity("cover.b", "B", "open", {"current_position": 60})
    assert service_call("HassSetPosition", blinds, {"position": 1, "position_delta": -25}) == (
        "cover.set_cover_position",
        {"position": 35},
    )
    speaker = Entity("media_player.s", "S", "idle", {"volume_level": 0.4})
    assert service_call("HassSetVolume", speaker, {"volume_level": 0, "volume_delta": -20}) == (
        "media_player.volume_set",
        {"volume_level": 0.2},
    )
    fan = Entity("fan.f", "F", "on", {"percentage": 50})
    assert relative_value(fan, {"percentage_delta": 25})["percentage"] == 75
    assert relative_value(Entity("fan.g", "G", "off", {"percentage": 50}), {"percentage_delta": 25})["percentage"] == 25


def test_alarm_panel_arms_in_the_requested_mode_and_disarms() -> None:
    panel = Entity("alarm_control_panel.a", "Alarm", "disarmed", {}, services=frozenset(
        {"alarm_control_panel.alarm_arm_away", "alarm_control_panel.alarm_arm_night",
         "alarm_control_panel.alarm_disarm"}))  # fmt: skip
    assert service_call("HassTurnOn", panel, {}) == ("alarm_control_panel.alarm_arm_away", {})
    assert service_call("HassTurnOn", panel, {"alarm_mode": "night"}) == ("alarm_control_panel.alarm_arm_night", {})
    assert service_call("HassTurnOff", panel, {}) == ("alarm_control_panel.alarm_disarm", {})
    assert entity_supports("HassTurnOn", panel, {"alarm_mode": "night"})
    assert not entity_supports("HassTurnOn", panel, {"alarm_mode": "vacation"})


def test_domain_aware_replies() -> None:
    assert describe_action("scene.turn_on", ["Movie Night"], {}) == "Activated Movie Night"
    assert describe_action("script.turn_on", ["Good Night"], {}) == "Ran the Good Night script"
    assert describe_action("script.turn_on", ["Bedtime Routine"], {}) == "Ran the Bedtime Routine"
    assert describe_action("input_boolean.turn_on", ["Guest Mode"], {}) == "Turned on Guest Mode"
    assert describe_action("alarm_control_panel.alarm_arm_night", ["Home Alarm"], {}) == "Armed the Home Alarm (night)"
    assert describe_action("vacuum.return_to_base", ["Robot"], {}) == "Sent the Robot home"
    assert describe_action("light.turn_on", ["Lamp"], {"brightness": 128}) == "Turned on the Lamp and set it to 50 %"
    assert describe_action("light.turn_on", ["Lamp"], {"rgb_color": [0, 0, 255]}).endswith("set it to blue")
    text, ok = summarize(
        [Action("light.a", "light.turn_on", {}, True), Action("light.b", "light.turn_on", {"brightness": 77}, True)],
        {"light.a": "A", "light.b": "B"},
    )
    assert ok and text == "Turned on the A; turned on the B and set it to 30 %."


def test_confirmation_questions_name_the_action() -> None:
    valve = Entity("valve.w", "Garden Watering", "closed")
    assert confirmation_question("valve.set_valve_position", [valve], {"position": 25}) == (
        "Do you want me to set the Garden Watering to 25 % open?"
    )
    panel = Entity("alarm_control_panel.a", "Home Alarm", "armed_away")
    assert (
        confirmation_question("alarm_control_panel.alarm_disarm", [panel]) == "Do you want me to disarm the Home Alarm?"
    )


def test_todo_and_weather_state_sentences() -> None:
    todo = Entity("todo.s", "Shopping List", "2", {"items": [
        {"summary": "Milk", "status": "needs_action"}, {"summary": "Eggs", "status": "needs_action"},
        {"summary": "Bread", "status": "completed"}]})  # fmt: skip
    assert state_sentence(todo) == "The Shopping List has 2 items: Milk and Eggs."
    assert state_sentence(Entity("todo.e", "Chores", "0", {"items": []})) == "The Chores is empty."
    weather = Entity("weather.h", "Home", "partlycloudy", {"temperature": 13, "temperature_unit": "°C"})
    assert "partly cloudy, 13 °C" in state_sentence(weather)


@pytest.fixture()
def default_home() -> HomeApi:
    return create_home(file=ROOT / "config" / "homes" / "default.yaml", adapter="simulated", data_dir=None,
                       persist=False)  # fmt: skip


def _ctx(home: HomeApi, *, confirmed: bool = False) -> SkillContext:
    return SkillContext("c", "t", {}, {}, home=home, confirmed=confirmed)


def test_group_with_a_non_dimmable_lamp_succeeds_everywhere(default_home: HomeApi) -> None:
    targets = ("light.floor_lamp", "light.hue_go_lamp", "light.living_room_lamps")
    m = IntentMatch("HassLightSet", {"brightness": 30, "area": "Living Room"}, targets)
    result = HomeControlSkill().light_set(m, _ctx(default_home))
    assert result.success and "couldn't" not in result.text and "unsupported" not in result.text, result.text
    assert all(a.success for a in result.actions)
    assert all(default_home.entity(t).state == "on" for t in targets)  # type: ignore[union-attr]


def test_shopping_list_question_lists_the_items(default_home: HomeApi) -> None:
    m = IntentMatch("HassGetState", {"name": "Shopping List"}, ("todo.shopping_list",))
    result = HomeControlSkill().get_state(m, _ctx(default_home))
    assert result.text == "The Shopping List has 2 items: Milk and Eggs." and not result.actions


def test_disarming_waits_for_confirmation(default_home: HomeApi) -> None:
    skill = HomeControlSkill()
    arm = skill.turn_on(IntentMatch("HassTurnOn", {}, ("alarm_control_panel.home_alarm",)), _ctx(default_home))
    assert arm.success and arm.text == "Armed the Home Alarm (away)."
    m = IntentMatch("HassTurnOff", {}, ("alarm_control_panel.home_alarm",))
    asked = skill.turn_off(m, _ctx(default_home))
    assert asked.needs_confirmation and not asked.actions
    assert default_home.entity("alarm_control_panel.home_alarm").state == "armed_away"  # type: ignore[union-attr]
    done = skill.turn_off(m, _ctx(default_home, confirmed=True))
    assert done.success and default_home.entity("alarm_control_panel.home_alarm").state == "disarmed"  # type: ignore[union-attr]
