"""A request about a kind of device the place it means does not have (assistant/nlu/absent.py ``absent_kind``): said,
with Home Assistant's slots, and nothing acted on elsewhere. The kind comes from the nouns, the cover classes and, for
a question, the state it asks about; the place from what was said, else (for the kinds Home Assistant aims at the
satellite's room) the speaker's room, else the whole home. Requests and the small test home written for these tests;
the engine here has no templates, so the semantic tier answers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from assistant.config import NluConfig
from assistant.nlu import Understanding, create_understanding
from assistant.nlu.said import area_context_domains, group_state_domains
from contracts.home import Area, Entity
from contracts.skills import IntentSpec
from tests.nlu.fakes import FakeHome


@pytest.fixture()
def semantic(home: FakeHome) -> Understanding:
    """The semantic tier alone: as for a request whose template line the engine never saw."""
    return create_understanding(NluConfig(llm=False, templates=False), home=home, intents=[], embedder=None, llm=None)


def test_the_kinds_come_from_home_assistants_sentence_data() -> None:
    assert {"light", "fan", "cover"} <= area_context_domains()
    assert "lock" not in area_context_domains()  # 'lock the door' is not aimed at the speaker's room
    assert {"light", "fan", "switch", "cover", "lock"} <= group_state_domains()
    assert "binary_sensor" not in group_state_domains()  # asked about by name only


@pytest.mark.parametrize(
    ("text", "area", "intent", "slots", "reply"),
    [
        # the speaker's room has no fan: not the fan of another room
        ("turn the fans off", "office", "HassTurnOff", {"area": "Office", "domain": "fan"},
         "There is no fan in the Office."),
        ("switch on the fan", "kitchen", "HassTurnOn", {"area": "Kitchen", "domain": "fan"},
         "There is no fan in the Kitchen."),
        # a said class of cover the room lacks: never the room's other covers
        ("close the curtains in the living room", None, "HassTurnOff",
         {"area": "Living Room", "domain": "cover", "device_class": "curtain"},
         "There is no curtain in the Living Room."),
        ("raise the shutters here", "bedroom", "HassTurnOn", {"area": "Bedroom", "domain": "cover",
         "device_class": "shutter"}, "There is no shutter in the Bedroom."),
        # questions: the whole home unless a place is said
        ("are any awnings open", "kitchen", "HassGetState", {"domain": "cover", "device_class": "awning",
         "state": "open"}, "There is no awning."),
        ("which windows are closing upstairs", None, "HassGetState", {"floor": "Upstairs", "domain": "cover",
         "device_class": "window", "state": "closing"}, "There is no window on the Upstairs."),
        # the state asked names the kind: Home Assistant's lockables include gates and shutters
        ("are any gates unlocked in the bedroom", None, "HassGetState", {"area": "Bedroom", "domain": "lock",
         "state": "unlocked"}, "There is no lock in the Bedroom."),
        # the temperature of a room said, without a thermostat or a temperature sensor there
        ("hows the temp in the bedroom", None, "HassClimateGetTemperature", {"area": "Bedroom", "domain": "climate"},
         "There is no thermostat in the Bedroom."),
    ],
)  # fmt: skip
def test_a_kind_the_place_lacks_is_said_and_nothing_acts(
    semantic: Understanding, text: str, area: str | None, intent: str, slots: dict[str, str], reply: str
) -> None:
    m = semantic.recognize(text, conversation_id="absent", area=area)[0]
    assert (m.intent, m.targets, m.clarification) == (intent, (), reply)
    assert dict(m.slots) == slots


@pytest.mark.parametrize(
    ("text", "area", "targets"),
    [
        ("turn the lights off", "bedroom", ("light.bedroom",)),  # the speaker's room has one
        ("open the garage door", None, ("cover.garage_door",)),  # named
        ("lock all the doors", "garage", ("lock.back_door", "lock.front_door")),  # not aimed at the speaker's room
        ("it's chilly in here", "bedroom", ("climate.thermostat",)),  # the one thermostat serves every room
    ],
)
def test_a_kind_that_is_there_is_left_to_the_ranking(
    semantic: Understanding, text: str, area: str | None, targets: tuple[str, ...]
) -> None:
    m = semantic.recognize(text, conversation_id="present", area=area)[0]
    assert m.targets == targets
    assert not (m.clarification or "").startswith("There is no")


def test_the_temperature_asked_from_a_room_without_a_thermostat_is_the_homes(semantic: Understanding) -> None:
    m = semantic.recognize("whats the temperature", conversation_id="t", area="office")[0]
    assert m.intent == "HassClimateGetTemperature" and m.targets and not m.clarification


def test_a_state_question_about_locks_never_answers_about_covers(semantic: Understanding) -> None:
    m = semantic.recognize("are any shutters locked", conversation_id="q")[0]
    assert (m.intent, m.slots.get("domain"), m.slots.get("state")) == ("HassGetState", "lock", "locked")
    assert m.targets and all(t.startswith("lock.") for t in m.targets)


def test_a_cover_named_for_its_class_counts_as_that_class(semantic: Understanding) -> None:
    # 'Garage Door' is a garage-class cover; 'the door in the garage' still means it
    m = semantic.recognize("open the door in the garage", conversation_id="d")[0]
    assert not (m.clarification or "").startswith("There is no")


@pytest.mark.parametrize(
    ("text", "intent", "reply"),
    [
        ("pause the garage", "HassMediaPause", "There is no media player in the Garage."),
        ("next song in the bedroom", "HassMediaNext", "There is no media player in the Bedroom."),
    ],
)
def test_a_media_command_for_a_room_without_a_player_is_said(semantic: Understanding, text: str, intent: str,
                                                              reply: str) -> None:  # fmt: skip
    m = semantic.recognize(text, conversation_id="media")[0]
    assert (m.intent, m.targets, m.clarification) == (intent, (), reply)


def test_a_skills_own_evidence_is_not_a_missing_device(home: FakeHome) -> None:
    # 'pause the timer in the garage' is the timer skill's (its declared evidence), not a media player missing there
    intents = [_SI("timer", IntentSpec("PauseTimer", examples=("pause the timer",), requires=(r"timers?",)))]
    cfg = NluConfig(llm=False, templates=False)
    engine = create_understanding(cfg, home=home, intents=intents, embedder=None, llm=None)
    m = engine.recognize("pause the timer in the garage", conversation_id="timer")[0]
    assert not (m.clarification or "").startswith("There is no")
    without = create_understanding(cfg, home=home, intents=[], embedder=None, llm=None)
    assert without.recognize("pause the timer in the garage", conversation_id="t")[0].clarification == (
        "There is no media player in the Garage."
    )


@dataclass(frozen=True)
class _SI:
    skill_id: str
    spec: IntentSpec


def test_the_value_said_for_a_light_includes_a_white() -> None:
    from assistant.nlu.absent import _said_value

    assert _said_value("color", "set the lights to warm white") == {"temperature": 2700}
    assert _said_value("color", "make the lights red") == {"color": "red"}


# Regression cases from the review of this change: each once answered or acted wrongly.


def test_a_contact_sensor_is_a_window_that_is_there(semantic: Understanding) -> None:
    m = semantic.recognize("are the windows open", conversation_id="w")[0]
    assert not (m.clarification or "").startswith("There is no")


def test_in_here_is_the_speakers_room_for_a_question(semantic: Understanding) -> None:
    m = semantic.recognize("is the fan on in here", conversation_id="f", area="office")[0]
    assert m.clarification == "There is no fan in the Office."


def test_a_what_question_is_not_a_question_about_every_device(semantic: Understanding) -> None:
    m = semantic.recognize("what's the humidity", conversation_id="h", area="office")[0]
    assert len([t for t in m.targets if t.startswith("light.")]) <= 1


def _places(*names: str) -> list[Area]:
    return [Area(n.lower().replace(" ", "_"), n, ()) for n in names]


def test_a_room_word_inside_another_rooms_name_is_not_that_room() -> None:
    # 'den' is inside 'Garden', 'office' is a word of 'Home Office': neither is the speaker's kitchen
    areas = _places("Garden", "Home Office", "Kitchen")
    entities = [Entity("light.garden", "Garden Light", "on", {}, (), "garden"),
                Entity("light.office", "Desk Lamp", "on", {}, (), "home_office")]  # fmt: skip
    engine = create_understanding(NluConfig(llm=False, templates=False), home=FakeHome(entities, areas), intents=[],
                                  embedder=None, llm=None)  # fmt: skip
    for text in ("turn off the lights in the den", "turn off the office lights"):
        m = engine.recognize(text, conversation_id=text, area="kitchen")[0]
        assert m.clarification != "There is no light in the Kitchen.", text


def test_the_forecast_tells_the_temperature_in_a_home_without_a_thermostat() -> None:
    entities = [Entity("weather.home", "Home", "sunny", {"temperature": 21}, (), None)]
    engine = create_understanding(NluConfig(llm=False, templates=False), home=FakeHome(entities, _places("Office")),
                                  intents=[], embedder=None, llm=None)  # fmt: skip
    m = engine.recognize("what's the temperature outside", conversation_id="t")[0]
    assert not (m.clarification or "").startswith("There is no")
