"""Which Home Assistant service carries out a device intent on an entity (one table, shared with the NLU)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.features import light_supports
from contracts.home import Entity

__all__ = [
    "ALARM_MODES",
    "DEVICE_INTENTS",
    "READ_INTENTS",
    "WRITE_INTENTS",
    "entity_supports",
    "relative_value",
    "service_call",
    "supported_services",
]

WRITE_INTENTS: frozenset[str] = frozenset(
    {
        "HassTurnOn",
        "HassTurnOff",
        "HassToggle",
        "HassLightSet",
        "HassClimateSetTemperature",
        "HassSetPosition",
        "HassMediaPause",
        "HassMediaUnpause",
        "HassMediaNext",
        "HassMediaPrevious",
        "HassSetVolume",
        "HassSetVolumeRelative",
        "HassMediaPlayerMute",
        "HassMediaPlayerUnmute",
        "HassVacuumStart",
        "HassVacuumReturnToBase",
        "HassListAddItem",
        "HassShoppingListAddItem",
        "HassFanSetSpeed",
        "HassLawnMowerStartMowing",
        "HassLawnMowerDock",
    }
)
"""Intents that change device state."""

READ_INTENTS: frozenset[str] = frozenset({"HassGetState", "HassClimateGetTemperature", "HassGetWeather"})
"""Intents that only read state."""

DEVICE_INTENTS: frozenset[str] = WRITE_INTENTS | READ_INTENTS
"""Every intent the home-control skill handles."""

_ON: dict[str, str] = {
    "cover": "cover.open_cover",
    "valve": "valve.open_valve",
    "lock": "lock.lock",
    "scene": "scene.turn_on",
    "script": "script.turn_on",
    "button": "button.press",
    "input_button": "input_button.press",
    "vacuum": "vacuum.start",
    "lawn_mower": "lawn_mower.start_mowing",
}
_OFF: dict[str, str] = {
    "cover": "cover.close_cover",
    "valve": "valve.close_valve",
    "lock": "lock.unlock",
    "vacuum": "vacuum.return_to_base",
    "lawn_mower": "lawn_mower.dock",
}
_TOGGLE_DOMAINS = frozenset(
    {"light", "switch", "fan", "input_boolean", "media_player", "cover", "climate", "humidifier"}
)
_ONOFF_DOMAINS = frozenset(
    {"light", "switch", "fan", "input_boolean", "media_player", "climate", "humidifier", "automation", "siren"}
)

_DEFAULT_SERVICES: dict[str, frozenset[str]] = {
    "light": frozenset({"light.turn_on", "light.turn_off", "light.toggle"}),
    "switch": frozenset({"switch.turn_on", "switch.turn_off", "switch.toggle"}),
    "fan": frozenset({"fan.turn_on", "fan.turn_off", "fan.toggle", "fan.set_percentage"}),
    "cover": frozenset({"cover.open_cover", "cover.close_cover", "cover.set_cover_position", "cover.toggle"}),
    "valve": frozenset({"valve.open_valve", "valve.close_valve", "valve.set_valve_position"}),
    "lock": frozenset({"lock.lock", "lock.unlock"}),
    "climate": frozenset({"climate.set_temperature", "climate.turn_on", "climate.turn_off", "climate.set_hvac_mode"}),
    "media_player": frozenset(
        {
            "media_player.turn_on",
            "media_player.turn_off",
            "media_player.media_play",
            "media_player.media_pause",
            "media_player.media_next_track",
            "media_player.media_previous_track",
            "media_player.volume_set",
            "media_player.volume_up",
            "media_player.volume_down",
            "media_player.volume_mute",
        }
    ),
    "vacuum": frozenset({"vacuum.start", "vacuum.return_to_base", "vacuum.stop"}),
    "todo": frozenset({"todo.add_item"}),
    "scene": frozenset({"scene.turn_on"}),
    "script": frozenset({"script.turn_on"}),
    "button": frozenset({"button.press"}),
    "input_boolean": frozenset({"input_boolean.turn_on", "input_boolean.turn_off", "input_boolean.toggle"}),
    "humidifier": frozenset({"humidifier.turn_on", "humidifier.turn_off"}),
    "lawn_mower": frozenset({"lawn_mower.start_mowing", "lawn_mower.dock"}),
    "alarm_control_panel": frozenset(
        {"alarm_control_panel.alarm_arm_away", "alarm_control_panel.alarm_arm_home", "alarm_control_panel.alarm_disarm"}
    ),
}

ALARM_MODES: tuple[str, ...] = ("away", "home", "night", "vacation")
"""Arming modes (``alarm_control_panel.alarm_arm_<mode>``); 'away' when the request does not say."""


def supported_services(entity: Entity) -> frozenset[str]:
    """The services an entity supports: its own list, else the defaults of its domain."""
    return entity.services or _DEFAULT_SERVICES.get(entity.domain, frozenset())


def _pct(value: Any) -> int:
    return max(0, min(100, round(float(value))))


def _attr(entity: Entity, key: str, default: float = 0.0) -> float:
    raw = entity.attributes.get(key)
    try:
        return float(raw) if raw is not None and not isinstance(raw, bool) else default
    except (TypeError, ValueError):
        return default


def relative_value(entity: Entity, slots: Mapping[str, Any]) -> dict[str, Any]:
    """Slots with every relative change ('brightness_delta', 'position_delta', 'volume_delta', 'percentage_delta',
    in points) turned into the absolute value for this entity, from its own current state.

    A group shares one request ('a bit brighter') but every member starts from its own level.
    """
    out = dict(slots)
    on = entity.state not in ("off", "unavailable", "unknown")
    if "brightness_delta" in slots:
        current = _attr(entity, "brightness") * 100 / 255 if entity.state == "on" else 0.0
        out["brightness"] = max(1, min(100, round(current + float(slots["brightness_delta"]))))
    if "position_delta" in slots:
        fallback = 100.0 if entity.state == "open" else 0.0
        out["position"] = _pct(_attr(entity, "current_position", fallback) + float(slots["position_delta"]))
    if "volume_delta" in slots:
        level = _attr(entity, "volume_level")
        out["volume_level"] = _pct((level * 100 if level <= 1.0 else level) + float(slots["volume_delta"]))
    if "percentage_delta" in slots:
        current = _attr(entity, "percentage") if on else 0.0
        out["percentage"] = _pct(current + float(slots["percentage_delta"]))
    return out


_NEUTRAL_WHITE_K = 4000
"""'White' on a light without colours but with a white-temperature range."""


def _alarm_call(intent: str, entity: Entity, slots: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Arm (in the requested mode, else away, else any mode the panel has) or disarm an alarm panel."""
    data: dict[str, Any] = {"code": str(slots["code"])} if slots.get("code") else {}
    if intent == "HassTurnOff":
        return "alarm_control_panel.alarm_disarm", data
    if intent != "HassTurnOn":
        return None
    mode = str(slots.get("alarm_mode") or "away")
    services = supported_services(entity)
    order = [mode, *(m for m in ALARM_MODES if m != mode)] if not slots.get("alarm_mode") else [mode]
    for m in order:
        if f"alarm_control_panel.alarm_arm_{m}" in services:
            return f"alarm_control_panel.alarm_arm_{m}", data
    return f"alarm_control_panel.alarm_arm_{mode}", data


