"""Slots that say how a request referred to its target (assistant/nlu/said.py): the place it named, the kind of device,
and the state a question asks about. Requests and the small test home written for these tests."""

from __future__ import annotations

import pytest

from assistant.nlu import Understanding
from assistant.nlu.lexicon import action_evidence
from assistant.nlu.normalize import parse_params
from assistant.nlu.said import asked_state, ha_action_phrases, state_words
from contracts.messages import Tier


def test_state_words_come_from_home_assistants_sentence_data() -> None:
    table = state_words()
    assert {"light", "fan", "switch", "cover", "lock"} <= set(table)
    values = {d: {v for _rx, v in pairs} for d, pairs in table.items()}
    assert values["light"] == {"on", "off"}
    assert {"open", "closed", "opening", "closing"} <= values["cover"]
    assert values["lock"] == {"locked", "unlocked"}


@pytest.mark.parametrize(
    ("text", "domain", "want"),
    [
        ("are any fans off", "fan", "off"),
        ("is the porch light on", "light", "on"),
        ("is the light on the porch off", "light", "off"),  # 'on the porch' is a preposition
        ("which lights are on in the kitchen", "light", "on"),
        ("are the curtains shut", "cover", "closed"),
        ("is the garage door opening", "cover", "opening"),
        ("is the blind closing", "cover", "closing"),
        ("is the front door unlocked", "lock", "unlocked"),
        ("is the back door securely locked", "lock", "locked"),
        ("what is the kitchen light doing", "light", None),
        ("is the front door locked", "light", None),  # a lock's state is not a light's
        ("is the front door locked", "media_player", None),  # a kind without a state question
    ],
)
def test_the_state_a_question_asks_about(text: str, domain: str, want: str | None) -> None:
    assert asked_state(text, domain) == want


def test_a_state_question_by_similarity_carries_the_state_and_gets_a_yes_no_reading(engine: Understanding) -> None:
    m = engine.recognize("tell me if any of the locks are unlocked", conversation_id="c")[0]
    assert m.intent == "HassGetState"
    assert m.slots.get("state") == "unlocked"
    assert m.slots.get("domain") == "lock"


def test_a_named_area_is_a_slot_even_when_one_device_is_chosen(engine: Understanding) -> None:
    m = engine.recognize("please power up the coffee maker in the kitchen for me", conversation_id="c")[0]
    assert (m.intent, m.tier, m.targets) == ("HassTurnOn", Tier.SEMANTIC, ("switch.coffee_maker",))
    assert m.slots.get("area") == "Kitchen"
    assert m.slots.get("name") == "Coffee Maker"


def test_the_speakers_room_is_the_area_of_a_request_that_names_no_device(engine: Understanding) -> None:
    m = engine.recognize("brightness up a bit please", conversation_id="c", area="office")[0]
    assert m.intent == "HassLightSet"
    assert m.targets == ("light.office",)
    assert m.slots.get("area") == "Office"
    assert m.slots.get("domain") == "light"
    named = engine.recognize("could the desk lamp be a bit brighter", conversation_id="d", area="office")[0]
    assert named.targets == ("light.office",)
    assert named.slots.get("name") == "Desk Lamp"


def test_a_named_floor_is_the_floor_slot(engine: Understanding) -> None:
    m = engine.recognize("shut off every light upstairs please", conversation_id="c")[0]
    assert m.intent == "HassTurnOff"
    assert set(m.targets) == {"light.bedroom", "light.office"}
    assert m.slots.get("floor") == "Upstairs"
    assert "area" not in m.slots


def test_a_template_question_about_a_kind_the_place_lacks_says_what_is_missing(engine: Understanding) -> None:
    m = engine.recognize("are any fans on in the garage", conversation_id="c")[0]
    assert (m.intent, m.targets) == ("HassGetState", ())
    assert m.clarification == "There is no fan in the Garage."


@pytest.mark.parametrize("templates", [True, False])
def test_a_floor_without_the_kind_named_is_said_so(templates: bool) -> None:
    from assistant.config import NluConfig
    from assistant.nlu import create_understanding
    from tests.nlu.fakes import small_home

    engine = create_understanding(
        NluConfig(llm=False, templates=templates), home=small_home(), intents=[], embedder=None, llm=None
    )
    m = engine.recognize("switch on the fans of the ground floor", conversation_id="f")[0]
    assert (m.intent, m.targets) == ("HassTurnOn", ())
    assert m.slots.get("floor") == "Ground Floor"
    assert m.clarification == "There is no fan on the Ground Floor."


def test_a_number_joined_to_its_unit_by_a_hyphen_is_read_as_both() -> None:
    from assistant.nlu.normalize import normalize

    assert normalize("Set a 5-minute timer") == "set a 5 minute timer"
    assert normalize("a 2.5-hour roast") == "a 2.5 hour roast"
    assert normalize("the x-ray lamp") == "the x-ray lamp"


