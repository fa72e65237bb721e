"""Verb polarity: an action whose direction is opposite to the request's verb is never a candidate.

The request's direction comes from its verb or particle ('turn off', 'stop', 'close', 'unlock', 'lower', 'dimmer',
'too dark'); an action's direction from the service it would run on the entity as it is now (turn_on, open_cover and
unlock raise; turn_off, close_cover, lock, pause and return_to_base lower; a level is raised or lowered by its
change). When the request says a direction, every candidate of the opposite direction is dropped before ranking
and a match of the opposite direction is refused before it reaches a skill: a hard constraint, not a weight.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from contracts.home import Entity

__all__ = ["action_polarity", "opposite", "request_polarity"]

# (pattern, direction, strength): explicit verbs and particles are strong (2); a stated condition ('too dark') is
# weak (1). Directions: +1 = on / open / start / unlock / arm / more; -1 = off / close / stop / lock / disarm / less.
_W = r"(?:(?!(?:on|off|up|down)\b)[\w']+ ){1,6}"
"""One to six words that are not a particle (the object between a verb and its particle)."""
_ON = r"on\b(?! (?:the|my|our|a|an|this|that|top|pause|hold|mute|standby|low|high|medium)\b)"
"""'on' as a particle, not as a preposition ('the light on the porch') or a mode ('on pause', 'on low')."""
_CUES: tuple[tuple[str, int, int], ...] = (
    (rf"\b(turn|switch|flip|power|put|shut|cut|kill) {_W}off\b|\b(turn|switch|power|shut|cut|kill) off\b", -1, 3),
    (rf"\b(turn|switch|flip|power|put) {_W}{_ON}|\b(turn|switch|power|put) on\b", 1, 3),
    (r"\b(off|out)$", -1, 2),
    (r"(?<!\bgoing )\bon$", 1, 2),
    (r"\bunlock(ed)?\b|\bunbolt\b|\blet (me|us|them|him|her) in\b", 1, 2),
    (r"\block(ed)?\b|\bbolt\b|\block up\b", -1, 2),
    (r"\bdisarm\b", -1, 2),
    (r"\barm\b", 1, 2),
    (r"\b(open|opened|raise|lift|roll up|pull up|draw back)\b", 1, 2),
    (r"\b(close|closed|shut|roll down|pull down)\b", -1, 2),
    (r"\b(start|starting|begin|resume|unpause|continue|activate|enable|fire up|boot up|power up)\b", 1, 2),
    (r"\b(stop|stopping|pause|halt|quit|cease|kill|cut|deactivate|disable|dock|power down|shut down)\b", -1, 2),
    (r"\b(turn|crank|bump|pump|bring|ramp) (it |that |them |the [\w']+(?: [\w']+){0,3} )?up\b", 1, 2),
    (r"\b(turn|bring|ramp|tone|dial) (it |that |them |the [\w']+(?: [\w']+){0,3} )?down\b", -1, 2),
    (r"\b(brighter|brighten|louder|warmer|hotter|higher|faster|increase|boost|more)\b", 1, 2),
    (r"\b(dimmer|dim|darker|darken|quieter|softer|cooler|colder|lower|slower|decrease|reduce|less)\b", -1, 2),
    (r"\b(too (dark|dim|gloomy|quiet|cold|chilly)|can't (see|hear)|freezing|pitch black)\b", 1, 1),
    (r"\b(too (bright|loud|hot|warm)|blinding|boiling|roasting|blasting)\b", -1, 1),
)
_COMPILED = tuple((re.compile(p), d, s) for p, d, s in _CUES)

_RAISE = frozenset(
    {
        "turn_on", "open_cover", "open_valve", "unlock", "media_play", "start", "volume_up", "alarm_arm_home",
        "alarm_arm_away", "alarm_arm_night", "alarm_arm_vacation", "alarm_arm_custom_bypass", "start_mowing",
        "open_cover_tilt",
    }
)  # fmt: skip
_LOWER = frozenset(
    {
        "turn_off", "close_cover", "close_valve", "lock", "media_pause", "media_stop", "return_to_base", "stop",
        "volume_down", "alarm_disarm", "dock", "close_cover_tilt", "pause",
    }
)  # fmt: skip
_DELTAS = ("brightness_delta", "volume_delta", "position_delta", "percentage_delta", "temperature_delta")


_LEVEL_INTENTS = frozenset(
    {"HassLightSet", "HassSetVolume", "HassSetPosition", "HassFanSetSpeed", "HassClimateSetTemperature"}
)


def request_polarity(norm: str) -> int:
    """+1 / -1 when the (normalised) request says a direction; 0 when it says none, or both equally strongly."""
    best = 0
    signs: set[int] = set()
    for rx, direction, strength in _COMPILED:
        if strength < best or not rx.search(norm):
            continue
        if strength > best:
            best, signs = strength, set()
        signs.add(direction)
    # the strongest cue decides: an explicit 'turn ... on/off' outranks 'stop' or 'too bright'
    return next(iter(signs)) if len(signs) == 1 else 0


def _service_direction(service: str) -> int:
    name = service.split(".", 1)[-1]
    if name in _RAISE:
        return 1
    if name in _LOWER:
        return -1
    return 0


def action_polarity(intent: str, entity: Entity | None, slots: Mapping[str, Any]) -> int:
    """The direction of an action on an entity as it is now: +1, -1, or 0 (no direction: next track, a colour, a
    level without a current value, a read)."""
    from contracts.intents import service_call

    for key in _DELTAS:
        value = slots.get(key)
        if isinstance(value, int | float) and value:
            return 1 if value > 0 else -1
    if intent in _LEVEL_INTENTS:
        return 0  # set to an absolute value ('down to 15'): the value says where, not the verb
    if entity is None:
        return {"HassTurnOn": 1, "HassTurnOff": -1}.get(intent, 0)
    if intent == "HassToggle":
        return -1 if entity.state in ("on", "open", "playing", "unlocked") else 1
    call = service_call(intent, entity, slots)
    if call is None:
        return 0
    return _service_direction(call[0])  # a level set to an absolute value ('to 30%') has no direction


def opposite(norm: str, intent: str, entities: Sequence[Entity | None], slots: Mapping[str, Any]) -> bool:
    """True when the request says a direction and the action goes the other way on any of its targets."""
    said = request_polarity(norm)
    if not said:
        return False
    targets = list(entities) or [None]
    return any(action_polarity(intent, e, slots) == -said for e in targets)
