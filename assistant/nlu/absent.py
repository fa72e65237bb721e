"""What a place lacks: 'There is no fan in the Garage.' for a question or a command about a kind of device that the
area or floor it names does not have (instead of a guess elsewhere or an answer from the documents), with the slots
Home Assistant would parse (the place, the kind, the state asked or the value said)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from assistant.nlu.catalog import DOMAIN_NOUNS, HomeIndex
from assistant.nlu.lexicon import (
    ACTIONS,
    ROOM_WORDS,
    ActionDef,
    action_evidence,
    device_mentions,
    domain_mentions,
)
from assistant.nlu.normalize import parse_params
from assistant.nlu.said import (
    area_context_domains,
    area_context_intents,
    asked_state,
    asks,
    class_noun,
    class_spans,
    classes_said,
    colour_evidence,
    group_state_domains,
    kelvin_said,
    kinds_in_name,
    names_said,
    nothing_there,
    own_words,
    state_words,
    without,
)
from contracts.home import Entity
from contracts.intents import WRITE_INTENTS
from contracts.messages import IntentMatch, Tier

__all__ = ["absent_device", "absent_kind", "longest_said", "room_in_home"]

_EVERYWHERE = re.compile(
    r"\b(everywhere|all over|(the|my|our) (entire |whole )?(home|house|apartment|flat)|"
    r"(all|every|each)( single| and every)?( of)?( the| my| our)? (rooms?|areas?|floors?))\b"
)
"""The whole home said ('all over the house'): Home Assistant's <everywhere>."""
_HERE = re.compile(r"\b(here|(this|the|my|our) (room|area|space))\b")
"""The speaker's room said ('in here', 'my room'): Home Assistant's <here>."""
_ANY = re.compile(r"^(any|some)\b")
"""A question without a question word ('some of the fans on'): Home Assistant's <are_any>."""
_WEAK = 0.35
"""The least verb evidence with which a command says what it wants done to a kind that is not there."""
_SURE = 0.9
"""The verb evidence with which a question asks for the temperature of a place."""
_WARMTH = frozenset({"climate", "sensor", "weather"})
"""The kinds that say how warm a place is (a thermostat, a temperature sensor, the weather)."""


def absent_kind(norm: str, index: HomeIndex, *, here: str | None, question: bool) -> IntentMatch | None:
    """A request about a kind of device ('the lights', 'the awnings') that the place it means does not have: the
    area or floor it names, else for a command the speaker's room (as Home Assistant takes the satellite's area),
    else the whole home. Answered 'There is no light in the Office.' with the slots Home Assistant would parse,
    instead of acting on, or answering about, another room's devices or another kind of cover.

    The kind is the domain its nouns name (for a question, the one whose states it asks about: 'are any shutters
    unlocked' asks about locks) and, for covers, the device class it names. None when it names a device, or the
    place has that kind: the ranking decides."""
    places = {*index.area_names, *index.floor_names}
    question = question or _ANY.search(norm) is not None
    if any(n not in places and not _generic(n, index, question) for n in names_said(index, norm)):
        return None
    spans = class_spans(norm)
    # a place is not the word of a kind of cover ('the Ground Floor garage doors' says no Garage)
    placeless = "".join(" " if any(a <= i < b for a, b, _v in spans) else c for i, c in enumerate(norm))
    area_id = longest_said(index.area_names, placeless)
    floor_id = longest_said(index.floor_names, placeless) if area_id is None else None
    rest = without(placeless, places)
    nouns = device_mentions(rest) | domain_mentions(rest) | device_mentions(" ".join(norm[a:b] for a, b, _v in spans))
    classes = frozenset(v for _a, _b, v in spans)
    nouns |= {"cover"} if classes else set()  # Home Assistant's kinds of cover ('door' may also be a lock)
    if kelvin_said(norm) is not None:
        nouns -= {"climate", "sensor"}  # a colour temperature is a light's, never a thermostat's
    intent, domain, extra = _kind(norm, nouns, question, index)
    if domain is None or intent is None:
        return None
    if domain != "cover":
        classes = frozenset()
    elif len(classes) != 1 or (question and not classes):
        return None
    rooms_said = [r for r in ROOM_WORDS if re.search(rf"\b{r}\b", rest)]
    area_id = area_id if area_id is not None or floor_id is not None else _area_by_word(index, rooms_said)
    said_place = area_id is not None or floor_id is not None
    if not said_place and _EVERYWHERE.search(rest) is None:
        if any(not room_in_home(index, r) for r in rooms_said):
            return None  # a room this home does not have: said as such elsewhere
        aimed = intent in area_context_intents() or (not question and domain in area_context_domains())
        speaker = here if here in index.areas and (not question or aimed or _HERE.search(rest)) else None
        area_id = speaker if speaker is not None and (aimed or _HERE.search(rest)) else None
    rooms, where = _place(index, area_id, floor_id)
    if _has(index, rooms, domain, classes):
        return None
    if not said_place and domain not in device_mentions(rest) and _serves_anywhere(index, domain, intent):
        return None
    slots: dict[str, Any] = {**where, "domain": domain, **extra}
    if classes:
        slots["device_class"] = next(iter(classes))
    noun = class_noun(next(iter(classes))) if classes else DOMAIN_NOUNS.get(domain, domain.replace("_", " "))
    reply = nothing_there(noun, where.get("area") or where.get("floor"), floor="floor" in where)
    return IntentMatch(intent, slots, (), Tier.SEMANTIC, 0.9, text=norm, clarification=reply)


