"""The timer skill: the timer table with a fake clock, the handlers, and the real engine routing timer requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from contracts.messages import ErrorCode, IntentMatch
from skills.timer import TimerService, TimerSkill, format_duration
from skills.timer.skill import duration_from_text, name_from_text, parse_duration

from .conftest import make_ctx


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def skill(clock: Clock) -> Iterator[TimerSkill]:
    s = TimerSkill()
    s.use_service(TimerService(s._ring, clock=clock, thread=False))
    yield s
    s.close()


def _match(intent: str, **slots: Any) -> IntentMatch:
    return IntentMatch(intent=intent, slots=slots, skill_id="timer")


def test_format_duration() -> None:
    assert format_duration(12) == "12 seconds"
    assert format_duration(90) == "1 minute and 30 seconds"
    assert format_duration(3600 + 120 + 1) == "1 hour, 2 minutes and 1 second"
    assert format_duration(300, adjective=True) == "5-minute"


def test_parse_duration_from_slots_and_text() -> None:
    assert parse_duration({"minutes": 5}) == 300
    assert parse_duration({"hours": "1", "seconds": 30.0}) == 3630
    assert parse_duration({"start_minutes": 2}, "start_") == 120
    assert parse_duration({}) is None
    with pytest.raises(ValueError):
        parse_duration({"minutes": "lots"})
    assert duration_from_text("set a pasta timer for 8 minutes") == 480
    assert duration_from_text("an hour and a half") == 5400
    assert duration_from_text("half an hour please") == 1800
    assert duration_from_text("two hours and 5 mins") == 7500
    assert duration_from_text("set a timer") is None
    assert name_from_text("set a pasta timer for 8 minutes") == "pasta"
    assert name_from_text("timer called eggs for 90 seconds") == "eggs"
    assert name_from_text("set a timer for 10 minutes") is None
    assert name_from_text("start a 5 minute timer") is None


def test_number_words_of_any_size_are_read_by_text2num() -> None:
    assert duration_from_text("set a timer for twenty five minutes") == 1500  # was 300: only 'five' was read
    assert duration_from_text("timer for twenty-five minutes") == 1500
    assert duration_from_text("one hour and thirty seconds") == 3630
    assert duration_from_text("seventy seconds") == 70
    assert duration_from_text("two and a half hours") == 9000
    assert duration_from_text("in one second") == 1  # 'second' is a unit, not the ordinal
    assert parse_duration({"minutes": "twenty five"}) == 1500
    assert name_from_text("set a twenty five minute pizza timer") == "pizza"
    assert name_from_text("a timer called one direction for five minutes") == "one direction"


def test_a_second_timer_is_an_ordinal_not_one_second() -> None:
    assert duration_from_text("set a second timer for 5 minutes") == 300  # was 301
    assert duration_from_text("add a second timer called pasta for 8 minutes") == 480
    assert duration_from_text("set a second one for 3 minutes") == 180
    assert duration_from_text("a second timer") is None
    assert duration_from_text("set a timer for a second") == 1  # the unit, where no noun follows
    assert duration_from_text("add a second to the timer") == 1
    assert duration_from_text("a minute and a second") == 61
    assert name_from_text("start a second pasta timer for 4 minutes") == "pasta"
    assert name_from_text("set another egg timer for 3 minutes") == "egg"
    assert name_from_text("a timer called second hand") == "second hand"  # a name said after 'called' is kept whole
    assert name_from_text("set a second timer for 5 minutes") is None


def test_timer_rings_once_at_its_end(skill: TimerSkill, clock: Clock) -> None:
    said: list[str] = []
    ctx = make_ctx("set a timer for 5 minutes", announce=said.append)
    reply = skill.start(_match("HassStartTimer", minutes=5), ctx)
    assert reply.success and reply.text == "Timer set for 5 minutes."
    service = skill.service()
    clock.t += 299
    assert service.tick() == [] and said == []
    clock.t += 1
    assert [t.duration_s for t in service.tick()] == [300.0]
    assert said == ["The 5-minute timer is done."]
    clock.t += 600
    assert service.tick() == [] and said == ["The 5-minute timer is done."]
    assert service.timers("test") == []


def test_pause_resume_and_adjust(skill: TimerSkill, clock: Clock) -> None:
    said: list[str] = []
    ctx = make_ctx("", announce=said.append)
    skill.start(_match("HassStartTimer", minutes=10), ctx)
    clock.t += 60
    paused = skill.pause(_match("HassPauseTimer"), ctx)
    assert paused.success and "9 minutes left" in paused.text
    clock.t += 3600  # a paused timer does not run down
    assert skill.service().tick() == []
    status = skill.status(_match("HassTimerStatus"), ctx)
    assert "9 minutes left (paused)" in status.text
    assert skill.resume(_match("HassUnpauseTimer"), ctx).success
    assert skill.increase(_match("HassIncreaseTimer", minutes=1), ctx).text.endswith("10 minutes left.")
    assert skill.decrease(_match("HassDecreaseTimer", minutes=8), ctx).text.endswith("2 minutes left.")
    refused = skill.decrease(_match("HassDecreaseTimer", minutes=5), ctx)
    assert refused.error_code == ErrorCode.TIMER_INVALID and "left" in refused.text
    clock.t += 120
    skill.service().tick()
    assert said == ["The 10-minute timer is done."]


def test_cancel_asks_which_when_two_timers_run(skill: TimerSkill, clock: Clock) -> None:
    ctx = make_ctx("set a pasta timer for 8 minutes")
    assert skill.start(_match("HassStartTimer"), ctx).text == "Pasta timer set for 8 minutes."
    skill.start(_match("HassStartTimer", minutes=5), make_ctx(""))
    which = skill.cancel(_match("HassCancelTimer"), make_ctx("cancel the timer"))
    assert which.error_code == ErrorCode.NLU_AMBIGUOUS and "pasta" in which.text and "5-minute" in which.text
    assert len(skill.service().timers("test")) == 2
    done = skill.cancel(_match("HassCancelTimer", name="pasta"), make_ctx(""))
    assert done.success and done.text == "Cancelled the pasta timer."
    assert [t.duration_s for t in skill.service().timers("test")] == [300.0]
    assert (
        skill.cancel(_match("HassCancelTimer", start_minutes=7), make_ctx("")).error_code == ErrorCode.TIMER_NOT_FOUND
    )
    assert skill.cancel_all(_match("HassCancelAllTimers"), make_ctx("")).text == "Cancelled 1 timer."
    assert skill.cancel(_match("HassCancelTimer"), make_ctx("")).error_code == ErrorCode.TIMER_NOT_FOUND


def test_timers_belong_to_their_conversation(skill: TimerSkill) -> None:
    skill.start(_match("HassStartTimer", minutes=1), make_ctx("", conversation_id="a"))
    assert skill.status(_match("HassTimerStatus"), make_ctx("", conversation_id="b")).error_code == (
        ErrorCode.TIMER_NOT_FOUND
    )
    assert skill.status(_match("HassTimerStatus"), make_ctx("", conversation_id="a")).success


def test_bad_durations_are_refused(skill: TimerSkill) -> None:
    assert skill.start(_match("HassStartTimer"), make_ctx("set a timer")).error_code == ErrorCode.TIMER_INVALID
    too_long = skill.start(_match("HassStartTimer", hours=30), make_ctx(""))
    assert too_long.error_code == ErrorCode.TIMER_INVALID and "24 hours" in too_long.text
    assert skill.start(_match("HassStartTimer", minutes="lots"), make_ctx("")).error_code == ErrorCode.TIMER_INVALID
    assert skill.service().timers("test") == []


def test_delayed_command_is_submitted_when_the_timer_ends(skill: TimerSkill, clock: Clock) -> None:
    submitted: list[str] = []
    ctx = make_ctx("turn off the kitchen lights in 5 minutes", submit=submitted.append)
    reply = skill.start(_match("HassStartTimer", minutes=5, conversation_command="turn off the kitchen lights"), ctx)
    assert reply.success and "“turn off the kitchen lights”" in reply.text
    clock.t += 299
    skill.service().tick()
    assert submitted == []
    clock.t += 2
    skill.service().tick()
    assert submitted == ["turn off the kitchen lights"]


def test_delayed_command_without_a_host_does_nothing(skill: TimerSkill) -> None:
    reply = skill.start(_match("HassStartTimer", minutes=5, conversation_command="unlock the front door"), make_ctx(""))
    assert not reply.success and reply.error_code == ErrorCode.TIMER_INVALID and "did nothing" in reply.text
    assert skill.service().timers("test") == []


def test_scheduler_thread_rings_in_real_time() -> None:
    rung: list[int] = []
    done = threading.Event()

    def ring(timer: Any) -> None:
        rung.append(timer.id)
        done.set()

    service = TimerService(ring)
    try:
        service.start("c", 0.2)
        assert done.wait(5.0)
        assert rung == [1] and service.timers("c") == []
    finally:
        service.close()


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from assistant.app import Assistant

    a = Assistant.create(data_dir=str(tmp_path_factory.mktemp("timer") / "data"), llm={"backend": "none"})
    yield a
    a.close()


def _announcements(a: Any) -> tuple[list[Any], threading.Event, Any]:
    from contracts.messages import EventType

    seen: list[Any] = []
    got = threading.Event()

    def on_event(event: Any) -> None:
        if event.type == EventType.ANNOUNCEMENT:
            seen.append(event)
            got.set()

    return seen, got, a.subscribe(on_event)


@pytest.mark.slow
def test_real_engine_routes_timer_requests_and_never_acts_early(real: Any) -> None:
    a = real
    conv = a.db.conversations.create_conversation()
    before = a.home.states()
    started = a.handle_text("set a timer for 5 minutes", conversation_id=conv)
    assert started.skill_id == "timer" and started.intent is not None
    assert started.intent.intent == "HassStartTimer" and started.reply == "Timer set for 5 minutes."
    status = a.handle_text("how much time is left on the timer", conversation_id=conv)
    assert status.intent is not None and status.intent.intent == "HassTimerStatus" and "left" in status.reply
    delayed = a.handle_text("turn off the kitchen light in 10 minutes", conversation_id=conv)
    assert delayed.intent is not None and delayed.intent.intent == "HassStartTimer"
    assert delayed.actions == ()
    assert a.home.states() == before  # nothing acted now
    cancelled = a.handle_text("cancel all timers", conversation_id=conv)
    assert cancelled.skill_id == "timer" and cancelled.error is None


@pytest.mark.slow
def test_a_timer_rings_in_its_conversation(real: Any) -> None:
    seen, got, unsubscribe = _announcements(real)
    try:
        conv = real.db.conversations.create_conversation()
        assert real.handle_text("set a timer for 1 second", conversation_id=conv).reply == "Timer set for 1 second."
        assert got.wait(30)
        assert [(e.conversation_id, e.data["text"]) for e in seen] == [(conv, "The 1-second timer is done.")]
    finally:
        unsubscribe()


@pytest.mark.slow
def test_a_delayed_command_runs_through_the_pipeline_when_its_timer_rings(real: Any) -> None:
    seen, got, unsubscribe = _announcements(real)
    try:
        conv = real.db.conversations.create_conversation()
        real.home.call_service("light.turn_on", ["light.kitchen"])
        reply = real.handle_text("turn off the kitchen light in 1 second", conversation_id=conv)
        assert reply.intent is not None and reply.intent.intent == "HassStartTimer"
        assert real.home.states()["light.kitchen"]["state"] == "on"  # not yet
        assert got.wait(60)
        assert real.home.states()["light.kitchen"]["state"] == "off"
        assert seen[0].conversation_id == conv and "turn off the kitchen light" in seen[0].data["text"]
        texts = [t.user_text for t in real.db.conversations.turns(conv)]
        assert texts[-1] == "turn off the kitchen light"  # the delayed command is a stored turn of its own
    finally:
        unsubscribe()


@pytest.mark.slow
def test_a_delayed_unlock_still_asks_for_confirmation(real: Any) -> None:
    seen, got, unsubscribe = _announcements(real)
    try:
        conv = real.db.conversations.create_conversation()
        before = real.home.states()["lock.front_door"]["state"]
        real.handle_text("unlock the front door in 1 second", conversation_id=conv)
        assert got.wait(60)
        assert real.home.states()["lock.front_door"]["state"] == before == "locked"
        assert real.pending_confirmation(conv) is not None
        assert "unlock the front door" in seen[0].data["text"]
        real.handle_text("no", conversation_id=conv)
        assert real.home.states()["lock.front_door"]["state"] == "locked"
    finally:
        unsubscribe()


# ------------------------------------------------------------------ durable timers (a store shared by workers)


class DictStore:
    """An in-memory SkillStore (the real one is tested through the assistant below)."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def put(self, key: str, record: Any) -> None:
        with self.lock:
            self.records[key] = dict(record)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.records.get(key)

    def items(self) -> list[tuple[str, dict[str, Any]]]:
        with self.lock:
            return sorted(self.records.items())

    def take(self, key: str) -> bool:
        with self.lock:
            return self.records.pop(key, None) is not None


