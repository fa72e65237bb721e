"""The home-control skill: services from intents, confirmations for sensitive actions, replies from results."""

from __future__ import annotations

from contracts.messages import IntentMatch
from contracts.skills import SkillContext
from skills.home_control import HomeControlSkill
from tests.nlu.fakes import FakeHome, small_home


def ctx(home: FakeHome, *, confirmed: bool = False) -> SkillContext:
    return SkillContext("c", "text", {}, {}, home=home, confirmed=confirmed)


def test_turn_on_and_set_brightness_reply_from_results() -> None:
    home = small_home()
    m = IntentMatch("HassLightSet", {"brightness": 50}, ("light.kitchen",))
    result = HomeControlSkill().light_set(m, ctx(home))
    assert result.success and result.text == "Turned on the Kitchen Light and set it to 50 %."
    assert home.entity("light.kitchen").state == "on"  # type: ignore[union-attr]
    assert [a.service for a in result.actions] == ["light.turn_on"]


def test_sensitive_action_needs_confirmation_and_runs_nothing() -> None:
    home = small_home()
    m = IntentMatch("HassTurnOff", {"name": "Front Door"}, ("lock.front_door",))
    result = HomeControlSkill().turn_off(m, ctx(home))
    assert result.needs_confirmation and result.text == "Do you want me to unlock the Front Door?"
    assert not home.calls and not result.actions
    confirmed = HomeControlSkill().turn_off(m, ctx(home, confirmed=True))
    assert confirmed.success and home.entity("lock.front_door").state == "unlocked"  # type: ignore[union-attr]
    assert confirmed.actions[0].confirmed_by_user


def test_failures_are_named_not_claimed() -> None:
    home = small_home()
    home.fail.add("light.bedroom")
    m = IntentMatch("HassTurnOn", {}, ("light.kitchen", "light.bedroom"))
    result = HomeControlSkill().turn_on(m, ctx(home))
    assert not result.success
    assert "Turned on the Kitchen Light" in result.text and "couldn't change the Bedroom Light" in result.text


def test_no_targets_runs_nothing() -> None:
    home = small_home()
    result = HomeControlSkill().turn_off(IntentMatch("HassTurnOff", {"domain": "light"}, ()), ctx(home))
    assert not result.success and not home.calls


def test_questions_are_answered_from_state_without_writes() -> None:
    home = small_home()
    m = IntentMatch("HassGetState", {"name": "Front Door", "state": "locked"}, ("lock.front_door",))
    result = HomeControlSkill().get_state(m, ctx(home))
    assert result.text.startswith("Yes") and not home.calls
    temp = HomeControlSkill().get_temperature(IntentMatch("HassClimateGetTemperature", {}, ("climate.thermostat",)),
                                              ctx(home))  # fmt: skip
    assert "19.5" in temp.text and not home.calls


def test_unsupported_intent_for_device() -> None:
    home = small_home()
    result = HomeControlSkill().set_position(IntentMatch("HassSetPosition", {"position": 50}, ("light.kitchen",)),
                                             ctx(home))  # fmt: skip
    assert not result.success and result.error_code == "device-unsupported" and not home.calls


def test_the_weather_question_reads_the_forecast_named_or_the_homes() -> None:
    from contracts.home import Entity

    home = small_home()
    weather = Entity("weather.home", "Home", "rainy", {"temperature": 11, "temperature_unit": "°C"}, (), None)
    home = FakeHome([*home.entities(), weather], list(home.areas()), list(home.floors()))
    skill = HomeControlSkill()
    named = skill.get_weather(IntentMatch("HassGetWeather", {"name": "Home"}, ("weather.home",)), ctx(home))
    unnamed = skill.get_weather(IntentMatch("HassGetWeather", {}, ()), ctx(home))
    assert named.text == unnamed.text and "rain" in unnamed.text and "11" in unnamed.text and not home.calls