def _serves_anywhere(index: HomeIndex, domain: str, intent: str) -> bool:
    """Whether the home's device of a kind only hinted ('chilly', 'pause') serves a room without one: its one
    thermostat, or its one device for an action Home Assistant does not scope to the speaker's room. A player plays
    to its own room, as Home Assistant scopes 'pause' to the satellite's: 'There is no media player in the
    Kitchen.', the home's players offered as choices (one in no room too: it is not known to be here)."""
    ones = [e for e in index.entities.values() if e.domain == domain]
    return len(ones) == 1 and (domain in _WARMTH or intent not in area_context_intents())


def _place(index: HomeIndex, area_id: str | None, floor_id: str | None) -> tuple[set[str] | None, dict[str, str]]:
    """The rooms a request means (None: the whole home) and its place slot."""
    if area_id is not None:
        return {area_id}, {"area": index.areas[area_id].name}
    if floor_id is not None:
        return set(index.in_floor(floor_id)), {"floor": index.floors[floor_id].name}
    return None, {}


def _area_by_word(index: HomeIndex, rooms_said: Sequence[str]) -> str | None:
    """The one area whose name has a room word the request says as a whole word ('the office lights': the Home
    Office); None when no such word, or it fits several areas."""
    fits = {
        i for r in rooms_said for n, i in index.area_names.items() if re.search(rf"\b{re.escape(r)}\b", n)
    }  # fmt: skip
    return next(iter(fits)) if len(fits) == 1 else None


def room_in_home(index: HomeIndex, word: str) -> bool:
    """Whether a room word names one of the home's areas or is a whole word of one's name ('terrace': 'Rooftop
    Terrace'; 'den' is not in 'Garden')."""
    return index.area_of(word) is not None or any(re.search(rf"\b{re.escape(word)}\b", n) for n in index.area_names)


def _generic(name: str, index: HomeIndex, question: bool) -> bool:
    """A name that is only a kind's noun ('Light') does not name its device when the request means the kind: in a
    group question ('which light is on'), or in a command when the device is not of that kind (a sensor named
    'Light' is not what 'turn the light off' acts on)."""
    kinds = device_mentions(name) | domain_mentions(name)
    if len(name.split()) != 1 or not kinds:
        return False
    return question or all(index.entities[i].domain not in kinds for i in index.names.get(name, ()))


def _kind(
    norm: str, nouns: set[str], question: bool, index: HomeIndex
) -> tuple[str | None, str | None, dict[str, Any]]:
    """(intent, domain, value slots) of a request about a kind of device: for a question, the state question of the
    one kind its nouns and the state it asks about agree on; for a command, the write its verbs say most strongly
    on the one kind of its nouns that write acts on, or the one kind it acts on when it names none and the home has
    that kind ('skip this song': a media player)."""
    if question and action_evidence(norm).get("get_temperature", 0.0) >= _SURE and not nouns - _WARMTH:
        return "HassClimateGetTemperature", "climate", {}  # 'how's the temp in the kitchen'
    if question:
        group = group_state_domains()
        asked = {d for d in group if asked_state(norm, d)}
        kinds = (nouns & asked) or (asked if len(asked) == 1 else nouns & set(state_words()))
        if len(kinds) != 1:
            return None, None, {}
        domain = next(iter(kinds))
        state = asked_state(norm, domain)
        return "HassGetState", domain, ({"state": state} if state else {})
    evidence = colour_evidence(norm, action_evidence(norm))
    best: tuple[float, ActionDef, str] | None = None
    for action in ACTIONS:
        ev = evidence.get(action.key, 0.0)
        # the request's strongest action, on one kind only, says that kind ('skip this song': a media player)
        implied = (
            not nouns and len(action.domains) == 1 and ev >= 0.5 and _strongest(evidence) == action.key
            and any(e.domain in action.domains for e in index.entities.values())
        )  # fmt: skip
        fits = action.domains & nouns or (set(action.domains) if implied else set())
        if action.intent not in WRITE_INTENTS or ev < _WEAK or len(fits) != 1:
            continue
        if best is None or ev > best[0]:
            best = (ev, action, next(iter(fits)))
    if best is None:
        return None, None, {}
    return best[1].intent, best[2], _said_value(best[1].key, norm)


def _strongest(evidence: Mapping[str, float]) -> str | None:
    """The one action a request says most strongly; None on a tie ('go back': a track, or a vacuum to its dock)."""
    top = max(evidence.values(), default=0.0)
    best = [k for k, v in evidence.items() if v >= top]
    return best[0] if len(best) == 1 else None


