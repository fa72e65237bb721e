"""Reading a timer request's slots from its words, the way Home Assistant's timer sentences put them.

Home Assistant's English timer sentences (``homeassistant_Hass*Timer*.yaml``, rules ``<timer_duration>`` and
``<timer_start>`` of ``_common.yaml``) give:

- an amount in the units said: ``hours``/``minutes``/``seconds`` ('1 hour 87 minutes' → hours 1, minutes 87; a half
  goes to the next unit: 'half an hour' → minutes 30, '37 and a 1/2 minutes' → minutes 37, seconds 30);
- a reference to a running timer by the duration it started with: ``start_hours``/``start_minutes``/``start_seconds``
  ('my 12 seconds timer', 'the timer for 3 hours'), kept apart from the amount ('decrease the 72-hours timer by 28
  minutes' → start_hours 72, minutes 28);
- ``area`` for a timer named by one of the home's areas ('my Kitchen timer', 'the timer in the Kitchen'), spelled as
  the home spells it, and ``name`` for any other name ('the pasta timer', 'a timer called eggs').

Which durations are amounts depends on the intent (``Role``): starting a timer says how long it runs, cancelling,
pausing, resuming or asking about one can only refer to one, adding or taking time off says both.
"""

from __future__ import annotations

import contextlib
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from text_to_num import alpha2digit, text2num

__all__ = [
    "Role",
    "TimerReading",
    "duration_from_text",
    "name_from_text",
    "parse_duration",
    "read_adjust_slots",
    "read_reference_slots",
    "read_slots",
    "read_start_slots",
    "read_timer",
]

UNITS: Mapping[str, float] = {"hours": 3600.0, "minutes": 60.0, "seconds": 1.0}
"""Slot unit → seconds, largest first."""
_WORDS = {"a": 1, "an": 1, "half": 0.5, "a half": 0.5}
"""Duration words that are not number words (those go through text2num: 'twenty-five' → 25)."""


class Role(StrEnum):
    """What the durations of a request are to its intent."""

    START = "start"
    """Every duration is the amount (HassStartTimer: 'a 5 minute timer' runs 5 minutes)."""
    REFER = "refer"
    """Every duration names a running timer (cancel, pause, resume, status: 'cancel the 5 minute timer')."""
    ADJUST = "adjust"
    """The timer's own duration is a reference ('the 5 minute timer', 'the timer for 5 minutes'), the other one is
    the amount (HassIncreaseTimer, HassDecreaseTimer)."""


def digits(text: str) -> str:
    """Number words as digits ('twenty five minutes' → '25 minutes'); 'second' stays a unit, not the ordinal '2nd'."""
    guarded = re.sub(r"(?i)\bsecond(s?)\b", r"zsecondz\1", text)
    with contextlib.suppress(Exception):  # text2num rejects some inputs: then the words stay words
        guarded = alpha2digit(guarded, "en", threshold=0)
    return guarded.replace("zsecondz", "second")


