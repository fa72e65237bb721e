"""Natural English replies built from what the adapter actually reported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.features import COLOR_NAMES
from contracts.home import Entity
from contracts.messages import Action

__all__ = [
    "confirmation_question",
    "describe_action",
    "is_assumed",
    "join",
    "state_sentence",
    "summarize",
    "todo_items",
    "todo_sentence",
]

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
    "return_to_base": "Sent home",  # describe_action puts 'home' after the name
    "add_item": "Added",
    "set_percentage": "Set",
    "press": "Pressed",
    "start_mowing": "Started",
    "dock": "Docked",
    "alarm_disarm": "Disarmed",
    "alarm_trigger": "Triggered",
}
_ARM_MODES = {"away": "away", "home": "home", "night": "night", "vacation": "vacation", "custom_bypass": "custom"}
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
    "alarm_arm_away": "arm",
    "alarm_arm_home": "arm",
    "alarm_arm_night": "arm",
    "alarm_arm_vacation": "arm",
}
_PAST_TO_INFINITIVE = (
    ("Turned on", "turn on"), ("Turned off", "turn off"), ("Turned up", "turn up"), ("Turned down", "turn down"),
    ("Went back", "go back"), ("Skipped", "skip"), ("Activated", "activate"), ("Ran", "run"), ("Stopped", "stop"),
    ("Pressed", "press"), ("Sent", "send"), ("Armed", "arm"), ("Added", "add"), ("Set", "set"), ("Moved", "move"),
    ("Unmuted", "unmute"), ("Muted", "mute"), ("Toggled", "toggle"), ("Opened", "open"), ("Closed", "close"),
    ("Unlocked", "unlock"), ("Locked", "lock"), ("Paused", "pause"), ("Resumed", "resume"), ("Started", "start"),
    ("Docked", "dock"), ("Disarmed", "disarm"), ("Triggered", "trigger"),
)  # fmt: skip
"""describe_action's leading past-tense verbs and their infinitives ('I sent the command to turn on ...')."""
_RGB_NAMES: dict[tuple[int, ...], str] = {}
for _name, _rgb in COLOR_NAMES.items():
    _RGB_NAMES.setdefault(tuple(_rgb), _name)
_WEATHER = {"partlycloudy": "partly cloudy", "clear-night": "clear", "lightning-rainy": "stormy with rain",
            "snowy-rainy": "sleet", "windy-variant": "windy and cloudy", "exceptional": "unusual"}  # fmt: skip
_BARE_NAME_DOMAINS = frozenset({"scene", "input_boolean"})
"""Domains whose names read as proper nouns ('Activated Movie Night', 'Turned on Guest Mode')."""


