"""What a place lacks: 'There is no fan in the Garage.' for a question or a command about a kind of device that the
area or floor it names does not have (instead of a guess elsewhere or an answer from the documents), with the slots
Home Assistant would parse (the place, the kind, the state asked or the value said)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from assistant.nlu.catalog import DOMAIN_NOUNS, HomeIndex
from assistant.nlu.lexicon import ACTIONS, QUESTION, action_evidence, device_mentions, domain_mentions
from assistant.nlu.normalize import parse_params
from assistant.nlu.said import asked_state, kinds_in_name, names_said, nothing_there, state_words
from contracts.intents import WRITE_INTENTS
from contracts.messages import IntentMatch, Tier

__all__ = ["absent_device", "absent_read", "longest_said"]


def absent_read(norm: str, index: HomeIndex) -> IntentMatch | None:
    """'Are any fans on in the garage' where the garage has no fan: a question about the home, answered 'there is no
    fan in the garage' (not handed to the document Q&A, and not answered about another room's devices)."""
    area_id = longest_said(index.area_names, norm)
    floor_id = longest_said(index.floor_names, norm) if area_id is None else None
    if (area_id is None) == (floor_id is None):
        return None
    rest = norm
    for n in (*index.area_names, *index.floor_names):
        rest = re.sub(rf"\b{re.escape(n)}\b", " ", rest) if n and n in rest else rest
    kinds = device_mentions(rest) | domain_mentions(rest)  # 'door' may be a lock or a cover: then not one kind
    if len(kinds) != 1:
        return None
    domain = next(iter(kinds))
    if domain not in state_words():
        return None  # only the kinds of device Home Assistant's state questions ask about
    place = index.areas[area_id] if area_id is not None else index.floors[str(floor_id)]
    rooms = {place.id} if area_id is not None else set(index.in_floor(place.id))
    places = {*index.area_names, *index.floor_names}
    if any(n not in places for n in names_said(index, norm)) or _has_kind(index, rooms, domain):
        return None  # it names a device, or the place has one of that kind: the ranking answers
    slots: dict[str, Any] = {"domain": domain, ("area" if area_id is not None else "floor"): place.name}
    state = asked_state(norm, domain)
    if state:
        slots["state"] = state
    noun = DOMAIN_NOUNS.get(domain, domain.replace("_", " "))
    reply = nothing_there(noun, place.name, floor=area_id is None)
    return IntentMatch("HassGetState", slots, (), Tier.SEMANTIC, 0.9, text=norm, clarification=reply)


def _has_kind(index: HomeIndex, rooms: Collection[str], domain: str) -> bool:
    """Whether the rooms hold a device of this domain, or one whose own name says its noun (a switch named 'Garage
    Lights' is a light)."""
    for e in index.entities.values():
        if e.area_id not in rooms:
            continue
        if e.domain == domain or domain in kinds_in_name(e):
            return True
    return False


def absent_device(norm: str, index: HomeIndex) -> IntentMatch | None:
    """'Lock the doors in the kitchen' where the kitchen has no lock: the intent is clear, say what is missing."""
    evidence = action_evidence(norm)
    mentions = domain_mentions(norm)
    area_id = longest_said(index.area_names, norm)
    floor_id = longest_said(index.floor_names, norm) if area_id is None else None
    if (area_id is None and floor_id is None) or QUESTION.search(norm):
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
    if slot == "color":
        value: Any = p.color
    elif slot == "temperature":
        value = p.degrees if p.degrees is not None else p.number
        value = value if value is not None and 4 <= value <= 90 else None
    else:
        value = p.percent if p.percent is not None else p.number
    return {slot: value} if value is not None else {}
