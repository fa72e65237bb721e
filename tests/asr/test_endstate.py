"""Spoken-command end state (assistant.asr.endstate): the scoring rules on the set's fixture home, and a short real
run of four clips through the whole assistant."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from assistant.asr import endstate
from assistant.asr.endstate import Clip, expectation_for, intent_matches, load_clips
from contracts.messages import IntentMatch

from .conftest import COMMANDS_DIR

FIXTURE = COMMANDS_DIR / "fixtures_en.json"

pytestmark = pytest.mark.skipif(not FIXTURE.is_file(), reason="the Speech-to-Phrase eval set is not there")


@pytest.fixture
def home() -> Any:
    from devices import create_home

    h = create_home(file=FIXTURE, adapter="simulated", data_dir=None, persist=False)
    yield h
    h.close()


def _clip(intent: str | None, slots: dict[str, Any], source: str = "human") -> Clip:
    return Clip(id="x", audio=Path("x.wav"), reference=None if intent is None else "x", source=source,
                intent=intent, slots=slots)  # fmt: skip


def _turn(home: Any, exp: endstate.Expectation, run: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    endstate._prepare(home, exp)
    before = endstate._snapshot(home)
    run()
    return before, endstate._snapshot(home)


def test_intent_equivalents() -> None:
    assert intent_matches("HassTurnOn", "HassTurnOn")
    assert intent_matches("HassGetWeather", "HassGetState")
    assert not intent_matches("HassTurnOn", "HassTurnOff")
    assert not intent_matches(None, "Unknown")


def test_expectations_on_the_fixture_home(home: Any) -> None:
    on = expectation_for(home, _clip("HassTurnOn", {"name": "Bed Light"}), "Kitchen")
    assert (on.kind, on.targets, on.sensitive) == ("device", ("light.bed_light",), False)
    assert on.want["light.bed_light"] == {"state": "on"}
    unlock = expectation_for(home, _clip("HassTurnOff", {"name": "Front Door", "domain": "lock"}), "Kitchen")
    assert unlock.targets == ("lock.front_door",) and unlock.sensitive
    garage = expectation_for(home, _clip("HassTurnOn", {"name": "Garage Door"}), "Kitchen")
    assert garage.sensitive
    lights = expectation_for(home, _clip("HassTurnOff", {"area": "CONTEXT_AREA", "domain": "light"}), "Kitchen")
    assert lights.kind == "device" and lights.targets == ()  # the fixture puts no light in the Kitchen
    media = expectation_for(home, _clip("HassMediaNext", {"area": "CONTEXT_AREA"}), "Kitchen")
    assert media.targets == ()  # the satellite's area is a constraint, and the TV is in no area
    assert expectation_for(home, _clip("HassMediaNext", {"name": "TV"}), "Kitchen").targets == ("media_player.tv",)
    assert expectation_for(home, _clip("HassGetWeather", {"name": "New York"}), "Kitchen").kind == "question"
    assert expectation_for(home, _clip("HassStartTimer", {"minutes": 5}), "Kitchen").kind == "timer"
    assert expectation_for(home, _clip(None, {}, source="oov"), "Kitchen").kind == "oov"


def test_scoring_pass_wrong_asked(home: Any) -> None:
    clip = _clip("HassTurnOn", {"name": "Bed Light"})
    exp = expectation_for(home, clip, "Kitchen")
    match = IntentMatch("HassTurnOn", {"name": "Bed Light"}, ("light.bed_light",))
    result = SimpleNamespace(intent=match, needs_confirmation=False)
    before, after = _turn(home, exp, lambda: home.call_service("light.turn_on", ["light.bed_light"]))
    assert endstate._outcome(exp, clip, result, before, after)["outcome"] == "pass"
    # the right light and another one: wrong
    before, after = _turn(
        home, exp, lambda: home.call_service("light.turn_on", ["light.bed_light", "light.standing_light"])
    )
    scored = endstate._outcome(exp, clip, result, before, after)
    assert scored["outcome"] == "wrong" and scored["wrong"] and "light.standing_light" in scored["changed"]
    # a sensitive action: asking about the target is the pass, acting is wrong
    clip = _clip("HassTurnOff", {"name": "Front Door", "domain": "lock"})
    exp = expectation_for(home, clip, "Kitchen")
    match = IntentMatch("HassTurnOff", {"name": "Front Door"}, ("lock.front_door",))
    before, after = _turn(home, exp, lambda: None)
    asked = SimpleNamespace(intent=match, needs_confirmation=True)
    scored = endstate._outcome(exp, clip, asked, before, after)
    assert scored["ok"] and scored["asked"]
    before, after = _turn(home, exp, lambda: home.call_service("lock.unlock", ["lock.front_door"]))
    acted = SimpleNamespace(intent=match, needs_confirmation=False)
    assert endstate._outcome(exp, clip, acted, before, after)["outcome"] == "wrong"


CLIPS = (
    "generated/turn Bed Light on",  # device: light on
    "generated/close the Sliding Door",  # device: cover closed
    "what is the Outdoor Humidity",  # question (human recording)
    "oov_3",  # out of vocabulary: no action
)


@pytest.mark.slow
def test_end_state_run_on_four_clips() -> None:
    if len(load_clips(COMMANDS_DIR, ids=CLIPS)) != len(CLIPS):
        pytest.skip("the four clips are not in the eval set")
    report = endstate.run(COMMANDS_DIR.parent, ids=CLIPS, device="cpu")
    assert report["clips"] == 4 and report["area"] == "Kitchen"
    assert set(report["sources"]) == {"human", "synthetic", "oov"}
    for source in ("human", "synthetic"):
        figures = report["sources"][source]
        for key in ("n", "intent_accuracy", "end_state_pass_rate", "wrong_action_rate", "asked",
                    "transcript_exact_rate", "end_state_pass_rate_exact_transcript"):  # fmt: skip
            assert key in figures
        assert figures["wrong_actions"] == 0
    items = {i["id"]: i for i in report["items"]}
    on = items["generated/turn Bed Light on"]
    assert on["ok"] and on["intent"] == "HassTurnOn" and on["expected_targets"] == ["light.bed_light"]
    assert set(on["changed"]) == {"light.bed_light"}
    closed = items["generated/close the Sliding Door"]
    assert closed["ok"] and set(closed["changed"]) == {"cover.sliding_door"}
    question = items["what is the Outdoor Humidity"]
    assert question["ok"] and question["intent"] == "HassGetState" and not question["changed"]
    oov = items["oov_3"]
    assert oov["ok"] and not oov["changed"] and report["sources"]["oov"]["no_action"] == 1
    assert report["failures"] == []
