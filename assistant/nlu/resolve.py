"""Slots (name, area, floor, domain, device_class) to target entity ids, with the safety rules on broad targets."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from assistant.nlu.catalog import DOMAIN_NOUNS, HomeIndex, clean_name
from assistant.nlu.media import active_players
from assistant.nlu.said import nothing_there
from contracts.home import Area, Entity, Floor
from contracts.intents import READ_INTENTS, entity_supports

__all__ = ["WHOLE_HOME", "Resolved", "resolve_targets"]

WHOLE_HOME = re.compile(
    r"\b(all|every|everywhere|each|entire|whole|throughout|all over|"
    r"(?:the|my|our) (?:house|home|apartment|flat))\b"
)
"""Words that make a whole-home target explicit ('every light', 'all over the house')."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """Targets for a match, or why there are none."""

    targets: tuple[str, ...] = ()
    """Entity ids the intent applies to."""
    clarification: str | None = None
    """A question to ask instead of acting."""
    error: str | None = None
    """Why nothing was found (an ErrorCode value)."""
    options: tuple[str, ...] = ()
    """The entity ids the clarification chooses between."""


def _values(slot: Any) -> list[str]:
    if slot is None:
        return []
    if isinstance(slot, list | tuple | set | frozenset):
        return [str(v) for v in slot]
    return [str(slot)]


def resolve_targets(
    index: HomeIndex,
    intent: str,
    slots: Mapping[str, Any],
    *,
    text: str = "",
    speaker_area: str | None = None,
    prefer_domains: frozenset[str] = frozenset(),
    live: Callable[[str], Entity | None] | None = None,
) -> Resolved:
    """Entities the intent applies to. Never targets the whole home unless the request says so explicitly.

    ``live`` gives an entity's current state and features (the index may hold an older copy): what an entity
    supports is judged on it, and of several players with one name a media intent takes the one in the state it acts
    on ('pause the TV': the TV that is playing)."""
    domains = set(_values(slots.get("domain")))
    if intent == "HassGetWeather" and not slots.get("name"):  # 'what's the weather like': the home's forecast
        return Resolved(tuple(sorted(i for i, e in index.entities.items() if e.domain == "weather")))
    classes = set(_values(slots.get("device_class")))
    area = index.area_of(str(slots["area"])) if slots.get("area") else None
    floor = index.floor_of(str(slots["floor"])) if slots.get("floor") else None
    if slots.get("area") and area is None:
        return Resolved(error="device-unknown", clarification=f"I don't know an area called {slots['area']}.")
    if slots.get("floor") and floor is None:
        return Resolved(error="device-unknown", clarification=f"I don't know a floor called {slots['floor']}.")
    area_ids: set[str] | None = None
    if area is not None:
        area_ids = {area.id}
    elif floor is not None:
        area_ids = index.in_floor(floor.id)

    def fits(entity_id: str) -> bool:
        e = (live(entity_id) if live else None) or index.entities[entity_id]
        if domains and e.domain not in domains:
            return False
        if classes and (e.device_class or e.attributes.get("device_class")) not in classes:
            return False
        return entity_supports(intent, e, slots)

    if slots.get("name"):
        ids = [i for i in index.by_name(str(slots["name"])) if fits(i)]
        if not ids:
            return Resolved(error="device-unknown", clarification=f"I couldn't find {slots['name']}.")
        if area_ids is not None:
            ids = (
                [i for i in ids if index.entities[i].area_id in area_ids]
                or _named_in_area(index, str(slots["name"]), area_ids, fits)
                or ids
            )
        if len(ids) > 1 and prefer_domains:
            ids = [i for i in ids if index.entities[i].domain in prefer_domains] or ids
        if len(ids) > 1 and live is not None:
            ids = active if len(active := active_players(intent, ids, live)) == 1 else ids
            ids = pending if len(pending := _still_to_change(intent, ids, live)) == 1 else ids
            if intent == "HassLightSet":  # a brightness or colour change acts on a lit light
                ids = (
                    lit if len(lit := [i for i in ids if (e := live(i)) is not None and e.state == "on"]) == 1 else ids
                )
        if len(ids) > 1 and intent not in READ_INTENTS:
            local = [i for i in ids if speaker_area and index.entities[i].area_id == _area_id(index, speaker_area)]
            if len(local) == 1:
                ids = local
            else:
                return Resolved(clarification=_which(index, ids), error="nlu-ambiguous", options=tuple(ids))
        return Resolved(targets=tuple(ids))
    if not domains and not classes and area_ids is None:
        return Resolved(error="nlu-no-match")
    if area_ids is None and intent not in READ_INTENTS:
        here = _area_id(index, speaker_area)
        if here is not None and not WHOLE_HOME.search(text):
            area_ids = {here}
        elif not WHOLE_HOME.search(text):
            what = next(iter(domains or classes), "devices")
            return Resolved(
                clarification=f"Which room do you mean for the {what.replace('_', ' ')}s?", error="nlu-ambiguous"
            )
    ids = [i for i, e in index.entities.items() if (area_ids is None or e.area_id in area_ids) and fits(i)]
    if not ids:
        return Resolved(
            error="device-unknown", clarification=_none_there(index, domains, classes, area_ids, area, floor)
        )
    return Resolved(targets=tuple(sorted(ids)))


def _named_in_area(index: HomeIndex, name: str, area_ids: set[str], fits: Callable[[str], bool]) -> list[str]:
    """'The guest bedroom light' when the only 'Light' is elsewhere: the one entity in that room whose name ends with
    the name said ('Bedroom Light'), if there is exactly one."""
    said = clean_name(name)
    found = [
        i for i, e in index.entities.items()
        if e.area_id in area_ids and fits(i) and clean_name(e.name).endswith(f" {said}")
    ]  # fmt: skip
    return found if len(found) == 1 else []


_ALREADY: Mapping[str, str] = {"HassTurnOn": "on", "HassTurnOff": "off"}
"""The state an on/off intent leaves a light, switch or fan in."""
_ONOFF = frozenset({"light", "switch", "fan", "input_boolean"})


def _still_to_change(intent: str, ids: list[str], live: Callable[[str], Entity | None]) -> list[str]:
    """Of several same-named lights, switches or fans, the ones not already as the request leaves them ('turn on the
    bedroom light' where two of three are on: the one that is off)."""
    done = _ALREADY.get(intent)
    if done is None:
        return []
    out = []
    for i in ids:
        e = live(i)
        if e is None or e.domain not in _ONOFF:
            return []  # another kind of device among them: the state does not decide
        if e.state != done:
            out.append(i)
    return out


def _area_id(index: HomeIndex, area: str | None) -> str | None:
    found = index.area_of(area)
    return found.id if found else None


def _which(index: HomeIndex, ids: list[str]) -> str:
    labels = []
    for i in ids[:4]:
        e = index.entities[i]
        a = index.areas.get(e.area_id) if e.area_id else None
        noun = DOMAIN_NOUNS.get(e.domain, e.domain.replace("_", " "))
        labels.append(f"the {e.name} {noun}" + (f" in the {a.name}" if a else ""))
    return "Which one do you mean: " + ", ".join(labels[:-1]) + f" or {labels[-1]}?"


def _none_there(
    index: HomeIndex,
    domains: set[str],
    classes: set[str],
    rooms: set[str] | None,
    area: Area | None,
    floor: Floor | None,
) -> str:
    """What is missing, as specifically as the request said it ('There is no fan in the Garage.'); the generic
    sentence when it named a narrower kind (shutters among covers) or the place has that kind, unable to do it."""
    place = area or floor
    if len(domains) != 1 or classes or place is None or rooms is None:
        return "I couldn't find a matching device."
    domain = next(iter(domains))
    if any(e.domain == domain and e.area_id in rooms for e in index.entities.values()):
        return "I couldn't find a matching device that can do that."
    noun = DOMAIN_NOUNS.get(domain, domain.replace("_", " "))
    return nothing_there(noun, place.name, floor=area is None)
