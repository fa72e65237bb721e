"""Routing with the real engine, the real skills registry and real embeddings over the default home.

Questions that do not name the home go to the knowledge (FAQ) skill, writing requests to the text-generation skill,
greetings/thanks/help to small talk; device requests stay device requests; dialogue context never re-targets a
self-contained question.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import NluConfig, load_config
from assistant.nlu import Understanding, create_understanding
from contracts.intents import DEVICE_INTENTS, WRITE_INTENTS
from contracts.messages import Action, IntentMatch, SkillResult
from devices import create_home
from skills.registry import SkillRegistry

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def registry() -> SkillRegistry:
    """The built-in skills, as the assistant loads them."""
    return SkillRegistry.load(folder=None, disabled=[], settings={})


@pytest.fixture(scope="session")
def routing_engine(registry: SkillRegistry) -> Iterator[Understanding]:
    """Templates + grounded ranking with the embedded MiniLM model, no LLM, over the default home."""
    from assistant.embeddings import create_embedder

    home = create_home(file=ROOT / "config" / "homes" / "default.yaml", adapter="simulated", data_dir=None,
                       persist=False)  # fmt: skip
    embedder = create_embedder(load_config().embeddings)
    engine = create_understanding(NluConfig(llm=False), home=home, intents=registry.intents(), embedder=embedder,
                                  llm=None)  # fmt: skip
    engine.warmup()
    yield engine
    engine.close()


def _one(engine: Understanding, text: str, conv: str) -> IntentMatch:
    matches = engine.recognize(text, conversation_id=conv)
    assert len(matches) == 1, [(m.intent, m.text) for m in matches]
    return matches[0]


FAQ = [
    "How often should I rinse the aquarium filter sponge?",
    "how often do I rinse the aquarium filter",
    "when are the bins collected",
    "what day is bin day",
    "how do I top up the boiler pressure",
    "where is the router",
    "what's the guest wifi password",
    "who do I call if the internet is down",
    "how long does the router take to restart",
    "what should I do if the radiators are cold",
    "how do I arm the alarm at night",
    "when is the boiler serviced",
    "is it safe to put glass jars in the blue bin",
    "what goes in the green bin",
    "how do I descale the kettle",
    "why does the bathroom mirror fog up",
    "can I use vinegar to clean the oven",
    "should I water the tomatoes every day",
    "what temperature should the fridge be set to",
    "how many eggs are in a dozen",
    "where do I find the stopcock",
    "tell me how to bleed a radiator",
    "what's the best way to remove limescale from taps",
    "how do I reset the router",
    "what is the number of the internet provider",
]

GENERATE = [
    "write a short poem about autumn",
    "draft a reminder note for the plumber",
    "compose a birthday message for grandma",
    "write me a limerick about a cat who loves boxes",
    "can you write a thank you card for our neighbours",
    "give me a haiku about the sea",
    "come up with a name for my new puppy",
    "make up a bedtime story about a dragon",
    "write an email asking the landlord to fix the boiler",
    "draft a message to the babysitter about dinner",
    "help me write a toast for my brother's wedding",
    "could you compose a short song about rainy mondays",
    "suggest a title for my gardening blog",
]

SMALLTALK = [
    ("hello", "Greeting"),
    ("hi there", "Greeting"),
    ("good morning", "Greeting"),
    ("hey assistant", "Greeting"),
    ("thanks", "Thanks"),
    ("thank you so much", "Thanks"),
    ("cheers", "Thanks"),
    ("how are you", "HowAreYou"),
    ("how's it going", "HowAreYou"),
    ("what can you do", "Help"),
    ("help", "Help"),
    ("what can I ask you", "Help"),
    ("goodbye", "Goodbye"),
    ("see you later", "Goodbye"),
]

DEVICE = [
    ("turn on the kitchen light", "HassTurnOn", "light.kitchen"),
    ("is the front door locked", "HassGetState", "lock.front_door"),
    ("what's the temperature in the bedroom", "HassClimateGetTemperature", "sensor.bedroom_temperature"),
    ("make a coffee please", "HassTurnOn", "switch.coffee_maker"),
    ("power down the printer", "HassTurnOff", "switch.printer"),
    ("I need the reading lamp", "HassTurnOn", "light.floor_lamp"),
    ("are the living room blinds open", "HassGetState", "cover.living_room_blinds"),
    ("how warm is it in the bedroom", "HassClimateGetTemperature", "sensor.bedroom_temperature"),
    ("what's the weather like", "HassGetWeather", "weather.home"),
]


@pytest.mark.parametrize("text", FAQ)
def test_ungrounded_questions_go_to_the_faq(routing_engine: Understanding, registry: SkillRegistry, text: str) -> None:
    m = _one(routing_engine, text, "faq")
    assert m.intent == "FaqAsk" and registry.owner(m.intent) == "faq", (m.intent, m.targets)
    assert m.slots.get("question") == text.strip() and not m.targets


@pytest.mark.parametrize("text", GENERATE)
def test_writing_requests_go_to_text_generation(routing_engine: Understanding, text: str) -> None:
    m = _one(routing_engine, text, "gen")
    assert m.intent == "GenerateText" and m.skill_id == "textgen", (m.intent, m.targets)


@pytest.mark.parametrize(("text", "intent"), SMALLTALK)
def test_small_talk(routing_engine: Understanding, text: str, intent: str) -> None:
    m = _one(routing_engine, text, "talk")
    assert (m.intent, m.skill_id) == (intent, "smalltalk")


@pytest.mark.parametrize(("text", "intent", "target"), DEVICE)
def test_device_requests_stay_device_requests(
    routing_engine: Understanding, text: str, intent: str, target: str
) -> None:
    m = _one(routing_engine, text, "dev")
    assert m.intent == intent and target in m.targets and not m.clarification, (m.intent, m.targets, m.clarification)


GROUNDED = [
    ("disarm the alarm", "HassTurnOff", ("alarm_control_panel.home_alarm",)),
    ("arm the alarm", "HassTurnOn", ("alarm_control_panel.home_alarm",)),
    ("water the garden", "HassTurnOn", ("valve.garden_watering",)),
    ("turn the volume down on the kitchen speaker", "HassSetVolume", ("media_player.kitchen_speaker",)),
    ("turn the tv down", "HassSetVolume", ("media_player.living_room_tv",)),
    ("close the blinds a bit", "HassSetPosition", ("cover.living_room_blinds",)),
    ("speed up the ceiling fan", "HassFanSetSpeed", ("fan.bedroom_ceiling_fan",)),
    ("next song on the kitchen speaker", "HassMediaNext", ("media_player.kitchen_speaker",)),
    ("charge the car", "HassTurnOn", ("switch.car_charger",)),
    ("lock up", "HassTurnOn", ("lock.back_door", "lock.front_door")),
    ("what is on my shopping list", "HassGetState", ("todo.shopping_list",)),
    ("is anyone in the living room?", "HassGetState", ("binary_sensor.living_room_motion",)),
    ("how warm is it outside?", "HassClimateGetTemperature", ("sensor.outside_temperature",)),
    ("will it rain today", "HassGetWeather", ("weather.home",)),
]
"""Requests whose verb and object ground in the home: device intents, never the FAQ (even where the house manual
mentions the device)."""


@pytest.mark.parametrize(("text", "intent", "targets"), GROUNDED)
def test_grounded_requests_never_go_to_the_faq(
    routing_engine: Understanding, text: str, intent: str, targets: tuple[str, ...]
) -> None:
    m = routing_engine.recognize(text, conversation_id="grounded", area="living_room")[0]
    assert (m.intent, m.targets) == (intent, targets) and not m.clarification, (m.intent, m.targets, m.clarification)


def test_singular_lock_stays_ambiguous_collective_acts_on_all(routing_engine: Understanding) -> None:
    one = routing_engine.recognize("lock the door", conversation_id="locks", area="living_room")[0]
    assert not one.targets and one.clarification
    every = routing_engine.recognize("lock all the doors", conversation_id="locks", area="living_room")[0]
    assert every.targets == ("lock.back_door", "lock.front_door")
    unlock = routing_engine.recognize("unlock all the doors", conversation_id="locks", area="living_room")[0]
    assert unlock.intent == "HassTurnOff" and unlock.targets == ("lock.back_door", "lock.front_door")


def test_everything_needs_a_named_area(routing_engine: Understanding) -> None:
    room = routing_engine.recognize("turn everything off in the office", conversation_id="all")[0]
    assert room.intent == "HassTurnOff" and set(room.targets) == {"fan.office_fan", "light.office", "switch.printer"}
    home = routing_engine.recognize("turn off everything", conversation_id="all")[0]
    assert not home.targets


@pytest.mark.parametrize("text", ["turn on the dishwasher", "switch off the oven", "please turn on my balcony lights"])
def test_absent_device_is_named_not_guessed(routing_engine: Understanding, text: str) -> None:
    m = _one(routing_engine, text, "absent")
    assert m.intent in WRITE_INTENTS and not m.targets and m.slots.get("absent"), m


@pytest.mark.parametrize("text", ["power off", "please power down", "turn on"])
def test_command_without_object_asks(routing_engine: Understanding, text: str) -> None:
    m = _one(routing_engine, text, "noobj")
    assert not m.targets and m.clarification, m


def _acted(engine: Understanding, conv: str, text: str) -> IntentMatch:
    m = _one(engine, text, conv)
    result = SkillResult("ok", actions=tuple(Action(t, "x", success=True) for t in m.targets))
    engine.observe(conv, m, result)
    return m


@pytest.mark.parametrize(
    "question",
    [
        "what's the weather like?",
        "How often should I rinse the aquarium filter sponge?",
        "when is bin day",
        "is it safe to put glass jars in the blue bin",
        "what's the guest wifi password",
        "tell me a joke about computers",
    ],
)
def test_context_never_retargets_a_self_contained_question(routing_engine: Understanding, question: str) -> None:
    conv = f"ctx-{question}"
    first = _acted(routing_engine, conv, "unlock the front door")
    assert first.targets == ("lock.front_door",)
    m = _one(routing_engine, question, conv)
    assert "lock.front_door" not in m.targets and m.intent not in DEVICE_INTENTS - {"HassGetState", "HassGetWeather"}, m
    if m.intent in ("HassGetState", "HassGetWeather"):
        assert m.targets == ("weather.home",)


def test_real_follow_ups_still_use_context(routing_engine: Understanding) -> None:
    conv = "real-fu"
    _acted(routing_engine, conv, "turn on the kitchen light")
    brighter = _one(routing_engine, "make it brighter", conv)
    assert brighter.intent == "HassLightSet" and brighter.targets == ("light.kitchen",)
    asked = _one(routing_engine, "is it on?", conv)
    assert asked.intent == "HassGetState" and asked.targets == ("light.kitchen",)
    off = _one(routing_engine, "turn it off", conv)
    assert off.intent == "HassTurnOff" and off.targets == ("light.kitchen",)
    bedroom = _one(routing_engine, "and the bedroom?", conv)
    assert bedroom.targets and all(t.startswith("light.") for t in bedroom.targets)


def test_questions_and_writing_are_not_split_into_commands(routing_engine: Understanding) -> None:
    ms = routing_engine.recognize("write a poem about the sun and the moon", conversation_id="split")
    assert [m.intent for m in ms] == ["GenerateText"]
    ms = routing_engine.recognize("how often should I clean the filter and the pump", conversation_id="split")
    assert [m.intent for m in ms] == ["FaqAsk"]


def test_white_light_phrasing(routing_engine: Understanding) -> None:
    m = routing_engine.recognize("make the kitchen light natural", conversation_id="white")[0]
    assert (m.intent, m.targets, m.slots.get("color")) == ("HassLightSet", ("light.kitchen",), "white")


def test_dimming_a_bit_only_touches_lights_that_are_on(routing_engine: Understanding) -> None:
    m = routing_engine.recognize("dim the lights a bit", conversation_id="dim", area="living_room")[0]
    assert m.intent == "HassLightSet" and m.targets == ("light.living_room_lamps",), m
    assert 0 < int(m.slots["brightness"]) < round(200 / 255 * 100)
