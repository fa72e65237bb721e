"""What a service does to a simulated entity's state: Home Assistant's states and attributes, transition by transition.

Pure functions over (state, attributes): the simulated adapter stores the result; tests can call them directly.
Data is expected already validated and normalised by ``devices.services.validate_call``.
"""

from __future__ import annotations

import colorsys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts.features import light_color_modes
from contracts.messages import AssistantError, ErrorCode

__all__ = ["Outcome", "apply_service"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The new state of the entity, plus what it remembers for later (e.g. brightness while off)."""

    state: str
    """New state string."""
    attributes: dict[str, Any]
    """New attributes."""
    memory: dict[str, Any] = field(default_factory=dict)
    """Hidden values the simulation keeps between calls."""
    response: dict[str, Any] | None = None
    """Service response data (todo.get_items)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _clamp(value: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, value))


def _light(state: str, attrs: dict[str, Any], mem: dict[str, Any], service: str, data: Mapping[str, Any]) -> str:
    if service == "toggle":
        service = "turn_off" if state == "on" else "turn_on"
    modes = light_color_modes(attrs)
    dimmable = modes is None or bool(modes - {"onoff"})
    if service == "turn_off":
        if state == "on" and isinstance(attrs.get("brightness"), int):
            mem["brightness"] = attrs["brightness"]
        for key in ("brightness", "rgb_color", "hs_color", "xy_color", "color_temp_kelvin", "color_mode", "effect"):
            if key in attrs:
                mem[f"last_{key}"] = attrs[key]
                attrs[key] = None
        return "off"
    # turn_on
    for key in ("rgb_color", "hs_color", "xy_color", "color_temp_kelvin", "color_mode", "effect"):
        if attrs.get(key) is None and f"last_{key}" in mem:
            attrs[key] = mem[f"last_{key}"]
    if dimmable:
        current = attrs.get("brightness") if state == "on" else mem.get("brightness", 255)
        brightness = current if isinstance(current, int) else 255
        if "brightness" in data:
            brightness = int(data["brightness"])
        elif "brightness_step" in data:
            brightness = int(_clamp(brightness + int(data["brightness_step"]), 0, 255))
        if brightness <= 0:
            mem["brightness"] = mem.get("brightness", 255)
            attrs["brightness"] = None
            return "off"
        attrs["brightness"] = brightness
        mem["brightness"] = brightness
    if "rgb_color" in data:
        r, g, b = (int(v) for v in data["rgb_color"])
        h, s, _v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
        attrs.update(rgb_color=[r, g, b], hs_color=[round(h * 360, 1), round(s * 100, 1)], color_temp_kelvin=None)
        attrs["color_mode"] = next((m for m in ("rgb", "hs", "xy", "rgbw", "rgbww") if modes and m in modes), "rgb")
    elif "hs_color" in data:
        hue, sat = (float(v) for v in data["hs_color"])
        rf, gf, bf = colorsys.hsv_to_rgb(hue / 360, sat / 100, 1.0)
        attrs.update(hs_color=list(data["hs_color"]), rgb_color=[round(rf * 255), round(gf * 255), round(bf * 255)])
        attrs.update(color_temp_kelvin=None, color_mode="hs")
    elif "xy_color" in data:
        attrs.update(xy_color=list(data["xy_color"]), color_temp_kelvin=None, color_mode="xy")
    elif "color_temp_kelvin" in data:
        attrs.update(color_temp_kelvin=int(data["color_temp_kelvin"]), color_mode="color_temp")
        attrs.update(rgb_color=None, hs_color=None, xy_color=None)
    elif attrs.get("color_mode") is None and modes:
        attrs["color_mode"] = sorted(modes)[0]
    if "effect" in data:
        attrs["effect"] = data["effect"]
    return "on"