def number(value: Any) -> float | None:
    """A slot value or a word as a number ('5', 5, 'twenty five', 'a', 'half'); None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    if text in _WORDS:
        return float(_WORDS[text])
    try:
        return float(text2num(text, "en"))
    except ValueError:
        return None


def parse_duration(slots: Mapping[str, Any], prefix: str = "") -> float | None:
    """Seconds from the ``hours``/``minutes``/``seconds`` slots (or ``start_*`` with prefix 'start_'); None if absent.

    Raises ValueError when a slot holds something that is not a number.
    """
    total, seen = 0.0, False
    for unit, factor in UNITS.items():
        raw = slots.get(prefix + unit)
        if raw is None or raw == "":
            continue
        value = number(raw)
        if value is None:
            raise ValueError(f"'{raw}' is not a number of {unit}")
        total += value * factor
        seen = True
    return total if seen else None


# ---------------------------------------------------------------------------------------------------- durations

_N = r"\d+(?:\.\d+)?"
_HALF = r"(?:half|1/2)"
_UNIT = r"(?:hours?|hrs?|minutes?|mins?|seconds?|secs?)\b"
_ORDINAL = r"(?!an?\s+second\s+(?:[a-z]+\s+)?(?:timers?|ones?|1|alarms?|count ?downs?|reminders?)\b)"
"""'a second' before a noun is the ordinal ('a second timer', 'a second one'), not one second."""
_PART = re.compile(
    r"\b(?:"
    rf"(?P<bn>{_N})[\s-]+and[\s-]+(?:a[\s-]+)?{_HALF}[\s-]*(?P<bu>{_UNIT})"  # 37 and a 1/2 minutes, 82 and half hour
    rf"|(?:a\s+)?{_HALF}[\s-]*(?:of\s+)?(?:an?\s+)?(?P<cu>{_UNIT})"  # half an hour, 1/2 a minute, a half-hour
    rf"|(?:(?P<qn>{_N}|an?)\s+)?quarters?[\s-]+(?:of\s+)?(?:an?\s+)?(?P<qu>hour)s?\b"  # a quarter of an hour
    rf"|{_ORDINAL}(?P<an>{_N}|an?)[\s-]*(?P<au>{_UNIT})(?P<ah>\s+and\s+a\s+{_HALF}\b)?"  # 5-minutes, an hour and a half
    r")",
    re.IGNORECASE,
)
_JOIN = re.compile(r"\s*,?\s*(?:and\s+)?", re.IGNORECASE)
"""What may stand between the parts of one duration ('1 hour 87 minutes', '33-minutes and 22 seconds')."""


def _unit(word: str) -> str:
    return {"h": "hours", "m": "minutes", "s": "seconds"}[word[0].lower()]


def _amount(word: str) -> float:
    return 1.0 if word.lower() in ("a", "an") else float(word)


@dataclass(slots=True)
class _Duration:
    """One duration said in the request: where, and how much of each unit."""

    start: int
    end: int
    said: dict[str, float] = field(default_factory=dict)
    reference: bool = False
    """Said as the timer's own duration ('the 5 minute timer', 'the timer for 5 minutes')."""
    after_for: bool = False
    """The reference was 'timer for <duration>' (which, with nothing else said, can also be the amount)."""


def _durations(text: str) -> list[_Duration]:
    """The durations in a text (number words already digits), each its parts joined ('1 hour and 30 minutes')."""
    found: list[_Duration] = []
    for m in _PART.finditer(text):
        if m.group("bn"):
            unit, value = _unit(m.group("bu")), float(m.group("bn")) + 0.5
        elif m.group("cu"):
            unit, value = _unit(m.group("cu")), 0.5
        elif m.group("qu"):
            unit, value = "minutes", 15.0 * _amount(m.group("qn") or "a")
        else:
            unit, value = _unit(m.group("au")), _amount(m.group("an")) + (0.5 if m.group("ah") else 0.0)
        last = found[-1] if found else None
        if last is not None and unit not in last.said and _JOIN.fullmatch(text[last.end : m.start()]):
            last.said[unit] = value
            last.end = m.end()
        else:
            found.append(_Duration(m.start(), m.end(), {unit: value}))
    return found


def _canonical(said: Mapping[str, float]) -> dict[str, int | float]:
    """Units as said, a fraction carried to the next unit ('half an hour' → minutes 30, '1.5 minutes' → 1 and 30)."""
    out: dict[str, int | float] = {}
    carry = 0.0
    for unit, below in (("hours", 60.0), ("minutes", 60.0), ("seconds", 0.0)):
        total = said.get(unit, 0.0) + carry
        carry = 0.0
        if below and not float(total).is_integer():
            whole = math.floor(total)
            carry = round((total - whole) * below, 6)
            if whole:
                out[unit] = int(whole)
        elif unit in said or total:
            out[unit] = int(total) if float(total).is_integer() else total
    return out