def _worker(store: DictStore, clock: Clock, rang: list[str], name: str) -> TimerService:
    def hooks(cid: str) -> tuple[Any, Any]:
        return (lambda text: rang.append(f"{name}:{cid}:{text}")), None

    return TimerService(lambda t: rang.append(f"{name}:{t.conversation_id}"), clock=clock, thread=False,
                        store=store, hooks=hooks, wall=clock)  # fmt: skip


def test_a_durable_timer_rings_on_exactly_one_worker(clock: Clock) -> None:
    store, rang = DictStore(), []
    one, two = _worker(store, clock, rang, "one"), _worker(store, clock, rang, "two")
    one.start("c1", 60, name="pasta")
    two.sync()
    assert [t.name for t in two.timers("c1")] == ["pasta"]
    clock.t += 61
    one.tick(), two.tick()
    assert len(rang) == 1 and store.records == {}


def test_a_durable_timer_survives_a_restart_and_keeps_its_time(clock: Clock) -> None:
    store, rang = DictStore(), []
    before = _worker(store, clock, rang, "old")
    timer = before.start("c1", 600, name="tea")
    clock.t += 100
    before.pause(timer.id)
    before.close()  # the process stops; the record stays
    clock.t += 1000
    after = _worker(store, clock, rang, "new")
    after.sync()
    restored = after.timers("c1")
    assert len(restored) == 1 and restored[0].paused and abs(restored[0].left(clock()) - 500) < 1
    after.resume(restored[0].id)
    clock.t += 501
    after.tick()
    assert rang == ["new:c1"]


def test_cancel_on_one_worker_removes_the_timer_everywhere(clock: Clock) -> None:
    store, rang = DictStore(), []
    one, two = _worker(store, clock, rang, "one"), _worker(store, clock, rang, "two")
    timer = one.start("c1", 60)
    two.sync()
    one.cancel(timer.id)
    two.sync()
    assert two.timers("c1") == []
    clock.t += 61
    one.tick(), two.tick()
    assert rang == []


@pytest.mark.slow
def test_timers_survive_an_assistant_restart(tmp_path: Any) -> None:
    from assistant import Assistant

    data = str(tmp_path / "data")
    first = Assistant.create(data_dir=data)
    try:
        conv = first.db.conversations.create_conversation()
        assert first.handle_text("set a pizza timer for 2 hours", conversation_id=conv).error is None
    finally:
        first.close()
    second = Assistant.create(data_dir=data)
    try:
        status = second.handle_text("how much time is left on the pizza timer", conversation_id=conv)
        assert status.intent is not None and status.intent.intent == "HassTimerStatus", status.reply
        assert "left" in status.reply and "hour" in status.reply, status.reply
    finally:
        second.close()
