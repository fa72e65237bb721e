"""Run request cases end to end (understanding + home-control skill + a home) and check the end state."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.nlu.engine import Understanding
from contracts.home import HomeApi
from contracts.intents import DEVICE_INTENTS
from contracts.messages import IntentMatch, SkillResult
from contracts.skills import SkillContext
from skills.home_control import HomeControlSkill

__all__ = ["CaseOutcome", "TurnLog", "check_case", "run_turns"]


@dataclass(frozen=True, slots=True)
class TurnLog:
    """One turn of a case: what was understood and what the skill replied."""

    text: str
    """The user's text."""
    matches: tuple[IntentMatch, ...]
    """What the engine returned."""
    replies: tuple[str, ...]
    """Replies (skill texts, clarification questions)."""
    asked: bool
    """True when the turn ended with a question (clarification or confirmation)."""
    writes: int
    """Service calls that ran."""
    latency_ms: float
    """Recognition time."""


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """A case's verdict."""

    case_id: str
    """Case id."""
    passed: bool
    """All expectations held."""
    problems: tuple[str, ...] = ()
    """What did not hold."""
    turns: tuple[TurnLog, ...] = field(default_factory=tuple)
    """The turns."""


def run_turns(
    engine: Understanding,
    home: HomeApi,
    turns: Sequence[tuple[str, str | None]],
    *,
    conversation_id: str = "eval",
    pin: str | None = None,
) -> list[TurnLog]:
    """Run turns like the pipeline does: confirmations re-dispatch the pending match with confirmed=True."""
    skill = HomeControlSkill()
    handlers = {spec.name: getattr(skill, attr) for spec, attr in skill.intent_handlers()}
    pending: IntentMatch | None = None
    logs: list[TurnLog] = []
    for text, area in turns:
        started = time.perf_counter()
        matches = engine.recognize(text, conversation_id=conversation_id, area=area)
        latency = (time.perf_counter() - started) * 1000
        replies: list[str] = []
        asked = False
        writes = 0
        for match in matches:
            run: IntentMatch | None = None
            confirmed = False
            if match.intent == "Confirm":
                if pending is not None and (pin is None or match.slots.get("pin") == pin):
                    run, confirmed = pending, True
                pending = None
            elif match.intent in ("Deny", "HassNevermind"):
                pending = None
            elif match.clarification:
                replies.append(match.clarification)
                asked = True
            elif match.intent in DEVICE_INTENTS and match.intent in handlers:
                pending = None
                run = match
            if run is None:
                continue
            ctx = SkillContext(conversation_id, text, {}, {}, area=area, home=home, confirmed=confirmed)
            result: SkillResult = handlers[run.intent](run, ctx)
            writes += sum(1 for a in result.actions if a.success)
            replies.append(result.text)
            if result.needs_confirmation:
                pending, asked = run, True
            engine.observe(conversation_id, run, result)
        logs.append(TurnLog(text, tuple(matches), tuple(replies), asked, writes, latency))
    return logs


def parse_turn(raw: str) -> tuple[str, str | None]:
    """'text @area_id' → (text, area_id)."""
    if " @" in raw:
        text, area = raw.rsplit(" @", 1)
        return text.strip(), area.strip()
    return raw.strip(), None


def check_case(
    case: Mapping[str, Any], make: Callable[[], tuple[Understanding, HomeApi]], *, pin: str | None = None
) -> CaseOutcome:
    """Run one case from tests/data/home_requests.yaml on a fresh home and check its expectations."""
    engine, home = make()
    say = case["say"]
    turns = [parse_turn(t) for t in ([say] if isinstance(say, str) else say)]
    before = {e.entity_id: e.state for e in home.entities()}
    logs = run_turns(engine, home, turns, pin=pin)
    problems: list[str] = []
    for eid, want in (case.get("expect") or {}).items():
        e = home.entity(eid)
        if e is None or e.state != str(want):
            problems.append(f"{eid} is {e.state if e else None!r}, expected {want!r}")
    for eid, attrs in (case.get("attrs") or {}).items():
        e = home.entity(eid)
        for key, want in attrs.items():
            got = e.attributes.get(key) if e else None
            if not _same(got, want):
                problems.append(f"{eid}.{key} is {got!r}, expected {want!r}")
    for eid, attrs in (case.get("attrs_contains") or {}).items():
        e = home.entity(eid)
        for key, want in attrs.items():
            got = e.attributes.get(key) if e else None
            if not _contains(got, str(want)):
                problems.append(f"{eid}.{key} does not contain {want!r}")
    for eid in case.get("unchanged") or ():
        e = home.entity(eid)
        if e is None or e.state != before.get(eid):
            problems.append(f"{eid} changed to {e.state if e else None!r}")
    if case.get("no_write") and any(log.writes for log in logs):
        problems.append("a question (or nonsense) caused a write")
    if case.get("no_question") and any(log.asked for log in logs):
        problems.append("asked a question where the request was clear")
    if case.get("asks") and not logs[-1].asked:
        problems.append("expected a question (clarification or confirmation)")
    return CaseOutcome(str(case["id"]), not problems, tuple(problems), tuple(logs))


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, int | float) and not isinstance(want, bool):
        try:
            return abs(float(got) - float(want)) <= max(1.0, abs(float(want)) * 0.01)
        except (TypeError, ValueError):
            return False
    return str(got).lower() == str(want).lower()


def _contains(got: Any, want: str) -> bool:
    if isinstance(got, list | tuple):
        return any(want.lower() in str(x.get("summary", x) if isinstance(x, dict) else x).lower() for x in got)
    return want.lower() in str(got).lower()