def _fan(state: str, attrs: dict[str, Any], mem: dict[str, Any], service: str, data: Mapping[str, Any]) -> str:
    step = attrs.get("percentage_step", 25)
    step = step if isinstance(step, int | float) and step > 0 else 25
    if service == "toggle":
        service = "turn_off" if state == "on" else "turn_on"
    if service == "turn_off":
        if isinstance(attrs.get("percentage"), int | float) and attrs["percentage"]:
            mem["percentage"] = attrs["percentage"]
        attrs["percentage"] = 0
        return "off"
    if service == "turn_on":
        if "preset_mode" in data:
            attrs["preset_mode"] = data["preset_mode"]
        attrs["percentage"] = int(data.get("percentage", mem.get("percentage", 100)))
        return "on" if attrs["percentage"] > 0 else "off"
    if service in ("set_percentage", "increase_speed", "decrease_speed"):
        current = attrs.get("percentage") if state == "on" else 0
        current = current if isinstance(current, int | float) else 0
        if service == "set_percentage":
            pct = int(data["percentage"])
        else:
            delta = data.get("percentage_step", step)
            pct = int(_clamp(current + (delta if service == "increase_speed" else -delta), 0, 100))
        attrs["percentage"] = pct
        if pct:
            mem["percentage"] = pct
        return "on" if pct > 0 else "off"
    if service == "oscillate":
        attrs["oscillating"] = bool(data["oscillating"])
    elif service == "set_direction":
        attrs["direction"] = data["direction"]
    elif service == "set_preset_mode":
        attrs["preset_mode"] = data["preset_mode"]
        return "on"
    return state


def _positioned(
    state: str,
    attrs: dict[str, Any],
    service: str,
    data: Mapping[str, Any],
    *,
    suffix: str,
    set_name: str,
) -> str:
    features = attrs.get("supported_features")
    has_pos = "current_position" in attrs or not isinstance(features, int) or bool(features & 4)  # SET_POSITION
    if service == "toggle":
        service = f"close_{suffix}" if state in ("open", "opening") else f"open_{suffix}"
    if service == f"open_{suffix}":
        attrs["current_position"] = 100 if has_pos else attrs.get("current_position")
        return "open"
    if service == f"close_{suffix}":
        attrs["current_position"] = 0 if has_pos else attrs.get("current_position")
        return "closed"
    if service == f"stop_{suffix}":
        if state in ("opening", "closing"):
            return "open"
        return state
    if service == set_name:
        pos = int(data["position"])
        attrs["current_position"] = pos
        return "open" if pos > 0 else "closed"
    if service in ("open_cover_tilt", "close_cover_tilt", "set_cover_tilt_position", "toggle_cover_tilt"):
        tilt = attrs.get("current_tilt_position", 0)
        if service == "toggle_cover_tilt":
            tilt = 0 if isinstance(tilt, int | float) and tilt > 0 else 100
        elif service == "open_cover_tilt":
            tilt = 100
        elif service == "close_cover_tilt":
            tilt = 0
        else:
            tilt = int(data["tilt_position"])
        attrs["current_tilt_position"] = tilt
    return state


def _climate(state: str, attrs: dict[str, Any], mem: dict[str, Any], service: str, data: Mapping[str, Any]) -> str:
    modes = attrs.get("hvac_modes")
    if service == "toggle":
        service = "turn_on" if state == "off" else "turn_off"
    if service == "turn_off":
        if state != "off":
            mem["hvac_mode"] = state
        attrs["hvac_action"] = "off" if "hvac_action" in attrs else attrs.get("hvac_action")
        return "off"
    if service == "turn_on":
        if state != "off":
            return state
        fallback = next((m for m in modes if m != "off"), "heat") if isinstance(modes, list) and modes else "heat"
        return str(mem.get("hvac_mode", fallback))
    if service == "set_hvac_mode":
        if data["hvac_mode"] != "off":
            mem["hvac_mode"] = data["hvac_mode"]
        elif state != "off":
            mem["hvac_mode"] = state
        return str(data["hvac_mode"])
    if service == "set_temperature":
        for temp_key in ("temperature", "target_temp_high", "target_temp_low"):
            if temp_key in data:
                attrs[temp_key] = data[temp_key]
        if "hvac_mode" in data:
            return str(data["hvac_mode"])
        return state
    keys = {
        "set_humidity": "humidity",
        "set_fan_mode": "fan_mode",
        "set_preset_mode": "preset_mode",
        "set_swing_mode": "swing_mode",
    }
    key = keys.get(service)
    if key:
        attrs[key] = data[key]
    return state


