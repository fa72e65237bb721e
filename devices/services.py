"""Service validation: is this service supported by the entity, and is its data valid? Data comes out normalised.

Names and parameters are Home Assistant's (``light.turn_on`` with ``brightness``/``brightness_pct``/``rgb_color``/
``color_name``/``color_temp_kelvin``..., ``climate.set_temperature`` with ``temperature``...). Normalisation turns
``brightness_pct`` into ``brightness``, ``color_name`` into ``rgb_color`` and mireds/``kelvin`` into
``color_temp_kelvin``, so adapters see one form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from contracts.features import (
    COLOR_NAMES,
    READ_ONLY_DOMAINS,
    ClimateEntityFeature,
    LightEntityFeature,
    light_supports,
)
from contracts.home import Entity
from contracts.messages import AssistantError, ErrorCode

__all__ = ["COLOR_NAMES", "concrete_service", "validate_call"]

_TURN_ON = {
    "cover": "open_cover",
    "valve": "open_valve",
    "vacuum": "start",
    "button": "press",
    "input_button": "press",
}
_TURN_OFF = {"cover": "close_cover", "valve": "close_valve", "vacuum": "return_to_base"}
_NO_TARGET_KEYS = ("entity_id", "area_id", "device_id", "floor_id", "label_id")


def _fail(code: ErrorCode, message: str, **details: Any) -> AssistantError:
    return AssistantError(code, message, details=details)


def concrete_service(entity: Entity, service: str) -> str:
    """The entity's own service for ``service``; maps ``homeassistant.turn_on/turn_off/toggle`` per domain."""
    domain, _, name = service.partition(".")
    if not name or not domain:
        raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"'{service}' is not a service name (domain.service)")
    if domain == "homeassistant":
        table = {"turn_on": _TURN_ON, "turn_off": _TURN_OFF}.get(name, {})
        mapped = table.get(entity.domain, name)
        return f"{entity.domain}.{mapped}"
    return service


# ---- value checks ------------------------------------------------------------------------------------------------

Check = Callable[[Entity, str, Any], Any]


def _num(lo: float | None = None, hi: float | None = None, *, integer: bool = False) -> Check:
    def check(entity: Entity, key: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"{key} must be a number", key=key)
        try:
            num = float(value)
        except ValueError as exc:
            raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"{key} must be a number, not '{value}'", key=key) from exc
        if num != num:  # NaN
            raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"{key} must be a number", key=key)
        if (lo is not None and num < lo) or (hi is not None and num > hi):
            raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"{key} must be between {lo} and {hi}, not {value}", key=key)
        if integer:
            return round(num)
        return int(num) if num.is_integer() and isinstance(value, int) else num

    return check


def _bool(entity: Entity, key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "on", "off"):
        return value.lower() in ("true", "on")
    raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"{key} must be true or false", key=key)


def _text(entity: Entity, key: str, value: Any) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()
    raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"{key} must be a non-empty text", key=key)


def _choice(options: tuple[str, ...] | None = None, attr: str | None = None) -> Check:
    def check(entity: Entity, key: str, value: Any) -> str:
        text = _text(entity, key, value)
        allowed = options
        listed = entity.attributes.get(attr) if attr else None
        if isinstance(listed, list | tuple) and listed:
            allowed = tuple(str(x) for x in listed)
        if allowed is not None:
            for opt in allowed:
                if opt.casefold() == text.casefold():
                    return opt
            raise _fail(
                ErrorCode.DEVICE_INVALID_PARAMS,
                f"{key} '{text}' is not one of {', '.join(allowed)}",
                key=key,
                allowed=list(allowed),
            )
        return text

    return check


def _triple(lo: float, hi: float, size: int = 3) -> Check:
    def check(entity: Entity, key: str, value: Any) -> list[int]:
        if (
            not isinstance(value, list | tuple)
            or len(value) != size
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and lo <= v <= hi for v in value)
        ):
            raise _fail(
                ErrorCode.DEVICE_INVALID_PARAMS, f"{key} must be {size} numbers between {lo:g} and {hi:g}", key=key
            )
        return [round(v) for v in value]

    return check


def _pair(lo1: float, hi1: float, lo2: float, hi2: float) -> Check:
    def check(entity: Entity, key: str, value: Any) -> list[float]:
        ok = (
            isinstance(value, list | tuple)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            and lo1 <= value[0] <= hi1
            and lo2 <= value[1] <= hi2
        )
        if not ok:
            raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"{key} must be a pair of numbers in range", key=key)
        return [float(value[0]), float(value[1])]

    return check


