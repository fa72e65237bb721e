"""Reworded requests over the default home: each case exercises one general mechanism (lexicon, normalisation,
name/area ranking), written for these tests, not taken from any evaluation set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.config import NluConfig
from assistant.nlu import Understanding, create_understanding
from assistant.nlu.normalize import normalize, parse_params
from assistant.nlu.templates import TemplateMatcher
from contracts.intents import WRITE_INTENTS
from devices import create_home

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def engine() -> Understanding:
    """The default home, templates + semantic tier, no models."""
    home = create_home(file=ROOT / "config" / "homes" / "default.yaml", adapter="simulated", data_dir=None,
                       persist=False)  # fmt: skip
    return create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=None, llm=None)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("put the office light on low", 25),
        ("set the hall light to medium", 50),
        ("run the fan on high speed", 100),
        ("high five", None),
    ],
)
def test_named_levels_become_percentages(text: str, level: int | None) -> None:
    assert parse_params(normalize(text)).percent == level


def test_speed_words_are_relative() -> None:
    assert parse_params(normalize("make it spin faster")).relative == 1
    assert parse_params(normalize("slow it down")).relative == -1
    assert parse_params(normalize("darken the room")).relative == -1


CASES: list[tuple[str, str, str | None, dict[str, Any]]] = [
    # verbs and phrasings the lexicon knows as general English
    ("unplug the printer", "HassTurnOff", "switch.printer", {}),
    ("stop charging the car", "HassTurnOff", "switch.car_charger", {}),
    ("light the hallway", "HassTurnOn", "light.hallway", {}),
    ("stop hoovering", "HassVacuumReturnToBase", "vacuum.robot_vacuum", {}),
    ("set the alarm to home", "HassTurnOn", "alarm_control_panel.home_alarm", {"alarm_mode": "home"}),
    # a value said with an on verb, a bare number or a named level sets the level
    ("bring the office light up to 60 percent", "HassLightSet", "light.office", {"brightness": 60}),
    ("switch the ceiling fan on at 40 percent", "HassFanSetSpeed", "fan.bedroom_ceiling_fan", {"percentage": 40}),
    ("turn the hallway light down to 15", "HassLightSet", "light.hallway", {"brightness": 15}),
    ("put the kitchen speaker at 35", "HassSetVolume", "media_player.kitchen_speaker", {"volume_level": 35}),
    ("put the bedside lamp on low", "HassLightSet", "light.bedside_lamp", {"brightness": 25}),
    ("make the desk fan go faster", "HassFanSetSpeed", "fan.office_fan", {}),
    # names: the longest name said wins; a sensor kind said by its adjective
    ("what's the battery of the robot vacuum", "HassGetState", "sensor.robot_vacuum_battery", {}),
    ("how humid is the bathroom", "HassGetState", "sensor.bathroom_humidity", {}),
    # a place said as a place ('in the garage') is the area, not a device sharing its name
    ("is there movement in the garage", "HassGetState", "binary_sensor.garage_motion", {}),
]


@pytest.mark.parametrize(("text", "intent", "target", "slots"), CASES, ids=[c[0] for c in CASES])
def test_reworded_requests(
    engine: Understanding, text: str, intent: str, target: str | None, slots: dict[str, Any]
) -> None:
    match = engine.recognize(text, conversation_id="g")[0]
    assert match.intent == intent, (match, engine.last_trace("g"))
    assert match.clarification is None
    assert target in match.targets
    for key, value in slots.items():
        assert match.slots.get(key) == value


def test_the_only_thermostat_answers_from_any_room(engine: Understanding) -> None:
    match = engine.recognize("it's chilly in here", conversation_id="t", area="bedroom")[0]
    assert match.intent == "HassClimateSetTemperature" and match.targets == ("climate.thermostat",)


def test_room_still_restricts_devices_there_are_several_of(engine: Understanding) -> None:
    match = engine.recognize("turn the lights on low", conversation_id="r", area="bedroom")[0]
    assert match.intent == "HassLightSet"
    assert set(match.targets) == {"light.bedroom", "light.bedside_lamp"}


@pytest.mark.parametrize("text", ["turn off all lights at 50 percent", "switch the printer off at 100%"])
def test_off_with_a_value_keeps_its_polarity(engine: Understanding, text: str) -> None:
    match = engine.recognize(text, conversation_id="p")[0]
    assert match.intent == "HassTurnOff"


@pytest.mark.parametrize("text", ["is the bathroom light on low", "is there any motion in the garage"])
def test_questions_with_new_phrasings_never_write(engine: Understanding, text: str) -> None:
    match = engine.recognize(text, conversation_id="q")[0]
    assert match.intent not in WRITE_INTENTS


def test_unknown_object_of_a_new_verb_acts_on_nothing(engine: Understanding) -> None:
    match = engine.recognize("stop talking", conversation_id="n")[0]
    assert not match.targets


def test_free_text_template_matches_without_a_room() -> None:
    from assistant.nlu.catalog import build_index

    home = create_home(file=ROOT / "config" / "homes" / "default.yaml", adapter="simulated", data_dir=None,
                       persist=False)  # fmt: skip
    matcher = TemplateMatcher()
    matcher.update_lists(build_index(home))
    hit = matcher.match("play some jazz")
    assert hit is not None and hit.intent == "HassMediaSearchAndPlay"
    assert hit.slots == {"search_query": "some jazz"}
    assert matcher.match("turn on the lights") is None  # area-bound sentences still need the room
