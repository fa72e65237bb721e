"""The timer skill: answers Home Assistant's timer intents (HassStartTimer, HassCancelTimer, ...) per conversation.

A finished timer is announced in its conversation through ``SkillContext.announce``; a timer with a command
('turn off the kitchen lights in 10 minutes') submits that command through ``SkillContext.submit`` when it rings,
so it passes the same understanding and safety checks (confirmation of risky actions) as if the user said it then.
With a host (``Skill.attach``) timers are durable records in the store: a restart restores them, every worker on
the same store sees them, and each rings exactly once; without one (unit tests) they live in memory.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from contracts.messages import ErrorCode, IntentMatch, SkillResult
from contracts.skills import Skill, SkillContext, SkillHost, intent
from skills.timer.service import Timer, TimerService, format_duration
from skills.timer.slots import (
    Role,
    duration_from_text,
    name_from_text,
    parse_duration,
    read_adjust_slots,
    read_reference_slots,
    read_start_slots,
    read_timer,
)

__all__ = ["TimerSkill", "duration_from_text", "name_from_text", "parse_duration"]


def _hooks(host: SkillHost) -> Callable[[str], tuple[Callable[[str], None], Callable[[str], None]]]:
    """A restored timer's announce/submit: the host's, bound to the timer's conversation."""

    def hooks(conversation_id: str) -> tuple[Callable[[str], None], Callable[[str], None]]:
        return functools.partial(host.announce, conversation_id), functools.partial(host.submit, conversation_id)

    return hooks


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _reply(
    text: str, *, code: ErrorCode | None = None, timers: list[Timer] | None = None, now: float = 0.0
) -> SkillResult:
    data: dict[str, Any] = {}
    if timers is not None:
        data["timers"] = [
            {"id": t.id, "name": t.name, "area": t.area, "command": t.command, "paused": t.paused,
             "duration_s": t.duration_s, "left_s": round(t.left(now), 1)}
            for t in timers
        ]  # fmt: skip
    return SkillResult(text=text, success=code is None, error_code=code.value if code else None, data=data)


_AMOUNT_SLOTS = {"hours": "number", "minutes": "number", "seconds": "number"}
"""How long a new timer runs, or how much time is added or taken off, in the units said."""
_START_SLOTS = {"start_hours": "number", "start_minutes": "number", "start_seconds": "number"}
"""A running timer referred to by the duration it started with ('the 5 minute timer'), as Home Assistant's slots."""
_TIMER_EVIDENCE = (r"timers?", r"count ?downs?", "@followup")
"""What a timer request says (or refers to, right after a timer turn): a device request with none is not a timer's."""
_START_EVIDENCE = (
    r"timers?",
    r"count ?down",
    r"\d+ (?:hours?|minutes?|mins?|seconds?|secs?)",
    r"(?:an?|half an?|one|two|three|five|ten|twenty|thirty) (?:hours?|minutes?|seconds?)",
    r"wake me",
)
"""A new timer says 'timer' or a duration ('in 20 minutes')."""