def _merged(durations: Sequence[_Duration]) -> dict[str, int | float]:
    said: dict[str, float] = {}
    for d in durations:
        for unit, value in d.said.items():
            said[unit] = said.get(unit, 0.0) + value
    return _canonical(said)


def duration_from_text(text: str) -> float | None:
    """Seconds said in free text ('8 minutes', 'two hours and 5 mins', 'half an hour', 'an hour and a half')."""
    found = _durations(digits(text))
    if not found:
        return None
    return sum(value * UNITS[unit] for d in found for unit, value in d.said.items())


# ---------------------------------------------------------------------------------------------------- names, areas

_DET = r"(?:a|an|the|my|our|your|this|that|another)"
_VERB = (
    r"(?:set|start|create|make|begin|cancel|stop|end|delete|kill|clear|remove|take|pause|hold|freeze|resume|"
    r"continue|unpause|restart|add|put|increase|extend|lengthen|decrease|reduce|shorten|subtract|check)"
)
_PREP = r"(?:of|on|to|from|off|for|by|in|with|at|about|all)"
_WORD = rf"(?!(?:{_DET}|{_VERB}|{_PREP}|timers?|status)\b)\S+"
_BEFORE = re.compile(
    rf"(?:^|\b(?:{_DET}|{_VERB}|{_PREP})\s+)(?P<x>{_WORD}(?:\s+{_WORD}){{0,3}}?)\s+timers?\b(?P<status>\s+status\b)?",
    re.IGNORECASE,
)
"""'the pasta timer', 'my Kitchen timer', 'remove 3 minutes from Kitchen timer', 'Bedroom timer status'."""
_END = r"(?=\s+(?:for|in|to|by|from|off|with|and|that|which|on|at|please|now|called|named)\b|\s*[.!?]?\s*$)"
_CALLED = re.compile(rf"\btimers?\s+(?:called|named|labell?ed)\s+(?P<x>.+?){_END}", re.IGNORECASE)
_FOR = re.compile(rf"\btimers?\s+for\s+(?:(?:the|my|our)\s+)?(?P<x>.+?){_END}", re.IGNORECASE)
_IN = re.compile(rf"\bin\s+(?:(?:the|my|our)\s+)?(?P<x>.+?){_END}", re.IGNORECASE)
"""'the timer in the Kitchen', 'a timer for 10 minutes in the Kitchen' (only an area of the home counts)."""
_MARK = re.compile(r"§(\d+)")
_NOT_NAMES = {
    "new", "quick", "short", "long", "second", "third", "another", "other", "extra", "current", "running", "active",
    "existing", "last", "first", "only", "old", "same", "next", "what", "which", "how", "any", "every", "each", "all",
    "is", "are", "there", "i", "you", "do", "does", "many", "much", "some", "one", "ones", "please", "can", "could",
    "would", "want", "like", "need", "hey", "ok", "okay", "just", "now", "also", "and", "then", "so", "timer",
    "timers", "the", "my", "a", "an", "our",
}  # fmt: skip
"""Words that are not (the start of) a timer's name: 'a second pasta timer' is named 'pasta'."""


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"^(?:the|my|our)\s+", "", plain.strip().casefold()).split())


def _area(words: str, areas: Sequence[str]) -> str | None:
    """The home's spelling of the area these words name, or None."""
    key = _fold(words)
    return next((a for a in areas if key and _fold(a) == key), None) if key else None


def _name(words: Sequence[str]) -> str | None:
    kept = list(words)
    while kept and kept[0].lower() in _NOT_NAMES:
        kept.pop(0)
    name = " ".join(kept).strip(" '\"")
    return None if not name or name.lower() in _NOT_NAMES or number(name) is not None else name


