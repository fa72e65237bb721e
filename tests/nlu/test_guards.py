"""Hard guards of the understanding engine: no action opposite to the request's verb, skills win only on their own
evidence, and follow-ups carry the last action. Requests written for these tests, not taken from an evaluation set."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.config import NluConfig
from assistant.nlu import Understanding, create_understanding
from assistant.nlu.normalize import normalize
from assistant.nlu.polarity import action_polarity, request_polarity
from contracts.home import HomeApi
from contracts.intents import WRITE_INTENTS
from contracts.messages import IntentMatch, SkillResult
from contracts.skills import IntentSpec
from devices import create_home
from skills.registry import SkillRegistry

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class _SI:
    skill_id: str
    spec: IntentSpec


@pytest.fixture(scope="module")
def builtin_intents() -> list[Any]:
    """The built-in skills' intents, as the assistant loads them."""
    return list(SkillRegistry.load(folder=None, entry_points=True).intents())


def _fresh(intents: list[Any]) -> tuple[Understanding, HomeApi]:
    home = create_home(file=ROOT / "config" / "homes" / "default.yaml", adapter="simulated", data_dir=None,
                       persist=False)  # fmt: skip
    return create_understanding(NluConfig(llm=False), home=home, intents=intents, embedder=None, llm=None), home


def _ran(engine: Understanding, conv: str, match: IntentMatch) -> None:
    engine.observe(conv, match, SkillResult(text="ok"))


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("turn off the light on the porch", -1),
        ("put the tv on pause", -1),
        ("living room light off", -1),
        ("thermostat on", 1),
        ("it's too dark in here", 1),
        ("unpause the music", 1),
        ("stop the robot", -1),
        ("unlock the front door", 1),
        ("lock the front door", -1),
        ("too hot, turn on the fan", 1),
        ("set the volume to 50", 0),
        ("next track", 0),
        ("and the bedroom", 0),
    ],
)
def test_request_polarity(text: str, sign: int) -> None:
    assert request_polarity(normalize(text)) == sign


@pytest.mark.parametrize(
    "text",
    [
        "stop the vacuum",
        "turn the kitchen light off",
        "shut the blinds",
        "make it darker in the kitchen",
        "lower the bedroom blinds",
        "pause the kitchen speaker",
        "kill the desk fan",
        "turn on the kitchen light",
        "open the living room blinds",
        "start the vacuum",
        "unlock the front door",
        "lock the front door",
    ],
)
def test_no_write_goes_against_the_verb(builtin_intents: list[Any], text: str) -> None:
    engine, home = _fresh(builtin_intents)
    said = request_polarity(normalize(text))
    assert said != 0
    for m in engine.recognize(text, conversation_id="p"):
        if m.intent in WRITE_INTENTS and m.targets and not m.clarification:
            for t in m.targets:
                assert action_polarity(m.intent, home.entity(t), m.slots) != -said, (text, m)
        for c in m.alternatives:  # nor is the opposite ever offered
            if c.intent in WRITE_INTENTS:
                assert all(action_polarity(c.intent, home.entity(t), c.slots) != -said for t in c.targets), (text, c)


def test_a_broad_skill_cannot_take_a_device_request() -> None:
    greedy = _SI("greedy", IntentSpec("Greedy", templates=("{anything}", "turn on {anything}"),
                                      examples=("turn on the kitchen light", "turn on the light", "switch on"),
                                      slots={"anything": "text"}))  # fmt: skip
    engine, _home = _fresh([greedy])
    m = engine.recognize("turn on the kitchen light", conversation_id="g")[0]
    assert (m.intent, m.targets) == ("HassTurnOn", ("light.kitchen",))
    other = engine.recognize("tell me about the weather on mars", conversation_id="g2")[0]
    assert other.intent == "Greedy"  # it still takes what is not a device request


def test_a_skill_with_declared_evidence_needs_it() -> None:
    needy = _SI("needy", IntentSpec("Needy", templates=("pause", "pause [the] {thing}"), slots={"thing": "text"},
                                    requires=(r"widgets?", "@followup")))  # fmt: skip
    engine, _home = _fresh([needy])
    assert engine.recognize("pause the widget", conversation_id="n")[0].intent == "Needy"
    assert engine.recognize("pause", conversation_id="n2")[0].intent != "Needy"
    _ran(engine, "n3", IntentMatch("Needy", skill_id="needy"))
    assert engine.recognize("pause", conversation_id="n3")[0].intent == "Needy"  # a reference to what it does