def join(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


def _the(name: str) -> str:
    return name if name.lower().startswith("the ") else f"the {name}"


def _script_names(names: Sequence[str]) -> str:
    bare = [n[4:] if n.lower().startswith("the ") else n for n in names]
    if all(n.lower().endswith(("script", "routine")) for n in bare):
        return join([_the(n) for n in bare])
    return f"the {join(bare)} script{'s' if len(bare) > 1 else ''}"


def describe_action(service: str, names: Sequence[str], data: Mapping[str, Any]) -> str:
    """'Turned on the kitchen light and set it to 50 %' for one service over some entities (domain-aware verbs)."""
    domain, _, verb = service.partition(".")
    who = join(list(names) if domain in _BARE_NAME_DOMAINS else [_the(n) for n in names])
    if domain == "scene" and verb == "turn_on":
        return f"Activated {who}"
    if domain == "script" and verb == "turn_on":
        return f"Ran {_script_names(names)}"
    if domain == "script" and verb == "turn_off":
        return f"Stopped {_script_names(names)}"
    if domain in ("button", "input_button") and verb == "press":
        return f"Pressed {who}"
    if verb == "return_to_base":
        return f"Sent {who} home"
    if verb.startswith("alarm_arm_"):
        mode = _ARM_MODES.get(verb.removeprefix("alarm_arm_"), verb.removeprefix("alarm_arm_").replace("_", " "))
        return f"Armed {who} ({mode})"
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
    elif "brightness" in data:  # adapters report brightness on Home Assistant's 0-255 scale
        extras.append(f"{round(float(data['brightness']) / 255 * 100)} %")
    if "color_name" in data:
        extras.append(str(data["color_name"]))
    elif "rgb_color" in data:  # adapters report colours as RGB
        named = _RGB_NAMES.get(tuple(int(v) for v in data["rgb_color"]))
        if named:
            extras.append(named)
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


def _infinitive(description: str) -> str:
    """'Turned on the Desk Fan' -> 'turn on the Desk Fan' (a describe_action sentence as a command)."""
    for past, infinitive in _PAST_TO_INFINITIVE:
        if description.startswith(past + " "):
            return infinitive + description[len(past) :]
    return description[:1].lower() + description[1:]


def is_assumed(action: Action) -> bool:
    """Whether a successful action was only sent, not confirmed: the adapter says so, or the state it reported is
    one Home Assistant marks as assumed (``assumed_state``: the device reports no state)."""
    if action.assumed:
        return True
    attributes = (action.new_state or {}).get("attributes")
    return isinstance(attributes, Mapping) and attributes.get("assumed_state") is True


def summarize(actions: Sequence[Action], names: Mapping[str, str]) -> tuple[str, bool]:
    """(reply, all succeeded): what was done, what was only sent (the device cannot confirm it), then what failed
    and why; never claims an unconfirmed success."""
    done: dict[tuple[str, str], list[str]] = {}
    sent: dict[tuple[str, str], list[str]] = {}
    data_of: dict[tuple[str, str], Mapping[str, Any]] = {}
    failed: list[str] = []
    for a in actions:
        name = names.get(a.entity_id, a.entity_id)
        if a.success:
            key = (a.service, repr(sorted(a.data.items())))
            (sent if is_assumed(a) else done).setdefault(key, []).append(name)
            data_of[key] = a.data
        else:
            failed.append(f"{_the(name)} ({(a.error_code or 'failed').replace('-', ' ')})")
    parts = [describe_action(service, ns, data_of[(service, d)]) for (service, d), ns in done.items()]
    text = "; ".join([parts[0], *(p[:1].lower() + p[1:] for p in parts[1:])]) if parts else ""
    if text:
        text += "."
    if sent:
        commands = [
            _infinitive(describe_action(service, ns, data_of[(service, d)])) for (service, d), ns in sent.items()
        ]
        one = sum(len(ns) for ns in sent.values()) == 1
        text = (text + " " if text else "") + (
            f"I sent the command{'' if len(commands) == 1 else 's'} to {join(commands)}, but "
            f"{'it doesn' if one else 'they don'}'t report {'its' if one else 'their'} state, so I can't confirm it."
        )
    if failed:
        text = (text + " " if text else "") + f"I couldn't change {join(failed)}."
    return (text or "Nothing was changed."), not failed and bool(done or sent)


def confirmation_question(service: str, entities: Sequence[Entity], data: Mapping[str, Any] | None = None) -> str:
    """'Do you want me to unlock the Front Door?' / 'Do you want me to open the Garden Watering to 25 %?'."""
    domain, _, verb = service.partition(".")
    what = join([e.name if domain in _BARE_NAME_DOMAINS else _the(e.name) for e in entities])
    if verb in ("set_cover_position", "set_valve_position") and data and "position" in data:
        return f"Do you want me to set {what} to {data['position']} % open?"
    if domain == "script" and verb == "turn_on":
        return f"Do you want me to run {_script_names([e.name for e in entities])}?"
    if domain == "scene" and verb == "turn_on":
        return f"Do you want me to activate {what}?"
    return f"Do you want me to {_INFINITIVE.get(verb, verb.replace('_', ' '))} {what}?"


def todo_items(entity: Entity, *, status: str = "needs_action") -> list[str]:
    """The summaries of a to-do entity's items with ``status``, in list order (items live in its attributes)."""
    raw = entity.attributes.get("items")
    if not isinstance(raw, list | tuple):
        return []
    return [
        str(i.get("summary", "")).strip()
        for i in raw
        if isinstance(i, Mapping) and i.get("status", "needs_action") == status and str(i.get("summary", "")).strip()
    ]


def todo_sentence(entity: Entity) -> str:
    """'The Shopping List has 2 items: Milk and Eggs.' / 'The To-do list is empty.'."""
    name = _the(entity.name)
    name = name[0].upper() + name[1:]
    items = todo_items(entity)
    if "items" not in entity.attributes:
        return f"{name} has {entity.state} open item{'' if entity.state == '1' else 's'}."
    if not items:
        return f"{name} is empty."
    return f"{name} has {len(items)} item{'' if len(items) == 1 else 's'}: {join(items)}."


def state_sentence(entity: Entity) -> str:
    """'The Front Door is locked.' / 'The Outside Temperature is 12.5 °C.'."""
    unit = entity.attributes.get("unit_of_measurement")
    state = entity.state
    if entity.domain == "todo":
        return todo_sentence(entity)
    if entity.domain == "alarm_control_panel":
        state = state.replace("armed_", "armed ").replace("_", " ")
    if entity.domain == "weather":
        condition = _WEATHER.get(state, state.replace("-", " ").replace("_", " "))
        temp = entity.attributes.get("temperature")
        unit = entity.attributes.get("temperature_unit", "degrees")
        tail = f", {_num(temp)} {unit}" if temp is not None else ""
        return f"The forecast ({entity.name}) says {condition}{tail}."
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