@dataclass(frozen=True, slots=True)
class TimerReading:
    """What a timer request says, read from its words."""

    amount: Mapping[str, int | float] = field(default_factory=dict)
    """How long (a new timer) or how much (added, taken off), in the units said: {'minutes': 37, 'seconds': 30}."""
    start: Mapping[str, int | float] = field(default_factory=dict)
    """The duration the referred timer started with (``start_*`` without the prefix)."""
    name: str | None = None
    """The timer's name, if one was said that is not an area of the home."""
    area: str | None = None
    """The area the timer is referred to by, as the home spells it."""
    called: str | None = None
    """A name said explicitly ('called eggs', 'named kitchen'): kept as a name even when it is an area's."""


def _marked(said: str, found: Sequence[_Duration]) -> str:
    """Each duration as one token '§k', so that names and references see it whole."""
    for k in range(len(found) - 1, -1, -1):
        said = f"{said[: found[k].start]}§{k}{said[found[k].end :]}"
    return said


def _called(text: str, marked: str) -> str | None:
    """A name said after 'called'/'named', kept whole ('a timer called second hand')."""
    m = _CALLED.search(text) or _CALLED.search(marked)
    name = m.group("x").strip(" '\"") if m and not _MARK.search(m.group("x")) else None
    return name if name and number(name) is None else None


def _before_timer(marked: str, found: Sequence[_Duration], areas: Sequence[str]) -> tuple[str | None, str | None]:
    """(name, area) said before 'timer' ('the pasta timer', 'my Kitchen timer'); a duration there is a reference."""
    name: str | None = None
    area: str | None = None
    for m in _BEFORE.finditer(marked):
        words = m.group("x").split()
        for k in (int(x) for w in words for x in _MARK.findall(w)):
            found[k].reference = True
        plain = [w for w in words if not _MARK.fullmatch(w)]
        here = _area(" ".join(plain), areas)
        area = area or here
        name = name or (_name(plain) if here is None else None)
    return name, area


def _after_timer(marked: str, found: Sequence[_Duration], areas: Sequence[str]) -> tuple[str | None, str | None]:
    """(name, area) said after 'timer for' or 'in' ('the timer for the laundry', 'the timer in the Kitchen'); a
    duration after 'timer for' is a reference."""
    name: str | None = None
    area: str | None = None
    for rx, named in ((_FOR, True), (_IN, False)):
        for m in rx.finditer(marked):
            x = m.group("x")
            mark = _MARK.fullmatch(x.strip())
            if mark and named:  # 'the timer for 5 minutes'
                found[int(mark.group(1))].reference = True
                found[int(mark.group(1))].after_for = True
            if _MARK.search(x):
                continue
            here = _area(x, areas)
            area = area or here
            name = name or (_name(x.split()) if named and here is None else None)
    return name, area


def _roles(found: Sequence[_Duration], role: Role) -> tuple[dict[str, int | float], dict[str, int | float]]:
    """(amount, start): which durations say how long or how much, and which names the timer referred to."""
    if role is Role.START:
        return _merged(found), {}
    refs = [d for d in found if d.reference]
    if role is Role.REFER:
        return {}, _merged((refs or list(found))[:1])
    rest = [d for d in found if not d.reference]
    if not rest and len(refs) == 1 and refs[0].after_for:  # 'extend the timer for 5 minutes': nothing else said
        refs, rest = [], refs
    return _merged(rest), _merged(refs[:1])


def read_timer(text: str, areas: Sequence[str] = (), *, role: Role = Role.START) -> TimerReading:
    """Read a timer request: its amount, the duration of the timer it refers to, its name or area."""
    said = digits(text)
    found = _durations(said)
    marked = _marked(said, found)
    called = _called(text, marked)
    name, area = _before_timer(marked, found, areas)
    after_name, after_area = _after_timer(marked, found, areas)
    amount, start = _roles(found, role)
    return TimerReading(
        amount=amount, start=start, name=called or name or after_name, area=area or after_area, called=called
    )