def _media(state: str, attrs: dict[str, Any], mem: dict[str, Any], service: str, data: Mapping[str, Any]) -> str:
    step = attrs.get("volume_step", 0.1)
    step = step if isinstance(step, int | float) and 0 < step <= 1 else 0.1
    if service == "toggle":
        service = "turn_on" if state == "off" else "turn_off"
    if service == "turn_off":
        return "off"
    if service == "turn_on":
        return "idle" if state in ("off", "standby", "unknown") else state
    volume = attrs.get("volume_level")
    volume = float(volume) if isinstance(volume, int | float) else 0.5
    if service == "volume_set":
        attrs["volume_level"] = round(float(data["volume_level"]), 3)
    elif service in ("volume_up", "volume_down"):
        attrs["volume_level"] = round(_clamp(volume + (step if service == "volume_up" else -step), 0, 1), 3)
    elif service == "volume_mute":
        attrs["is_volume_muted"] = bool(data["is_volume_muted"])
    elif service == "media_play":
        return "playing"
    elif service == "media_pause":
        return "paused"
    elif service == "media_play_pause":
        return "paused" if state == "playing" else "playing"
    elif service == "media_stop":
        attrs["media_position"] = 0
        return "idle"
    elif service in ("media_next_track", "media_previous_track"):
        track = attrs.get("media_track")
        track = track if isinstance(track, int) else 1
        attrs["media_track"] = track + 1 if service == "media_next_track" else max(1, track - 1)
        attrs["media_position"] = 0
        return "playing" if state in ("playing", "paused", "idle", "on") else state
    elif service == "media_seek":
        attrs["media_position"] = data["seek_position"]
    elif service == "play_media":
        attrs.update(
            media_content_id=data["media_content_id"],
            media_content_type=data.get("media_content_type", "music"),
            media_title=data["media_content_id"],
            media_track=1,
            media_position=0,
        )
        return "playing"
    elif service == "select_source":
        attrs["source"] = data["source"]
    elif service == "shuffle_set":
        attrs["shuffle"] = bool(data["shuffle"])
    elif service == "repeat_set":
        attrs["repeat"] = data["repeat"]
    if state == "off" and service.startswith("volume"):
        return "off"
    return state


def _vacuum(state: str, attrs: dict[str, Any], service: str, data: Mapping[str, Any]) -> str:
    if service in ("start", "turn_on"):
        return "cleaning"
    if service == "pause":
        return "paused" if state == "cleaning" else state
    if service == "stop":
        return "idle" if state in ("cleaning", "paused", "returning") else state
    if service in ("return_to_base", "turn_off"):
        return "docked"
    if service == "clean_spot":
        return "cleaning"
    if service == "set_fan_speed":
        attrs["fan_speed"] = data["fan_speed"]
    return state


def _todo(attrs: dict[str, Any], service: str, data: Mapping[str, Any]) -> tuple[str, dict[str, Any] | None]:
    items = [dict(i) for i in attrs.get("items", []) if isinstance(i, dict)]
    response: dict[str, Any] | None = None

    def find(ref: str) -> dict[str, Any]:
        for item in items:
            if item.get("uid") == ref:
                return item
        for item in items:
            if str(item.get("summary", "")).casefold() == ref.casefold():
                return item
        raise AssistantError(
            ErrorCode.DEVICE_INVALID_PARAMS, f"There is no item '{ref}' on the list", details={"item": ref}
        )

    if service == "add_item":
        item = {"uid": uuid.uuid4().hex[:12], "summary": data["item"], "status": "needs_action"}
        for key in ("due_date", "due_datetime", "description"):
            if key in data:
                item["due" if key.startswith("due") else key] = data[key]
        items.append(item)
    elif service == "update_item":
        item = find(str(data["item"]))
        if "rename" in data:
            item["summary"] = data["rename"]
        if "status" in data:
            item["status"] = data["status"]
        for key in ("due_date", "due_datetime", "description"):
            if key in data:
                item["due" if key.startswith("due") else key] = data[key]
    elif service == "remove_item":
        gone = [find(ref) for ref in data["item"]]
        items = [i for i in items if all(i is not g for g in gone)]
    elif service == "remove_completed_items":
        items = [i for i in items if i.get("status") != "completed"]
    elif service == "get_items":
        wanted = data.get("status")
        statuses = {wanted} if isinstance(wanted, str) else set(wanted) if isinstance(wanted, list) else None
        response = {"items": [i for i in items if statuses is None or i.get("status") in statuses]}
    attrs["items"] = items
    return str(sum(1 for i in items if i.get("status") == "needs_action")), response