def test_timer_words_or_a_timer_turn(builtin_intents: list[Any]) -> None:
    engine, _home = _fresh(builtin_intents)
    assert engine.recognize("pause", conversation_id="t1")[0].intent != "HassPauseTimer"
    assert engine.recognize("water the garden", conversation_id="t1")[0].intent not in {
        "HassPauseTimer", "HassStartTimer", "HassCancelTimer"
    }  # fmt: skip
    assert engine.recognize("pause the timer", conversation_id="t2")[0].intent == "HassPauseTimer"
    _ran(engine, "t3", IntentMatch("HassStartTimer", {"minutes": 5}, skill_id="timer"))
    assert engine.recognize("add 5 minutes", conversation_id="t3")[0].intent == "HassIncreaseTimer"  # refers to it


def test_a_complaint_gets_no_skill_suggestions(builtin_intents: list[Any]) -> None:
    engine, _home = _fresh(builtin_intents)
    m = engine.recognize("ugh this is useless, you never understand me", conversation_id="c")[0]
    assert m.intent not in WRITE_INTENTS
    assert not any(c.intent.endswith("Timer") for c in m.alternatives)


def _turn(engine: Understanding, home: HomeApi, conv: str, text: str) -> IntentMatch:
    from contracts.skills import SkillContext
    from skills.home_control import HomeControlSkill

    m = engine.recognize(text, conversation_id=conv)[0]
    skill = HomeControlSkill()
    handlers = {spec.name: getattr(skill, attr) for spec, attr in skill.intent_handlers()}
    if m.intent in handlers and m.targets and not m.clarification:
        result = handlers[m.intent](m, SkillContext(conv, text, {}, {}, home=home))
        engine.observe(conv, m, result)
    return m


def test_follow_ups_carry_the_last_action(builtin_intents: list[Any]) -> None:
    engine, home = _fresh(builtin_intents)
    _turn(engine, home, "f", "turn on the kitchen light")
    m = _turn(engine, home, "f", "and the bedroom?")
    assert m.intent == "HassTurnOn" and "light.bedroom" in m.targets
    fan = engine.recognize("also the fan", conversation_id="f")[0]
    assert fan.intent == "HassTurnOn" and (fan.targets or fan.clarification)
    m = _turn(engine, home, "f", "turn it off again")
    assert m.intent == "HassTurnOff" and (m.targets or m.clarification)  # 'it' after two lights may ask which

    _turn(engine, home, "o", "turn on the bedside lamp")
    other = _turn(engine, home, "o", "the other one")
    assert other.intent == "HassTurnOn" and other.targets == ("light.bedroom",)

    _turn(engine, home, "w", "set the thermostat to 20")
    warmer = _turn(engine, home, "w", "two degrees warmer")
    assert warmer.intent == "HassClimateSetTemperature" and warmer.slots["temperature"] == 22.0
    assert home.entity("climate.thermostat").attributes["temperature"] == 22.0  # type: ignore[union-attr]


def test_a_follow_up_never_opens_another_skill(builtin_intents: list[Any]) -> None:
    engine, home = _fresh(builtin_intents)
    _turn(engine, home, "x", "turn on the kitchen light")
    m = engine.recognize("and the timer?", conversation_id="x")[0]
    assert m.intent not in ("HassCancelTimer", "HassPauseTimer", "HassStartTimer")


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("no one is home", "no one is home"),
        ("the other one", "the other one"),
        ("two degrees warmer", "2 degrees warmer"),
        ("set the volume to one", "set the volume to 1"),
        ("turn the light off in one second", "turn the light off in 1 second"),
        ("set it to twenty-one degrees", "set it to 21 degrees"),
        ("turn on one light", "turn on one light"),
        ("set a timer for one minute", "set a timer for 1 minute"),
        ("volume to one point five", "volume to 1.5"),
        ("turn off the second light", "turn off the second light"),
        ("Turn on the Café lamp!", "turn on the cafe lamp"),
    ],
)
def test_number_words(text: str, want: str) -> None:
    assert normalize(text) == want
