"""Natural English replies built from what the adapter actually reported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assistant.messages import Action
from devices.api import Entity

__all__ = ["confirmation_question", "describe_action", "join", "state_sentence", "summarize"]

_PAST = {
    "turn_on": "Turned on",
    "turn_off": "Turned off",
    "toggle": "Toggled",
    "open_cover": "Opened",
    "close_cover": "Closed",
    "set_cover_position": "Moved",
    "open_valve": "Opened",
    "close_valve": "Closed",
    "set_valve_position": "Moved",
    "lock": "Locked",
    "unlock": "Unlocked",
    "set_temperature": "Set",
    "media_pause": "Paused",
    "media_play": "Resumed",
    "media_next_track": "Skipped to the next track on",
    "media_previous_track": "Went back a track on",
    "volume_set": "Set the volume of",
    "volume_up": "Turned up",
    "volume_down": "Turned down",
    "volume_mute": "Muted",
    "start": "Started",
    "return_to_base": "Sent home",
    "add_item": "Added",
    "set_percentage": "Set",
    "press": "Pressed",
    "start_mowing": "Started",
    "dock": "Docked",
}
_INFINITIVE = {
    "turn_on": "turn on",
    "turn_off": "turn off",
    "open_cover": "open",
    "close_cover": "close",
    "unlock": "unlock",
    "lock": "lock",
    "open_valve": "open",
    "close_valve": "close",
    "alarm_disarm": "disarm",
}


def join(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


def _the(name: str) -> str:
    return name if name.lower().startswith("the ") else f"the {name}"


def describe_action(service: str, names: Sequence[str], data: Mapping[str, Any]) -> str:
    """'Turned on the kitchen light and set it to 50 %' for one service over some entities."""
    verb = service.split(".", 1)[1]
    who = join([_the(n) for n in names])
    if verb == "add_item":
        return f"Added {data.get('item', 'it')} to {who}"
    if verb == "set_temperature":
        return f"Set {who} to {_num(data.get('temperature'))} degrees"
    if verb == "set_percentage":
        return f"Set {who} to {data.get('percentage')} %"
    if verb in ("set_cover_position", "set_valve_position"):
        return f"Moved {who} to {data.get('position')} %"
    if verb == "volume_set":
        return f"Set the volume of {who} to {round(float(data.get('volume_level', 0)) * 100)} %"
    if verb == "volume_mute" and not data.get("is_volume_muted", True):
        return f"Unmuted {who}"
    text = f"{_PAST.get(verb, verb.replace('_', ' ').capitalize())} {who}"
    extras = []
    if "brightness_pct" in data:
        extras.append(f"{data['brightness_pct']} %")
    if "color_name" in data:
        extras.append(str(data["color_name"]))
    if "color_temp_kelvin" in data:
        extras.append(f"{data['color_temp_kelvin']} K")
    if extras and verb == "turn_on":
        text += f" and set {'it' if len(names) == 1 else 'them'} to {join(extras)}"
    return text


def _num(value: Any) -> str:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(f)) if f.is_integer() else f"{f:g}"


def summarize(actions: Sequence[Action], names: Mapping[str, str]) -> tuple[str, bool]:
    """(reply, all succeeded): what was done, then what failed and why; never claims an unconfirmed success."""
    done: dict[tuple[str, str], list[str]] = {}
    data_of: dict[tuple[str, str], Mapping[str, Any]] = {}
    failed: list[str] = []
    for a in actions:
        name = names.get(a.entity_id, a.entity_id)
        if a.success:
            key = (a.service, repr(sorted(a.data.items())))
            done.setdefault(key, []).append(name)
            data_of[key] = a.data
        else:
            failed.append(f"{_the(name)} ({(a.error_code or 'failed').replace('-', ' ')})")
    parts = [describe_action(service, ns, data_of[(service, d)]) for (service, d), ns in done.items()]
    text = "; ".join(parts)
    if text:
        text += "."
    if failed:
        text = (text + " " if text else "") + f"I couldn't change {join(failed)}."
    return (text or "Nothing was changed."), not failed and bool(done)


def confirmation_question(service: str, entities: Sequence[Entity]) -> str:
    """'Do you want me to unlock the Front Door?'."""
    verb = service.split(".", 1)[1]
    what = join([_the(e.name) for e in entities])
    return f"Do you want me to {_INFINITIVE.get(verb, verb.replace('_', ' '))} {what}?"


def state_sentence(entity: Entity) -> str:
    """'The Front Door is locked.' / 'The Outside Temperature is 12.5 °C.'."""
    unit = entity.attributes.get("unit_of_measurement")
    state = entity.state
    if entity.domain == "binary_sensor":
        state = "on (detected)" if state == "on" else "off (clear)" if state == "off" else state
    if entity.domain == "climate":
        current = entity.attributes.get("current_temperature")
        target = entity.attributes.get("temperature")
        bits = [f"set to {state}"]
        if target is not None:
            bits.append(f"target {_num(target)} degrees")
        if current is not None:
            bits.append(f"currently {_num(current)} degrees")
        return f"{_the(entity.name).capitalize()} is {', '.join(bits)}."
    value = f"{state} {unit}" if unit else state
    return f"{_the(entity.name)[0].upper()}{_the(entity.name)[1:]} is {value}."