_ALARM = {
    "alarm_disarm": "disarmed",
    "alarm_arm_home": "armed_home",
    "alarm_arm_away": "armed_away",
    "alarm_arm_night": "armed_night",
    "alarm_arm_vacation": "armed_vacation",
    "alarm_arm_custom_bypass": "armed_custom_bypass",
    "alarm_trigger": "triggered",
}


def apply_service(
    domain: str,
    state: str,
    attributes: Mapping[str, Any],
    service: str,
    data: Mapping[str, Any],
    memory: Mapping[str, Any] | None = None,
) -> Outcome:
    """The state after ``domain.service`` with ``data`` on an entity in ``state`` with ``attributes``."""
    attrs = {k: (list(v) if isinstance(v, list) else v) for k, v in attributes.items()}
    mem = dict(memory or {})
    response: dict[str, Any] | None = None
    new = state
    if domain == "light":
        new = _light(state, attrs, mem, service, data)
    elif domain in ("switch", "input_boolean", "siren", "humidifier") and service in ("turn_on", "turn_off", "toggle"):
        new = {"turn_on": "on", "turn_off": "off"}.get(service, "off" if state == "on" else "on")
    elif domain == "humidifier":
        attrs[{"set_humidity": "humidity", "set_mode": "mode"}[service]] = data.get("humidity", data.get("mode"))
    elif domain == "fan":
        new = _fan(state, attrs, mem, service, data)
    elif domain == "cover":
        new = _positioned(state, attrs, service, data, suffix="cover", set_name="set_cover_position")
    elif domain == "valve":
        new = _positioned(state, attrs, service, data, suffix="valve", set_name="set_valve_position")
    elif domain == "lock":
        new = {"lock": "locked", "unlock": "unlocked", "open": "open"}[service]
    elif domain == "climate":
        new = _climate(state, attrs, mem, service, data)
    elif domain == "media_player":
        new = _media(state, attrs, mem, service, data)
    elif domain == "vacuum":
        new = _vacuum(state, attrs, service, data)
    elif domain == "todo":
        new, response = _todo(attrs, service, data)
    elif domain in ("scene", "button", "input_button"):
        new = _now()
    elif domain == "script":
        attrs["last_triggered"] = _now()
        new = "on" if service == "turn_on" and attrs.get("mode") == "running" else "off"
    elif domain == "alarm_control_panel":
        new = _ALARM[service]
        attrs["changed_by"] = "assistant"
    elif domain in ("number", "input_number"):
        if service == "set_value":
            value = float(data["value"])
        else:
            current = float(state) if state.replace(".", "", 1).lstrip("-").isdigit() else 0.0
            raw_step = attrs.get("step", 1)
            step = float(raw_step) if isinstance(raw_step, int | float) else 1.0
            value = current + (step if service == "increment" else -step)
            lo, hi = attrs.get("min"), attrs.get("max")
            value = _clamp(
                value, lo if isinstance(lo, int | float) else value, hi if isinstance(hi, int | float) else value
            )
        new = str(int(value)) if value.is_integer() else str(value)
    elif domain in ("select", "input_select"):
        new = str(data["option"])
    else:
        raise AssistantError(ErrorCode.DEVICE_UNSUPPORTED, f"The simulation has no model of {domain}.{service}")
    return Outcome(new, attrs, mem, response)