def name_from_text(text: str) -> str | None:
    """A timer's name said in free text ('a pasta timer', 'a timer called eggs'), ignoring durations and fillers."""
    return read_timer(text).name


# ---------------------------------------------------------------------------------------------------- slot readers

_AMOUNT = tuple(UNITS)
_START = tuple(f"start_{u}" for u in UNITS)


def _without(text: str, part: str) -> str:
    """The text without a slot's words (a delayed command's words are not the timer's)."""
    at = text.casefold().find(part.strip().casefold())
    return text if at < 0 else f"{text[:at]} {text[at + len(part.strip()) :]}"


def _tier_name(out: dict[str, Any], reading: TimerReading, areas: Sequence[str], role: Role) -> dict[str, int | float]:
    """Fix a tier's free-text ``name`` in ``out``: a duration in it leaves the name (returned: the timer's duration,
    or a new timer's amount), an area of the home becomes ``area`` unless the name was said after 'called'."""
    tier_name = str(out["name"])
    durations = _durations(digits(tier_name))
    explicit = reading.called is not None and _fold(reading.called) == _fold(tier_name)
    here = None if explicit else (_area(tier_name, areas) or read_timer(f"the {tier_name} timer", areas).area)
    if here is not None:
        out.pop("name")
        out["area"] = out.get("area") or here
    elif durations:  # '12 seconds' is the timer's duration, not its name; '5 minute pasta' is named 'pasta'
        kept = _name(_PART.sub(" ", digits(tier_name)).split())
        if kept is None:
            out.pop("name")
        else:
            out["name"] = kept
    return _merged(durations)


def _said(out: Mapping[str, Any], keys: Sequence[str]) -> bool:
    return any(out.get(k) not in (None, "") for k in keys)


def read_slots(text: str, found: Mapping[str, Any], areas: Sequence[str], *, role: Role) -> dict[str, Any]:
    """A timer intent's slots in Home Assistant's form: the slots a tier found where they are right, completed from
    the request's words; a free-text ``name`` that is really a duration becomes ``start_*`` (or the amount of a new
    timer), one that is an area of the home becomes ``area``."""
    command = found.get("conversation_command")
    if isinstance(command, str) and command.strip():
        text = _without(text, command)
    reading = read_timer(text, areas, role=role)
    out = dict(found)
    amount: Mapping[str, Any] = reading.amount
    start: Mapping[str, Any] = reading.start
    if isinstance(out.get("name"), str) and out["name"].strip():
        in_name = _tier_name(out, reading, areas, role)
        if role is Role.START:
            amount = amount or in_name
        else:
            start = start or in_name
    if role is not Role.REFER and not _said(out, _AMOUNT):
        out.update(amount)
    if role is not Role.START and not _said(out, _START):
        out.update({f"start_{unit}": value for unit, value in start.items()})
    if reading.area and not out.get("area") and reading.area != reading.called:
        out["area"] = reading.area
    if reading.name and not out.get("name") and _fold(reading.name) != _fold(str(out.get("area") or "")):
        out["name"] = reading.name
    return out


def read_start_slots(text: str, found: Mapping[str, Any], areas: Sequence[str]) -> dict[str, Any]:
    """HassStartTimer: every duration is how long the timer runs."""
    return read_slots(text, found, areas, role=Role.START)


def read_reference_slots(text: str, found: Mapping[str, Any], areas: Sequence[str]) -> dict[str, Any]:
    """Cancel, pause, resume, status: a duration names the timer it started as (``start_*``)."""
    return read_slots(text, found, areas, role=Role.REFER)


def read_adjust_slots(text: str, found: Mapping[str, Any], areas: Sequence[str]) -> dict[str, Any]:
    """HassIncreaseTimer, HassDecreaseTimer: the amount, and the timer referred to by its duration, name or area."""
    return read_slots(text, found, areas, role=Role.ADJUST)