def _items(entity: Entity, key: str, value: Any) -> list[str]:
    if isinstance(value, str) and value.strip():
        return [value.strip()]
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return [v.strip() for v in value]
    raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"{key} must be an item name or a list of them", key=key)


def _color_name(entity: Entity, key: str, value: Any) -> str:
    text = " ".join(_text(entity, key, value).casefold().replace("_", " ").split())
    if text not in COLOR_NAMES and text.replace(" ", "") not in COLOR_NAMES:
        raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"Unknown colour '{value}'", key=key)
    return text if text in COLOR_NAMES else text.replace(" ", "")


def _mapping(entity: Entity, key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"{key} must be a mapping", key=key)


def _any(entity: Entity, key: str, value: Any) -> Any:
    return value


_LIGHT_ON: dict[str, Check] = {
    "brightness": _num(0, 255, integer=True),
    "brightness_pct": _num(0, 100),
    "brightness_step": _num(-255, 255, integer=True),
    "brightness_step_pct": _num(-100, 100),
    "rgb_color": _triple(0, 255),
    "rgbw_color": _triple(0, 255, 4),
    "rgbww_color": _triple(0, 255, 5),
    "hs_color": _pair(0, 360, 0, 100),
    "xy_color": _pair(0, 1, 0, 1),
    "color_name": _color_name,
    "color_temp_kelvin": _num(1000, 40000, integer=True),
    "kelvin": _num(1000, 40000, integer=True),
    "color_temp": _num(25, 1000, integer=True),
    "white": _any,
    "transition": _num(0, 6553),
    "flash": _choice(("short", "long")),
    "effect": _choice(attr="effect_list"),
    "profile": _text,
}
_CODE: dict[str, Check] = {"code": _text}

