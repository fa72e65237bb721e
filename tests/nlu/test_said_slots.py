"""Slots that say how a request referred to its target (assistant/nlu/said.py): the place it named, the kind of device,
and the state a question asks about. Requests and the small test home written for these tests."""

from __future__ import annotations

import pytest

from assistant.nlu import Understanding
from assistant.nlu.said import asked_state, state_words
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