def test_review_regressions_on_names_places_and_kinds() -> None:
    """Cases a review of this change found (each failed on an intermediate version)."""
    from assistant.config import NluConfig
    from assistant.nlu import create_understanding
    from assistant.nlu.normalize import normalize, split_commands
    from contracts.home import Area, Entity
    from tests.nlu.fakes import FakeHome

    home = FakeHome(
        [Entity("light.kitchen", "Kitchen", "on", {}, (), "kitchen"),
         Entity("light.counter", "Counter Lights", "on", {}, (), "kitchen"),
         Entity("switch.garage_lights", "Garage Lights", "off", {}, (), "garage"),
         Entity("cover.garage_door", "Garage Door", "closed", {"device_class": "garage"}, (), "garage",
                device_class="garage"),
         Entity("cover.bedroom_curtains", "Bedroom Curtains", "closed", {"device_class": "curtain"}, (), "bedroom",
                device_class="curtain")],
        [Area("kitchen", "Kitchen"), Area("garage", "Garage"), Area("bedroom", "Bedroom")],
    )  # fmt: skip
    engine = create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=None, llm=None)

    def said(text: str) -> object:
        return engine.recognize(text, conversation_id=text)[0]

    # a light named like its room is not 'named' by 'the lights in the kitchen'
    assert set(said("turn off the lights in the kitchen").targets) == {"light.kitchen", "light.counter"}
    # a switch named 'Garage Lights' is a light of the garage; a door may be a cover
    assert said("are the lights on in the garage right now").clarification != "There is no light in the Garage."
    assert said("is the door open in the garage").clarification != "There is no lock in the Garage."
    # shutters are a narrower kind than covers: the bedroom has covers, so not 'There is no cover'
    assert said("open the shutters in the bedroom").clarification != "There is no cover in the Bedroom."
    assert asked_state("is the light on or off", "light") is None
    assert normalize("set the lights to 50-percent") == "set the lights to 50%"
    assert split_commands("set the kitchen light to 20 and half close the blinds") == [
        "set the kitchen light to 20", "half close the blinds"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "kelvin"),
    [("set the lights to 2700 k", 2700), ("colour temperature 4000", 4000), ("make it warm white", 2700),
     ("candle light in the bedroom", 1900), ("cool white please", 4000), ("set the temperature to 21", None),
     ("set the volume to 2000", None), ("colour temperature 40000", None)],
)  # fmt: skip
def test_a_colour_temperature_by_number_or_by_home_assistants_names(text: str, kelvin: int | None) -> None:
    from assistant.nlu.said import kelvin_said

    assert kelvin_said(text) == kelvin


def test_a_colour_temperature_sets_a_light_never_the_thermostat() -> None:
    from assistant.config import NluConfig
    from assistant.nlu import create_understanding
    from tests.nlu.fakes import small_home

    engine = create_understanding(
        NluConfig(llm=False, templates=False), home=small_home(), intents=[], embedder=None, llm=None
    )
    for text, target, kelvin in [
        ("set the kitchen light colour temperature to 2700 kelvin", "light.kitchen", 2700),
        ("make the living room lamp warm white", "light.living_room", 2700),
        ("decrease the color temperature of the desk lamp to 5000", "light.office", 5000),
    ]:
        m = engine.recognize(text, conversation_id=text)[0]
        assert (m.intent, m.targets, m.slots.get("temperature")) == ("HassLightSet", (target,), kelvin)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("change on the entrance light", "on"),
        ("bring the lamps in the bedroom out", "off"),
        ("switch every light out", "off"),
        ("bring on the outside fans", "on"),
        ("change the colour on the porch light to red", None),  # 'on the porch': a preposition
        ("change to party mode", None),
        ("lights on in the kitchen", "on"),  # Home Assistant's sentences without a verb
        ("our living room fans off", "off"),
        ("the lamp on the desk", None),
        ("change the color on desk lamp to blue", None),  # what it is on, not 'on'
        ("switch party mode around the bedroom on", "on"),
    ],
)
def test_home_assistants_switching_verbs_are_read_from_its_data(text: str, want: str | None) -> None:
    table = ha_action_phrases()
    said = {key for key, patterns in table.items() if any(rx.search(text) for rx, _w in patterns)}
    assert said == ({want} if want else set())
    assert want is None or action_evidence(text).get(want, 0.0) >= 0.8


@pytest.mark.parametrize("text", ["whats the temperature", "hows the temp in the kitchen", "tell me the office temp"])
def test_home_assistants_ways_of_asking_the_temperature(text: str) -> None:
    assert action_evidence(text).get("get_temperature", 0.0) >= 0.9


def test_home_assistants_highest_is_full_brightness() -> None:
    assert parse_params("set the bedroom lights to the highest brightness").percent == 100