def _has(index: HomeIndex, rooms: Collection[str] | None, domain: str, classes: frozenset[str]) -> bool:
    """Whether the rooms (None: the home) hold a device of this kind: of the domain (and one of the said device
    classes), or, with no class said, one whose own name says the kind (a switch named 'Garage Lights')."""
    for e in index.entities.values():
        if rooms is not None and e.area_id not in rooms:
            continue
        dc = str(e.device_class or e.attributes.get("device_class") or "")
        if domain == "climate" and ((e.domain == "sensor" and dc == "temperature") or e.domain == "weather"):
            return True  # a temperature sensor, or the forecast for the home, tells the temperature too
        if classes and e.domain == "binary_sensor" and classes & set(dc.split("_")):
            return True  # 'are the windows open': a window's contact sensor answers it
        if e.domain == domain:
            if not classes or dc in classes:
                return True
            if classes & _classes_named(e):
                return True  # 'the door to the barn': the 'Barn Door', a garage door
        elif not classes and domain in _named_kinds(index).get(e.entity_id, ()):
            return True
    return False


_KINDS: dict[int, dict[str, frozenset[str]]] = {}


def _named_kinds(index: HomeIndex) -> dict[str, frozenset[str]]:
    """Entity id → the kinds its own name says, once per version of the registry (not per request)."""
    kinds = _KINDS.get(index.signature)
    if kinds is None:
        if len(_KINDS) > 8:
            _KINDS.clear()
        kinds = _KINDS[index.signature] = {i: frozenset(kinds_in_name(e)) for i, e in index.entities.items()}
    return kinds


def _has_kind(index: HomeIndex, rooms: Collection[str], domain: str) -> bool:
    """Whether the rooms hold a device of this domain, or one whose own name says its noun (a switch named 'Garage
    Lights' is a light)."""
    for e in index.entities.values():
        if e.area_id not in rooms:
            continue
        if e.domain == domain or domain in _named_kinds(index).get(e.entity_id, ()):
            return True
    return False


def _classes_named(entity: Entity) -> frozenset[str]:
    """The kinds of cover an entity's own name or aliases say ('Barn Door' says door)."""
    return classes_said(own_words(entity), inner=True)


def absent_device(norm: str, index: HomeIndex) -> IntentMatch | None:
    """'Lock the doors in the kitchen' where the kitchen has no lock: the intent is clear, say what is missing."""
    evidence = action_evidence(norm)
    mentions = domain_mentions(norm) - ({"climate"} if kelvin_said(norm) is not None else set())
    area_id = longest_said(index.area_names, norm)
    floor_id = longest_said(index.floor_names, norm) if area_id is None else None
    if (area_id is None and floor_id is None) or asks(norm):
        return None
    rooms = {area_id} if area_id is not None else index.in_floor(str(floor_id))
    place = index.areas[area_id] if area_id is not None else index.floors[str(floor_id)]
    where = {"area": place.name} if area_id is not None else {"floor": place.name}
    for action in ACTIONS:
        if action.intent not in WRITE_INTENTS or evidence.get(action.key, 0.0) < 0.5:
            continue
        for domain in sorted(action.domains & mentions):
            if _has_kind(index, rooms, domain):
                continue
            noun = DOMAIN_NOUNS.get(domain, domain)
            return IntentMatch(
                action.intent, {**where, "domain": domain, **_said_value(action.key, norm)}, (), Tier.SEMANTIC,
                0.9, text=norm, clarification=nothing_there(noun, place.name, floor=area_id is None),
            )  # fmt: skip
    return None


def longest_said(names: Mapping[str, str], norm: str) -> str | None:
    """The id of the longest of these names (area or floor names → ids) the request says."""
    return next((i for n, i in sorted(names.items(), key=lambda kv: -len(kv[0]))
                 if n and re.search(rf"\b{re.escape(n)}\b", norm)), None)  # fmt: skip


_SET_SLOTS = {"brightness": "brightness", "volume": "volume_level", "position": "position",
              "fan_speed": "percentage", "temperature": "temperature", "color": "color"}  # fmt: skip
"""The slot that carries the value an action sets."""


def _said_value(action_key: str, norm: str) -> dict[str, Any]:
    """The value a setting request said ('to 96 %', 'to 73 degrees', 'pink'), as the action's slot; {} if none."""
    slot = _SET_SLOTS.get(action_key)
    if slot is None:
        return {}
    p = parse_params(norm)
    if slot == "color" and kelvin_said(norm) is not None:
        return {"temperature": kelvin_said(norm)}  # a white, by Home Assistant's names or in kelvin
    if slot == "color":
        value: Any = p.color
    elif slot == "temperature":
        value = p.degrees if p.degrees is not None else p.number
        value = value if value is not None and 4 <= value <= 90 else None
    else:
        value = p.percent if p.percent is not None else p.number
    return {slot: value} if value is not None else {}