class TimerSkill(Skill):
    """Kitchen timers and delayed commands, per conversation."""

    id: ClassVar[str] = "timer"
    description: ClassVar[str] = (
        "Timers: set, pause, resume, add or remove time, cancel, ask what's left; "
        "'turn off the lights in 10 minutes' runs the command when the timer ends."
    )
    default_settings: ClassVar[dict[str, Any]] = {"max_timers": 50, "max_duration_hours": 24}
    timeout_s: ClassVar[float] = 2.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._service: TimerService | None = None
        self._host: SkillHost | None = None

    def attach(self, host: SkillHost) -> None:
        """Keep timers in the host's store and start the scheduler now, so timers set before a restart ring."""
        self._host = host
        self.service().sync()

    # ------------------------------------------------------------------ plumbing

    def service(self, settings: Mapping[str, Any] | None = None) -> TimerService:
        """The timer table (created on first use, with its scheduler thread)."""
        with self._lock:
            if self._service is None:
                limit = int((settings or {}).get("max_timers", 50))
                host = self._host
                self._service = TimerService(
                    self._ring,
                    max_timers=limit,
                    store=host.store if host is not None else None,
                    hooks=_hooks(host) if host is not None else None,
                )
            return self._service

    def use_service(self, service: TimerService) -> None:
        """Install a service (tests pass one with a fake clock and no thread)."""
        with self._lock:
            self._service = service

    def close(self) -> None:
        """Stop the scheduler thread."""
        with self._lock:
            service, self._service = self._service, None
        if service is not None:
            service.close()

    def _ring(self, timer: Timer) -> None:
        announce = timer.announce
        if timer.command:
            if timer.submit is not None:
                timer.submit(timer.command)
                return
            if announce is not None:
                announce(f"Time's up: I could not run “{timer.command}” on my own here.")
            return
        if announce is not None:
            announce(f"{_cap(timer.describe())} is done.")

    def _selected(self, match: IntentMatch, ctx: SkillContext) -> list[Timer]:
        slots = match.slots
        service = self.service(ctx.settings)
        timers = service.timers(ctx.conversation_id)
        name = str(slots.get("name") or "").strip().casefold()
        area = str(slots.get("area") or "").strip().casefold()
        start = parse_duration(slots, "start_")
        if name:
            timers = [t for t in timers if t.name and (name in t.name.casefold() or t.name.casefold() in name)]
        if area:  # 'the kitchen timer': the timer in the kitchen, or one named so
            timers = [t for t in timers if (t.area or "").casefold() == area or (t.name or "").casefold() == area]
        if start is not None:
            timers = [t for t in timers if abs(t.duration_s - start) < 1.0]
        return timers

    def _one(self, match: IntentMatch, ctx: SkillContext) -> Timer | SkillResult:
        """The single timer a request is about, or the reply that says why there is none (or which one?)."""
        timers = self._selected(match, ctx)
        if not timers:
            anything = self.service(ctx.settings).timers(ctx.conversation_id)
            return _reply(
                "That timer isn't running." if anything else "There's no timer running.",
                code=ErrorCode.TIMER_NOT_FOUND,
            )
        if len(timers) > 1:
            names = " or ".join(t.describe() for t in timers[:4])
            return _reply(f"Which timer: {names}?", code=ErrorCode.NLU_AMBIGUOUS, timers=timers)
        return timers[0]

    # ------------------------------------------------------------------ intents

    @intent(
        "HassStartTimer",
        examples=(
            "set a timer for 10 minutes",
            "start a 5 minute timer",
            "timer for half an hour",
            "set a pasta timer for 8 minutes",
            "turn off the lights in 20 minutes",
            "count down 30 seconds",
            "wake me in 20 minutes",
        ),
        slots={
            "hours": "number",
            "minutes": "number",
            "seconds": "number",
            "name": "text",
            "area": "area",
            "conversation_command": "text",
        },
        requires=_START_EVIDENCE,
        read_slots=read_start_slots,
    )
    def start(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Start a timer (optionally named, in an area, or with a command to run when it ends)."""
        try:
            seconds = parse_duration(match.slots)
        except ValueError as exc:
            return _reply(f"I couldn't read the duration: {exc}.", code=ErrorCode.TIMER_INVALID)
        spoken = ctx.text or match.text
        from_text = seconds is None
        if seconds is None:  # a paraphrase the semantic tier matched carries no slots: read the request itself
            seconds = duration_from_text(spoken)
        if seconds is None:
            return _reply("How long should the timer run?", code=ErrorCode.TIMER_INVALID)
        limit_h = float(ctx.settings.get("max_duration_hours", 24))
        if seconds <= 0 or seconds > limit_h * 3600:
            return _reply(
                f"A timer can run from 1 second to {format_duration(limit_h * 3600)}.", code=ErrorCode.TIMER_INVALID
            )
        command = str(match.slots.get("conversation_command") or "").strip() or None
        if command is not None and ctx.submit is None:
            return _reply(
                f"I can't run “{command}” later from here, so I did nothing. Say it again when you want it done.",
                code=ErrorCode.TIMER_INVALID,
            )
        name = str(match.slots.get("name") or "").strip() or (name_from_text(spoken) if from_text else None)
        area = str(match.slots.get("area") or "").strip() or ctx.area or None
        service = self.service(ctx.settings)
        try:
            timer = service.start(
                ctx.conversation_id,
                seconds,
                name=name,
                area=area,
                command=command,
                announce=ctx.announce,
                submit=ctx.submit,
            )
        except ValueError as exc:
            return _reply(f"I couldn't start the timer: {exc}.", code=ErrorCode.TIMER_INVALID)
        when = format_duration(seconds)
        if command:
            text = f"OK, in {when} I'll do this: “{command}”."
        elif name:
            text = f"{name[0].upper()}{name[1:]} timer set for {when}."
        else:
            text = f"Timer set for {when}."
        return _reply(text, timers=[timer], now=service.now())

    @intent(
        "HassCancelTimer",
        examples=("cancel the timer", "stop my timer", "cancel the pasta timer", "cancel the 5 minute timer"),
        slots={"name": "text", "area": "area", **_START_SLOTS},
        requires=_TIMER_EVIDENCE,
        read_slots=read_reference_slots,
    )
    def cancel(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Cancel one timer."""
        found = self._one(match, ctx)
        if isinstance(found, SkillResult):
            return found
        self.service(ctx.settings).cancel(found.id)
        return _reply(f"Cancelled {found.describe()}.")

    @intent(
        "HassCancelAllTimers",
        examples=("cancel all timers", "stop all my timers"),
        slots={"area": "area"},
        requires=_TIMER_EVIDENCE,
        read_slots=read_reference_slots,
    )
    def cancel_all(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Cancel every timer of the conversation (or of one area)."""
        timers = self._selected(match, ctx)
        service = self.service(ctx.settings)
        for timer in timers:
            service.cancel(timer.id)
        if not timers:
            return _reply("There's no timer running.", code=ErrorCode.TIMER_NOT_FOUND)
        return _reply(f"Cancelled {len(timers)} timer{'s' if len(timers) != 1 else ''}.")

    @intent(
        "HassPauseTimer",
        examples=("pause the timer", "hold my timer"),
        slots={"name": "text", "area": "area", **_START_SLOTS},
        requires=_TIMER_EVIDENCE,
        read_slots=read_reference_slots,
    )
    def pause(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Pause a timer."""
        found = self._one(match, ctx)
        if isinstance(found, SkillResult):
            return found
        if found.paused:
            return _reply(f"{_cap(found.describe())} is already paused.")
        timer = self.service(ctx.settings).pause(found.id)
        left = format_duration(timer.remaining_s if timer else found.remaining_s)
        return _reply(f"Paused {found.describe()} with {left} left.")

    @intent(
        "HassUnpauseTimer",
        examples=("resume the timer", "continue my timer"),
        slots={"name": "text", "area": "area", **_START_SLOTS},
        requires=_TIMER_EVIDENCE,
        read_slots=read_reference_slots,
    )
    def resume(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Resume a paused timer."""
        found = self._one(match, ctx)
        if isinstance(found, SkillResult):
            return found
        if not found.paused:
            return _reply(f"{_cap(found.describe())} is already running.")
        self.service(ctx.settings).resume(found.id)
        return _reply(f"Resumed {found.describe()}: {format_duration(found.remaining_s)} left.")

    @intent(
        "HassIncreaseTimer",
        examples=("add 5 minutes to the timer", "add two minutes to my timer", "increase the timer by 30 seconds"),
        slots={**_AMOUNT_SLOTS, "name": "text", "area": "area", **_START_SLOTS},
        requires=_TIMER_EVIDENCE,
        read_slots=read_adjust_slots,
    )
    def increase(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Add time to a timer."""
        return self._adjust(match, ctx, +1)

    @intent(
        "HassDecreaseTimer",
        examples=("take 2 minutes off the timer", "remove a minute from my timer", "decrease the timer by 1 minute"),
        slots={**_AMOUNT_SLOTS, "name": "text", "area": "area", **_START_SLOTS},
        requires=_TIMER_EVIDENCE,
        read_slots=read_adjust_slots,
    )
    def decrease(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Take time off a timer."""
        return self._adjust(match, ctx, -1)

    def _adjust(self, match: IntentMatch, ctx: SkillContext, sign: int) -> SkillResult:
        try:
            seconds = parse_duration(match.slots)
        except ValueError as exc:
            return _reply(f"I couldn't read the duration: {exc}.", code=ErrorCode.TIMER_INVALID)
        if seconds is None:  # no reader ran: the amount said, not the duration of the timer referred to
            seconds = parse_duration(read_timer(ctx.text or match.text, role=Role.ADJUST).amount)
        if not seconds:
            return _reply("By how much?", code=ErrorCode.TIMER_INVALID)
        found = self._one(match, ctx)
        if isinstance(found, SkillResult):
            return found
        service = self.service(ctx.settings)
        try:
            timer = service.adjust(found.id, sign * seconds)
        except ValueError as exc:
            return _reply(f"I left {found.describe()} as it was: {exc}.", code=ErrorCode.TIMER_INVALID)
        if timer is None:
            return _reply("That timer has just ended.", code=ErrorCode.TIMER_NOT_FOUND)
        verb = "Added" if sign > 0 else "Took"
        where = "to" if sign > 0 else "off"
        left = format_duration(timer.left(service.now()))
        return _reply(f"{verb} {format_duration(seconds)} {where} {found.describe()}: {left} left.")

    @intent(
        "HassTimerStatus",
        examples=("how much time is left on the timer", "how long is left on my timer", "timer status"),
        slots={"name": "text", "area": "area", **_START_SLOTS},
        requires=_TIMER_EVIDENCE,
        read_slots=read_reference_slots,
    )
    def status(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Say what is left on the timers (reads only)."""
        timers = self._selected(match, ctx)
        service = self.service(ctx.settings)
        now = service.now()
        if not timers:
            return _reply("There's no timer running.", code=ErrorCode.TIMER_NOT_FOUND, timers=[])
        lines = [
            f"{_cap(t.describe())}: {format_duration(t.left(now))} left{' (paused)' if t.paused else ''}."
            for t in timers
        ]
        return _reply(" ".join(lines), timers=timers, now=now)