def _light_call(entity: Entity, slots: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """light.turn_on with only the parameters the light supports: a non-dimmable light is just turned on (or off at
    0 %); a colour the light cannot show is not applicable (None)."""
    attrs = entity.attributes
    data: dict[str, Any] = {}
    if "brightness_delta" in slots and entity.state != "on":
        # brighter from off: switch it on at its own level; dimmer from off means nothing
        return ("light.turn_on", {}) if float(slots["brightness_delta"]) > 0 else None
    slots = relative_value(entity, slots)
    if "color" in slots:
        if light_supports(attrs, "color"):
            data["color_name"] = str(slots["color"])
        elif str(slots["color"]) == "white" and light_supports(attrs, "color_temp"):
            data["color_temp_kelvin"] = _NEUTRAL_WHITE_K
        else:
            return None
    if "temperature" in slots:
        if not light_supports(attrs, "color_temp"):
            return None
        data["color_temp_kelvin"] = int(slots["temperature"])
    if "brightness" in slots:
        pct = _pct(slots["brightness"])
        if light_supports(attrs, "brightness"):
            data["brightness_pct"] = pct
        elif pct == 0 and not data:
            return "light.turn_off", {}
        elif not data:
            return "light.turn_on", {}
    return ("light.turn_on", data) if data else None


def _climate_mode_call(entity: Entity, mode: str) -> tuple[str, dict[str, Any]]:
    """'Turn on the heating': the requested mode when the thermostat has it, else a plain turn-on (its own mode)."""
    modes = entity.attributes.get("hvac_modes")
    has_mode = mode in modes if isinstance(modes, list | tuple) else mode in ("heat", "cool")
    if has_mode and "climate.set_hvac_mode" in supported_services(entity):
        return "climate.set_hvac_mode", {"hvac_mode": mode}
    return "climate.turn_on", {}


def service_call(intent: str, entity: Entity, slots: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(service, data) that carries out ``intent`` with ``slots`` on ``entity``, or None when it does not apply."""
    domain = entity.domain
    if domain == "alarm_control_panel":
        return _alarm_call(intent, entity, slots)
    if intent == "HassTurnOn" and domain == "climate" and slots.get("hvac_mode"):
        return _climate_mode_call(entity, str(slots["hvac_mode"]))
    if intent == "HassTurnOn":
        if domain in _ON:
            return _ON[domain], {}
        return (f"{domain}.turn_on", {}) if domain in _ONOFF_DOMAINS else None
    if intent == "HassTurnOff":
        if domain in _OFF:
            return _OFF[domain], {}
        return (f"{domain}.turn_off", {}) if domain in _ONOFF_DOMAINS else None
    if intent == "HassToggle":
        return (f"{domain}.toggle", {}) if domain in _TOGGLE_DOMAINS else None
    if intent == "HassLightSet" and domain == "light":
        return _light_call(entity, slots)
    if intent == "HassClimateSetTemperature" and domain == "climate" and "temperature" in slots:
        return "climate.set_temperature", {"temperature": float(slots["temperature"])}
    if intent in ("HassSetPosition", "HassSetVolume", "HassFanSetSpeed"):
        slots = relative_value(entity, slots)
    if intent == "HassSetPosition" and "position" in slots:
        if domain == "cover":
            return "cover.set_cover_position", {"position": _pct(slots["position"])}
        if domain == "valve":
            return "valve.set_valve_position", {"position": _pct(slots["position"])}
        return None
    if intent == "HassFanSetSpeed" and domain == "fan" and "percentage" in slots:
        return "fan.set_percentage", {"percentage": _pct(slots["percentage"])}
    if domain == "media_player":
        simple = {
            "HassMediaPause": "media_player.media_pause",
            "HassMediaUnpause": "media_player.media_play",
            "HassMediaNext": "media_player.media_next_track",
            "HassMediaPrevious": "media_player.media_previous_track",
        }
        if intent in simple:
            return simple[intent], {}
        if intent == "HassSetVolume" and "volume_level" in slots:
            return "media_player.volume_set", {"volume_level": _pct(slots["volume_level"]) / 100.0}
        if intent == "HassSetVolumeRelative":
            step = slots.get("volume_step", "up")
            return ("media_player.volume_down" if step == "down" else "media_player.volume_up"), {}
        if intent in ("HassMediaPlayerMute", "HassMediaPlayerUnmute"):
            return "media_player.volume_mute", {"is_volume_muted": intent == "HassMediaPlayerMute"}
        return None
    if intent == "HassVacuumStart" and domain == "vacuum":
        return "vacuum.start", {}
    if intent == "HassVacuumReturnToBase" and domain == "vacuum":
        return "vacuum.return_to_base", {}
    if intent == "HassLawnMowerStartMowing" and domain == "lawn_mower":
        return "lawn_mower.start_mowing", {}
    if intent == "HassLawnMowerDock" and domain == "lawn_mower":
        return "lawn_mower.dock", {}
    if intent in ("HassListAddItem", "HassShoppingListAddItem") and domain == "todo" and slots.get("item"):
        return "todo.add_item", {"item": str(slots["item"])}
    return None


def entity_supports(intent: str, entity: Entity, slots: Mapping[str, Any]) -> bool:
    """True when the intent applies to the entity (reads apply to every entity)."""
    if intent in READ_INTENTS:
        return intent != "HassClimateGetTemperature" or entity.domain in ("climate", "sensor", "weather")
    call = service_call(intent, entity, slots)
    return call is not None and call[0] in supported_services(entity)