PARAMS: dict[str, dict[str, Check]] = {
    "light.turn_on": _LIGHT_ON,
    "light.toggle": _LIGHT_ON,
    "light.turn_off": {"transition": _num(0, 6553), "flash": _choice(("short", "long"))},
    "fan.turn_on": {"percentage": _num(0, 100, integer=True), "preset_mode": _choice(attr="preset_modes")},
    "fan.set_percentage": {"percentage": _num(0, 100, integer=True)},
    "fan.increase_speed": {"percentage_step": _num(0, 100, integer=True)},
    "fan.decrease_speed": {"percentage_step": _num(0, 100, integer=True)},
    "fan.oscillate": {"oscillating": _bool},
    "fan.set_direction": {"direction": _choice(("forward", "reverse"))},
    "fan.set_preset_mode": {"preset_mode": _choice(attr="preset_modes")},
    "cover.set_cover_position": {"position": _num(0, 100, integer=True)},
    "cover.set_cover_tilt_position": {"tilt_position": _num(0, 100, integer=True)},
    "valve.set_valve_position": {"position": _num(0, 100, integer=True)},
    "lock.lock": _CODE,
    "lock.unlock": _CODE,
    "lock.open": _CODE,
    "climate.set_temperature": {
        "temperature": _num(-100, 200),
        "target_temp_high": _num(-100, 200),
        "target_temp_low": _num(-100, 200),
        "hvac_mode": _choice(("off", "heat", "cool", "heat_cool", "auto", "dry", "fan_only"), "hvac_modes"),
    },
    "climate.set_hvac_mode": {
        "hvac_mode": _choice(("off", "heat", "cool", "heat_cool", "auto", "dry", "fan_only"), "hvac_modes")
    },
    "climate.set_humidity": {"humidity": _num(0, 100)},
    "climate.set_fan_mode": {"fan_mode": _choice(attr="fan_modes")},
    "climate.set_preset_mode": {"preset_mode": _choice(attr="preset_modes")},
    "climate.set_swing_mode": {"swing_mode": _choice(attr="swing_modes")},
    "media_player.volume_set": {"volume_level": _num(0, 1)},
    "media_player.volume_mute": {"is_volume_muted": _bool},
    "media_player.media_seek": {"seek_position": _num(0, None)},
    "media_player.play_media": {
        "media_content_id": _text,
        "media_content_type": _text,
        "enqueue": _choice(("play", "next", "add", "replace")),
        "announce": _bool,
        "extra": _mapping,
    },
    "media_player.select_source": {"source": _choice(attr="source_list")},
    "media_player.shuffle_set": {"shuffle": _bool},
    "media_player.repeat_set": {"repeat": _choice(("off", "all", "one"))},
    "vacuum.set_fan_speed": {"fan_speed": _choice(attr="fan_speed_list")},
    "vacuum.send_command": {"command": _text, "params": _any},
    "todo.add_item": {"item": _text, "due_date": _text, "due_datetime": _text, "description": _text},
    "todo.update_item": {
        "item": _text,
        "rename": _text,
        "status": _choice(("needs_action", "completed")),
        "due_date": _text,
        "due_datetime": _text,
        "description": _text,
    },
    "todo.remove_item": {"item": _items},
    "todo.get_items": {"status": _any},
    "scene.turn_on": {"transition": _num(0, 6553)},
    "script.turn_on": {"variables": _mapping},
    "number.set_value": {"value": _num()},
    "input_number.set_value": {"value": _num()},
    "select.select_option": {"option": _choice(attr="options")},
    "input_select.select_option": {"option": _choice(attr="options")},
    "humidifier.set_humidity": {"humidity": _num(0, 100, integer=True)},
    "humidifier.set_mode": {"mode": _choice(attr="available_modes")},
    **{
        f"alarm_control_panel.{s}": _CODE
        for s in (
            "alarm_disarm",
            "alarm_arm_home",
            "alarm_arm_away",
            "alarm_arm_night",
            "alarm_arm_vacation",
            "alarm_arm_custom_bypass",
            "alarm_trigger",
        )
    },
}
"""Accepted data keys per service; any other key is refused with device-invalid-params."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "fan.set_percentage": ("percentage",),
    "fan.oscillate": ("oscillating",),
    "fan.set_direction": ("direction",),
    "fan.set_preset_mode": ("preset_mode",),
    "cover.set_cover_position": ("position",),
    "cover.set_cover_tilt_position": ("tilt_position",),
    "valve.set_valve_position": ("position",),
    "climate.set_hvac_mode": ("hvac_mode",),
    "climate.set_humidity": ("humidity",),
    "climate.set_fan_mode": ("fan_mode",),
    "climate.set_preset_mode": ("preset_mode",),
    "climate.set_swing_mode": ("swing_mode",),
    "media_player.volume_set": ("volume_level",),
    "media_player.volume_mute": ("is_volume_muted",),
    "media_player.media_seek": ("seek_position",),
    "media_player.play_media": ("media_content_id",),
    "media_player.select_source": ("source",),
    "media_player.shuffle_set": ("shuffle",),
    "media_player.repeat_set": ("repeat",),
    "vacuum.set_fan_speed": ("fan_speed",),
    "vacuum.send_command": ("command",),
    "todo.add_item": ("item",),
    "todo.update_item": ("item",),
    "todo.remove_item": ("item",),
    "number.set_value": ("value",),
    "input_number.set_value": ("value",),
    "select.select_option": ("option",),
    "input_select.select_option": ("option",),
    "humidifier.set_humidity": ("humidity",),
    "humidifier.set_mode": ("mode",),
}


def _unsupported(entity: Entity, what: str) -> AssistantError:
    return _fail(ErrorCode.DEVICE_UNSUPPORTED, f"{entity.name} does not support {what}", entity_id=entity.entity_id)


def _features(entity: Entity) -> int | None:
    raw = entity.attributes.get("supported_features")
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def _normalize_light(entity: Entity, data: dict[str, Any]) -> dict[str, Any]:
    colors = [k for k in ("rgb_color", "rgbw_color", "rgbww_color", "hs_color", "xy_color", "color_name") if k in data]
    temps = [k for k in ("color_temp_kelvin", "kelvin", "color_temp") if k in data]
    bright = [k for k in ("brightness", "brightness_pct", "brightness_step", "brightness_step_pct") if k in data]
    if len(colors) + len(temps) > 1:
        raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, "Give one colour or one colour temperature, not several")
    if len(bright) > 1:
        raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, "Give one brightness value, not several")
    if bright and not light_supports(entity.attributes, "brightness"):
        raise _unsupported(entity, "brightness")
    if colors and not light_supports(entity.attributes, "color"):
        raise _unsupported(entity, "colours")
    if temps and not light_supports(entity.attributes, "color_temp"):
        raise _unsupported(entity, "colour temperature")
    feats = _features(entity)
    if "effect" in data and not (
        entity.attributes.get("effect_list") or (feats is not None and feats & LightEntityFeature.EFFECT)
    ):
        raise _unsupported(entity, "effects")
    if "flash" in data and feats is not None and not feats & LightEntityFeature.FLASH:
        raise _unsupported(entity, "flashing")
    if "brightness_pct" in data:
        data["brightness"] = round(float(data.pop("brightness_pct")) * 255 / 100)
    if "brightness_step_pct" in data:
        data["brightness_step"] = round(float(data.pop("brightness_step_pct")) * 255 / 100)
    if "color_name" in data:
        data["rgb_color"] = list(COLOR_NAMES[data.pop("color_name")])
    if "color_temp" in data:
        data["color_temp_kelvin"] = round(1_000_000 / data.pop("color_temp"))
    if "kelvin" in data:
        data["color_temp_kelvin"] = data.pop("kelvin")
    if "color_temp_kelvin" in data:
        lo = entity.attributes.get("min_color_temp_kelvin", 2000)
        hi = entity.attributes.get("max_color_temp_kelvin", 6535)
        if isinstance(lo, int | float) and isinstance(hi, int | float):
            data["color_temp_kelvin"] = int(min(max(data["color_temp_kelvin"], lo), hi))
    return data


def _normalize_climate(entity: Entity, service: str, data: dict[str, Any]) -> dict[str, Any]:
    if service == "set_temperature":
        temps = [k for k in ("temperature", "target_temp_high", "target_temp_low") if k in data]
        if not temps:
            raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, "set_temperature needs a temperature")
        feats = _features(entity)
        ranged = "target_temp_high" in data or "target_temp_low" in data
        if ranged and feats is not None and not feats & ClimateEntityFeature.TARGET_TEMPERATURE_RANGE:
            raise _unsupported(entity, "a temperature range")
        if "temperature" in data and feats is not None and not feats & ClimateEntityFeature.TARGET_TEMPERATURE:
            raise _unsupported(entity, "a target temperature")
        unit = str(entity.attributes.get("temperature_unit") or entity.attributes.get("unit_of_measurement") or "")
        fahrenheit = "F" in unit
        lo = entity.attributes.get("min_temp", 45 if fahrenheit else 7)
        hi = entity.attributes.get("max_temp", 95 if fahrenheit else 35)
        for key in temps:
            value = float(data[key])
            if isinstance(lo, int | float) and isinstance(hi, int | float) and not lo <= value <= hi:
                raise _fail(
                    ErrorCode.DEVICE_INVALID_PARAMS,
                    f"{entity.name} accepts {lo:g} to {hi:g} degrees, not {value:g}",
                    key=key,
                    min=lo,
                    max=hi,
                )
    return data


def validate_call(entity: Entity, service: str, data: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """Check ``service`` with ``data`` against the entity; return (concrete service, normalised data).

    Raises ``AssistantError`` with device-read-only, device-unsupported or device-invalid-params.
    """
    payload = dict(data or {})
    for key in _NO_TARGET_KEYS:
        if key in payload:
            raise _fail(
                ErrorCode.DEVICE_INVALID_PARAMS, f"Targets go in entity_ids, not in the data ('{key}')", key=key
            )
    full = concrete_service(entity, service)
    domain, _, name = full.partition(".")
    if entity.domain in READ_ONLY_DOMAINS:
        raise _fail(ErrorCode.DEVICE_READ_ONLY, f"{entity.name} only reports its state", entity_id=entity.entity_id)
    if domain != entity.domain:
        raise _fail(
            ErrorCode.DEVICE_UNSUPPORTED,
            f"{full} does not apply to {entity.name} (a {entity.domain})",
            entity_id=entity.entity_id,
        )
    if full not in entity.services:
        raise _unsupported(entity, name.replace("_", " "))
    allowed = PARAMS.get(full, {})
    out: dict[str, Any] = {}
    for key, value in payload.items():
        check = allowed.get(key)
        if check is None:
            raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"{full} does not take '{key}'", key=key)
        out[key] = check(entity, key, value)
    missing = [k for k in REQUIRED.get(full, ()) if k not in out]
    if missing:
        raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"{full} needs {', '.join(missing)}", missing=missing)
    if domain == "light" and name in ("turn_on", "toggle"):
        out = _normalize_light(entity, out)
    elif domain == "climate":
        out = _normalize_climate(entity, name, out)
    elif full == "todo.update_item" and not set(out) - {"item"}:
        raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, "update_item needs something to change (rename or status)")
    elif full == "media_player.play_media":
        out.setdefault("media_content_type", "music")
    elif full in ("number.set_value", "input_number.set_value"):
        lo, hi = entity.attributes.get("min"), entity.attributes.get("max")
        value = float(out["value"])
        if (isinstance(lo, int | float) and value < lo) or (isinstance(hi, int | float) and value > hi):
            raise _fail(ErrorCode.DEVICE_INVALID_PARAMS, f"value must be between {lo} and {hi}", key="value")
    if full == "fan.turn_on" and "percentage" in out and "fan.set_percentage" not in entity.services:
        raise _unsupported(entity, "speed")
    if full == "fan.turn_on" and "preset_mode" in out and "fan.set_preset_mode" not in entity.services:
        raise _unsupported(entity, "preset modes")
    return full, out
