"""The timer skill's slot readers: Home Assistant's slot conventions read from a request's words.

Sentences written for these tests (after the patterns of Home Assistant's timer sentences and everyday English),
not taken from an evaluation set."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.messages import ErrorCode, IntentMatch
from skills.timer import TimerService, TimerSkill
from skills.timer.slots import (
    duration_from_text,
    read_adjust_slots,
    read_reference_slots,
    read_start_slots,
    read_timer,
)

from .conftest import make_ctx

AREAS = ("Kitchen", "Living Room", "Guest Room", "Bedroom", "Garage")


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("set a timer for half an hour", {"minutes": 30}),
        ("set a timer for 1/2 a minute", {"seconds": 30}),
        ("timer for half a minute", {"seconds": 30}),
        ("timer for 37 and a 1/2 minutes", {"minutes": 37, "seconds": 30}),
        ("timer for 82 and a 1/2 hours", {"hours": 82, "minutes": 30}),
        ("1 hour 87 minutes timer", {"hours": 1, "minutes": 87}),
        ("set a timer for 33-minutes and 22 seconds", {"minutes": 33, "seconds": 22}),
        ("start a 5-minute timer", {"minutes": 5}),
        ("set a timer for an hour and a half", {"hours": 1, "minutes": 30}),
        ("set a timer for two and a half hours", {"hours": 2, "minutes": 30}),
        ("set a timer for twenty-five minutes", {"minutes": 25}),
        ("set a timer for one hour, ten minutes and five seconds", {"hours": 1, "minutes": 10, "seconds": 5}),
        ("set a timer for 2.5 hours", {"hours": 2, "minutes": 30}),
        ("set a timer for a quarter of an hour", {"minutes": 15}),
        ("set a half-hour timer", {"minutes": 30}),
        ("set a timer for a minute", {"minutes": 1}),
        ("count down 90 secs", {"seconds": 90}),
        ("set a second timer for 5 minutes", {"minutes": 5}),  # 'a second timer' is the ordinal
    ],
)
def test_start_amounts_in_the_units_said(text: str, want: dict[str, Any]) -> None:
    assert read_start_slots(text, {}, AREAS) == want


@pytest.mark.parametrize(
    ("reader", "text", "want"),
    [
        (read_reference_slots, "cancel my 12 seconds timer", {"start_seconds": 12}),
        (read_reference_slots, "stop the timer for 3-hour", {"start_hours": 3}),
        (read_reference_slots, "pause the 72-hours timer", {"start_hours": 72}),
        (
            read_reference_slots,
            "how long is left on the 1 hour 30 minute timer",
            {"start_hours": 1, "start_minutes": 30},
        ),
        (read_reference_slots, "resume the half-hour timer", {"start_minutes": 30}),
        (read_adjust_slots, "decrease the 72-hours timer by 28 minutes", {"start_hours": 72, "minutes": 28}),
        (read_adjust_slots, "add 4 minutes to the timer for 52 hours", {"minutes": 4, "start_hours": 52}),
        (read_adjust_slots, "add 10 seconds to my 2 minute timer", {"seconds": 10, "start_minutes": 2}),
        (read_adjust_slots, "add five minutes and a half to the timer", {"minutes": 5, "seconds": 30}),
        (read_adjust_slots, "take an hour and a half off the timer", {"hours": 1, "minutes": 30}),
        (read_adjust_slots, "extend the timer for 5 minutes", {"minutes": 5}),  # nothing else said: the amount
    ],
)
def test_a_timer_referred_to_by_its_duration_is_kept_apart_from_the_amount(
    reader: Any, text: str, want: dict[str, Any]
) -> None:
    assert reader(text, {}, AREAS) == want


@pytest.mark.parametrize(
    ("reader", "text", "want"),
    [
        (read_reference_slots, "cancel my kitchen timer", {"area": "Kitchen"}),
        (read_reference_slots, "pause the timer in the living room", {"area": "Living Room"}),
        (read_reference_slots, "guest room timer status", {"area": "Guest Room"}),
        (read_reference_slots, "stop all my bedroom timers", {"area": "Bedroom"}),
        (read_reference_slots, "cancel all the timers in the garage", {"area": "Garage"}),
        (read_reference_slots, "cancel the pasta timer", {"name": "pasta"}),
        (read_reference_slots, "how much time is left on the egg timer", {"name": "egg"}),
        (read_reference_slots, "cancel the timer for the laundry", {"name": "laundry"}),
        (read_reference_slots, "cancel the 5 minute kitchen timer", {"start_minutes": 5, "area": "Kitchen"}),
        (read_adjust_slots, "remove 3 minutes from my Kitchen timer", {"minutes": 3, "area": "Kitchen"}),
        (read_adjust_slots, "take 2 minutes off the timer in my garage", {"minutes": 2, "area": "Garage"}),
        (read_start_slots, "set a pasta timer for 8 minutes", {"minutes": 8, "name": "pasta"}),
        (read_start_slots, "start a 5 minute timer for the pizza", {"minutes": 5, "name": "pizza"}),
        (read_start_slots, "set a timer for 10 minutes in the kitchen", {"minutes": 10, "area": "Kitchen"}),
        (read_start_slots, "set a timer called second hand for a minute", {"minutes": 1, "name": "second hand"}),
        (read_start_slots, "a timer called one direction for five minutes", {"minutes": 5, "name": "one direction"}),
    ],
)
def test_names_and_areas(reader: Any, text: str, want: dict[str, Any]) -> None:
    assert reader(text, {}, AREAS) == want


def test_a_name_that_is_not_an_area_stays_a_name() -> None:
    assert read_reference_slots("cancel the office timer", {}, AREAS) == {"name": "office"}
    assert read_reference_slots("cancel the kitchen timer", {}, ()) == {"name": "kitchen"}  # a home without areas


def test_a_name_said_after_called_is_kept_even_when_it_is_an_area() -> None:
    found = {"name": "kitchen", "minutes": 5}
    assert read_start_slots("set a timer called kitchen for 5 minutes", found, AREAS) == found


def test_no_duration_gives_no_amount_slots() -> None:
    for reader in (read_start_slots, read_reference_slots, read_adjust_slots):
        assert reader("cancel the timer", {}, AREAS) == {}
        assert reader("how much time is left on my timers", {}, AREAS) == {}
    assert read_reference_slots("what timers are running", {}, AREAS) == {}
    assert read_timer("set a timer").amount == {}


def test_wildcard_names_that_are_durations_or_areas_are_converted() -> None:
    assert read_adjust_slots("decrease my 12 seconds timer by 34 minutes", {"name": "12 seconds", "minutes": 34},
                             AREAS) == {"start_seconds": 12, "minutes": 34}  # fmt: skip
    assert read_adjust_slots("remove 3 minutes from my Kitchen timer", {"name": "Kitchen", "minutes": 3}, AREAS) == {
        "area": "Kitchen",
        "minutes": 3,
    }
    assert read_reference_slots("stop my timer for 93 minutes", {"name": "93 minutes"}, AREAS) == {"start_minutes": 93}
    assert read_reference_slots("12-second timer status", {"name": "12-second"}, AREAS) == {"start_seconds": 12}
    assert read_reference_slots("cancel the timer for the kitchen", {"name": "the kitchen"}, AREAS) == {
        "area": "Kitchen"
    }


def test_slots_a_tier_found_that_are_right_are_kept() -> None:
    found = {"minutes": 5.0, "name": "Pasta"}
    assert read_start_slots("set a 5 minute timer for pasta", found, AREAS) == found
    area = {"area": "Kitchen", "minutes": 3.0}
    assert read_adjust_slots("add 3 minutes to the kitchen timer", area, AREAS) == area


def test_a_delayed_command_is_not_read_as_the_timer() -> None:
    found = {"conversation_command": "cancel the pasta timer", "minutes": 5.0}
    assert read_start_slots("in 5 minutes cancel the pasta timer", found, AREAS) == found


def test_duration_from_text_sums_every_duration() -> None:
    assert duration_from_text("82 and a 1/2 hours") == 82.5 * 3600
    assert duration_from_text("1/2 a minute") == 30
    assert duration_from_text("33-minutes and 22 seconds") == 33 * 60 + 22


@pytest.fixture()
def skill() -> Any:
    s = TimerSkill()
    s.use_service(TimerService(s._ring, clock=lambda: 1000.0, thread=False))
    yield s
    s.close()


def _match(intent: str, **slots: Any) -> IntentMatch:
    return IntentMatch(intent=intent, slots=slots, skill_id="timer")


def test_handlers_accept_the_read_slots_and_the_old_ones(skill: TimerSkill) -> None:
    ctx = make_ctx("", area="Kitchen")
    assert skill.start(_match("HassStartTimer", minutes=37, seconds=30), ctx).text == (
        "Timer set for 37 minutes and 30 seconds."
    )
    skill.start(_match("HassStartTimer", minutes=5), make_ctx("", area="Garage"))
    added = skill.increase(_match("HassIncreaseTimer", start_minutes=5, minutes=1), make_ctx(""))
    assert added.success and added.text.startswith("Added 1 minute to")
    assert skill.pause(_match("HassPauseTimer", area="Kitchen"), make_ctx("")).success
    # a timer referred to by an area that is its name (set as 'a timer called kitchen') is found too
    skill.cancel_all(_match("HassCancelAllTimers"), make_ctx(""))
    skill.start(_match("HassStartTimer", minutes=2, name="kitchen"), make_ctx(""))
    assert skill.cancel(_match("HassCancelTimer", area="Kitchen"), make_ctx("")).success


def test_adjust_without_a_reader_takes_the_amount_not_the_timers_duration(skill: TimerSkill) -> None:
    skill.start(_match("HassStartTimer", minutes=10), make_ctx(""))
    reply = skill.increase(_match("HassIncreaseTimer"), make_ctx("add 2 minutes to my 10 minute timer"))
    assert reply.success and reply.text.startswith("Added 2 minutes")
    none = skill.increase(_match("HassIncreaseTimer"), make_ctx("add to my 10 minute timer"))
    assert none.error_code == ErrorCode.TIMER_INVALID


def test_every_timer_intent_declares_a_reader() -> None:
    specs = {spec.name: spec for spec, _attr in TimerSkill.intent_handlers()}
    assert len(specs) == 8 and all(spec.read_slots is not None for spec in specs.values())
