"""Home Assistant's feature flags and the services each entity supports.

The flag values are Home Assistant's own (``homeassistant.components.<domain>.<Domain>EntityFeature``), so a
``supported_features`` integer copied from a real installation means the same thing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntFlag
from typing import Any

__all__ = [
    "ALL_SERVICES",
    "COLOR_NAMES",
    "FEATURE_ENUMS",
    "READ_ONLY_DOMAINS",
    "AlarmControlPanelEntityFeature",
    "ClimateEntityFeature",
    "CoverEntityFeature",
    "FanEntityFeature",
    "LightEntityFeature",
    "LockEntityFeature",
    "MediaPlayerEntityFeature",
    "TodoListEntityFeature",
    "VacuumEntityFeature",
    "ValveEntityFeature",
    "derive_services",
    "light_color_modes",
    "light_supports",
]


class LightEntityFeature(IntFlag):
    """``light.LightEntityFeature``."""

    EFFECT = 4
    FLASH = 8
    TRANSITION = 32


class CoverEntityFeature(IntFlag):
    """``cover.CoverEntityFeature``."""

    OPEN = 1
    CLOSE = 2
    SET_POSITION = 4
    STOP = 8
    OPEN_TILT = 16
    CLOSE_TILT = 32
    STOP_TILT = 64
    SET_TILT_POSITION = 128


class FanEntityFeature(IntFlag):
    """``fan.FanEntityFeature``."""

    SET_SPEED = 1
    OSCILLATE = 2
    DIRECTION = 4
    PRESET_MODE = 8
    TURN_OFF = 16
    TURN_ON = 32


class MediaPlayerEntityFeature(IntFlag):
    """``media_player.MediaPlayerEntityFeature``."""

    PAUSE = 1
    SEEK = 2
    VOLUME_SET = 4
    VOLUME_MUTE = 8
    PREVIOUS_TRACK = 16
    NEXT_TRACK = 32
    TURN_ON = 128
    TURN_OFF = 256
    PLAY_MEDIA = 512
    VOLUME_STEP = 1024
    SELECT_SOURCE = 2048
    STOP = 4096
    CLEAR_PLAYLIST = 8192
    PLAY = 16384
    SHUFFLE_SET = 32768
    SELECT_SOUND_MODE = 65536
    BROWSE_MEDIA = 131072
    REPEAT_SET = 262144
    GROUPING = 524288
    MEDIA_ANNOUNCE = 1048576
    MEDIA_ENQUEUE = 2097152
    SEARCH_MEDIA = 4194304


class ClimateEntityFeature(IntFlag):
    """``climate.ClimateEntityFeature``."""

    TARGET_TEMPERATURE = 1
    TARGET_TEMPERATURE_RANGE = 2
    TARGET_HUMIDITY = 4
    FAN_MODE = 8
    PRESET_MODE = 16
    SWING_MODE = 32
    AUX_HEAT = 64
    TURN_OFF = 128
    TURN_ON = 256
    SWING_HORIZONTAL_MODE = 512


class VacuumEntityFeature(IntFlag):
    """``vacuum.VacuumEntityFeature``."""

    TURN_ON = 1
    TURN_OFF = 2
    PAUSE = 4
    STOP = 8
    RETURN_HOME = 16
    FAN_SPEED = 32
    BATTERY = 64
    STATUS = 128
    SEND_COMMAND = 256
    LOCATE = 512
    CLEAN_SPOT = 1024
    MAP = 2048
    STATE = 4096
    START = 8192


class LockEntityFeature(IntFlag):
    """``lock.LockEntityFeature``."""

    OPEN = 1


class ValveEntityFeature(IntFlag):
    """``valve.ValveEntityFeature``."""

    OPEN = 1
    CLOSE = 2
    SET_POSITION = 4
    STOP = 8


class TodoListEntityFeature(IntFlag):
    """``todo.TodoListEntityFeature``."""

    CREATE_TODO_ITEM = 1
    DELETE_TODO_ITEM = 2
    UPDATE_TODO_ITEM = 4
    MOVE_TODO_ITEM = 8
    SET_DUE_DATE_ON_ITEM = 16
    SET_DUE_DATETIME_ON_ITEM = 32
    SET_DESCRIPTION_ON_ITEM = 64


class AlarmControlPanelEntityFeature(IntFlag):
    """``alarm_control_panel.AlarmControlPanelEntityFeature``."""

    ARM_HOME = 1
    ARM_AWAY = 2
    ARM_NIGHT = 4
    TRIGGER = 8
    ARM_CUSTOM_BYPASS = 16
    ARM_VACATION = 32


FEATURE_ENUMS: dict[str, type[IntFlag]] = {
    "LightEntityFeature": LightEntityFeature,
    "CoverEntityFeature": CoverEntityFeature,
    "FanEntityFeature": FanEntityFeature,
    "MediaPlayerEntityFeature": MediaPlayerEntityFeature,
    "ClimateEntityFeature": ClimateEntityFeature,
    "VacuumEntityFeature": VacuumEntityFeature,
    "LockEntityFeature": LockEntityFeature,
    "ValveEntityFeature": ValveEntityFeature,
    "TodoListEntityFeature": TodoListEntityFeature,
    "AlarmControlPanelEntityFeature": AlarmControlPanelEntityFeature,
}
"""Enum class name (as written in synthetic-home files) -> flag type."""

READ_ONLY_DOMAINS = frozenset(
    {
        "sensor",
        "binary_sensor",
        "weather",
        "person",
        "device_tracker",
        "sun",
        "zone",
        "calendar",
        "event",
        "update",
        "camera",
        "image",
        "conversation",
        "stt",
        "tts",
    }
)
"""Domains whose entities only report state."""

_COLOR_MODES = frozenset({"hs", "xy", "rgb", "rgbw", "rgbww"})
_BRIGHTNESS_MODES = _COLOR_MODES | {"brightness", "color_temp", "white"}

# Legacy light flags (before color modes): SUPPORT_BRIGHTNESS=1, SUPPORT_COLOR_TEMP=2, SUPPORT_COLOR=16.
_LEGACY_BRIGHTNESS, _LEGACY_COLOR_TEMP, _LEGACY_COLOR = 1, 2, 16

ALL_SERVICES: dict[str, frozenset[str]] = {
    "light": frozenset({"turn_on", "turn_off", "toggle"}),
    "switch": frozenset({"turn_on", "turn_off", "toggle"}),
    "input_boolean": frozenset({"turn_on", "turn_off", "toggle"}),
    "siren": frozenset({"turn_on", "turn_off", "toggle"}),
    "humidifier": frozenset({"turn_on", "turn_off", "toggle", "set_humidity", "set_mode"}),
    "fan": frozenset(
        {
            "turn_on",
            "turn_off",
            "toggle",
            "set_percentage",
            "increase_speed",
            "decrease_speed",
            "oscillate",
            "set_direction",
            "set_preset_mode",
        }
    ),
    "cover": frozenset(
        {
            "open_cover",
            "close_cover",
            "stop_cover",
            "toggle",
            "set_cover_position",
            "open_cover_tilt",
            "close_cover_tilt",
            "stop_cover_tilt",
            "set_cover_tilt_position",
            "toggle_cover_tilt",
        }
    ),
    "valve": frozenset({"open_valve", "close_valve", "stop_valve", "toggle", "set_valve_position"}),
    "lock": frozenset({"lock", "unlock", "open"}),
    "climate": frozenset(
        {
            "turn_on",
            "turn_off",
            "toggle",
            "set_temperature",
            "set_hvac_mode",
            "set_humidity",
            "set_fan_mode",
            "set_preset_mode",
            "set_swing_mode",
        }
    ),
    "media_player": frozenset(
        {
            "turn_on",
            "turn_off",
            "toggle",
            "volume_up",
            "volume_down",
            "volume_set",
            "volume_mute",
            "media_play",
            "media_pause",
            "media_play_pause",
            "media_stop",
            "media_next_track",
            "media_previous_track",
            "media_seek",
            "play_media",
            "select_source",
            "shuffle_set",
            "repeat_set",
        }
    ),
    "vacuum": frozenset(
        {
            "start",
            "stop",
            "pause",
            "return_to_base",
            "clean_spot",
            "locate",
            "set_fan_speed",
            "send_command",
            "turn_on",
            "turn_off",
        }
    ),
    "todo": frozenset({"add_item", "update_item", "remove_item", "remove_completed_items", "get_items"}),
    "scene": frozenset({"turn_on"}),
    "script": frozenset({"turn_on", "turn_off", "toggle"}),
    "button": frozenset({"press"}),
    "input_button": frozenset({"press"}),
    "number": frozenset({"set_value"}),
    "input_number": frozenset({"set_value", "increment", "decrement"}),
    "select": frozenset({"select_option"}),
    "input_select": frozenset({"select_option"}),
    "alarm_control_panel": frozenset(
        {
            "alarm_disarm",
            "alarm_arm_home",
            "alarm_arm_away",
            "alarm_arm_night",
            "alarm_arm_vacation",
            "alarm_arm_custom_bypass",
            "alarm_trigger",
        }
    ),
}
"""Every service this package implements, per domain (HA names)."""


def light_color_modes(attributes: Mapping[str, Any]) -> frozenset[str] | None:
    """The light's supported color modes; None when the home file says nothing about them."""
    modes = attributes.get("supported_color_modes")
    if isinstance(modes, list | tuple | set | frozenset):
        return frozenset(str(m).lower() for m in modes)
    if isinstance(modes, str) and modes:
        return frozenset({modes.lower()})
    features = attributes.get("supported_features")
    if isinstance(features, int) and features & (_LEGACY_BRIGHTNESS | _LEGACY_COLOR_TEMP | _LEGACY_COLOR):
        out = {"brightness"} if features & _LEGACY_BRIGHTNESS else set()
        if features & _LEGACY_COLOR_TEMP:
            out.add("color_temp")
        if features & _LEGACY_COLOR:
            out.add("hs")
        return frozenset(out)
    return None


def light_supports(attributes: Mapping[str, Any], what: str) -> bool:
    """Whether a light supports 'brightness', 'color' or 'color_temp' (permissive when unspecified)."""
    modes = light_color_modes(attributes)
    if modes is None:
        return True
    if what == "brightness":
        return bool(modes & _BRIGHTNESS_MODES)
    if what == "color":
        return bool(modes & _COLOR_MODES)
    if what == "color_temp":
        return "color_temp" in modes or bool(modes & {"rgbww"})
    return False


def _has(features: int | None, flag: int) -> bool:
    return features is None or bool(features & flag)


def derive_services(domain: str, attributes: Mapping[str, Any]) -> frozenset[str]:
    """The 'domain.service' names an entity supports, from its domain and ``supported_features``.

    When ``supported_features`` is absent (Home Assistant's test fixtures usually omit it), the domain's usual
    services are allowed; when it is given, it is enforced bit by bit.
    """
    if domain in READ_ONLY_DOMAINS or domain not in ALL_SERVICES:
        return frozenset()
    raw = attributes.get("supported_features")
    features = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    names: set[str] = set()
    if domain == "fan":
        names = {"turn_on", "turn_off", "toggle"}
        if _has(features, FanEntityFeature.SET_SPEED):
            names |= {"set_percentage", "increase_speed", "decrease_speed"}
        if _has(features, FanEntityFeature.OSCILLATE):
            names.add("oscillate")
        if _has(features, FanEntityFeature.DIRECTION):
            names.add("set_direction")
        if _has(features, FanEntityFeature.PRESET_MODE):
            names.add("set_preset_mode")
    elif domain == "cover":
        feats = CoverEntityFeature.OPEN | CoverEntityFeature.CLOSE | CoverEntityFeature.STOP
        if features is None:
            feats |= CoverEntityFeature.SET_POSITION
        else:
            feats = CoverEntityFeature(features & 0xFF)
        flags = {
            CoverEntityFeature.OPEN: "open_cover",
            CoverEntityFeature.CLOSE: "close_cover",
            CoverEntityFeature.STOP: "stop_cover",
            CoverEntityFeature.SET_POSITION: "set_cover_position",
            CoverEntityFeature.OPEN_TILT: "open_cover_tilt",
            CoverEntityFeature.CLOSE_TILT: "close_cover_tilt",
            CoverEntityFeature.STOP_TILT: "stop_cover_tilt",
            CoverEntityFeature.SET_TILT_POSITION: "set_cover_tilt_position",
        }
        names = {svc for flag, svc in flags.items() if feats & flag}
        if feats & CoverEntityFeature.OPEN and feats & CoverEntityFeature.CLOSE:
            names.add("toggle")
        if feats & CoverEntityFeature.OPEN_TILT and feats & CoverEntityFeature.CLOSE_TILT:
            names.add("toggle_cover_tilt")
    elif domain == "valve":
        vfeats = (
            ValveEntityFeature.OPEN | ValveEntityFeature.CLOSE | ValveEntityFeature.STOP
            if features is None
            else ValveEntityFeature(features & 0xF)
        )
        if features is None and "current_position" in attributes:
            vfeats |= ValveEntityFeature.SET_POSITION
        vflags = {
            ValveEntityFeature.OPEN: "open_valve",
            ValveEntityFeature.CLOSE: "close_valve",
            ValveEntityFeature.STOP: "stop_valve",
            ValveEntityFeature.SET_POSITION: "set_valve_position",
        }
        names = {svc for flag, svc in vflags.items() if vfeats & flag}
        if vfeats & ValveEntityFeature.OPEN and vfeats & ValveEntityFeature.CLOSE:
            names.add("toggle")
    elif domain == "lock":
        names = {"lock", "unlock"}
        if features is not None and features & LockEntityFeature.OPEN:
            names.add("open")
    elif domain == "climate":
        names = {"set_hvac_mode"}
        if _has(features, ClimateEntityFeature.TARGET_TEMPERATURE | ClimateEntityFeature.TARGET_TEMPERATURE_RANGE):
            names.add("set_temperature")
        if _has(features, ClimateEntityFeature.TURN_ON):
            names.add("turn_on")
        if _has(features, ClimateEntityFeature.TURN_OFF):
            names.add("turn_off")
        if {"turn_on", "turn_off"} <= names:
            names.add("toggle")
        if features is not None and features & ClimateEntityFeature.TARGET_HUMIDITY:
            names.add("set_humidity")
        if (features is not None and features & ClimateEntityFeature.FAN_MODE) or "fan_modes" in attributes:
            names.add("set_fan_mode")
        if (features is not None and features & ClimateEntityFeature.PRESET_MODE) or "preset_modes" in attributes:
            names.add("set_preset_mode")
        if (features is not None and features & ClimateEntityFeature.SWING_MODE) or "swing_modes" in attributes:
            names.add("set_swing_mode")
    elif domain == "media_player":
        mp = MediaPlayerEntityFeature
        mflags = {
            mp.TURN_ON: {"turn_on"},
            mp.TURN_OFF: {"turn_off"},
            mp.VOLUME_SET: {"volume_set"},
            mp.VOLUME_STEP: {"volume_up", "volume_down"},
            mp.VOLUME_MUTE: {"volume_mute"},
            mp.PLAY: {"media_play"},
            mp.PAUSE: {"media_pause"},
            mp.STOP: {"media_stop"},
            mp.NEXT_TRACK: {"media_next_track"},
            mp.PREVIOUS_TRACK: {"media_previous_track"},
            mp.SEEK: {"media_seek"},
            mp.PLAY_MEDIA: {"play_media"},
            mp.SELECT_SOURCE: {"select_source"},
            mp.SHUFFLE_SET: {"shuffle_set"},
            mp.REPEAT_SET: {"repeat_set"},
        }
        for mflag, svcs in mflags.items():
            if _has(features, mflag):
                names |= svcs
        if features is not None and features & mp.VOLUME_SET:
            names |= {"volume_up", "volume_down"}  # HA steps the volume with volume_set when there is no step
        if {"media_play", "media_pause"} <= names:
            names.add("media_play_pause")
        if {"turn_on", "turn_off"} <= names:
            names.add("toggle")
    elif domain == "vacuum":
        vc = VacuumEntityFeature
        vcflags = {
            vc.START: {"start"},
            vc.STOP: {"stop"},
            vc.PAUSE: {"pause"},
            vc.RETURN_HOME: {"return_to_base"},
            vc.CLEAN_SPOT: {"clean_spot"},
            vc.LOCATE: {"locate"},
            vc.FAN_SPEED: {"set_fan_speed"},
            vc.SEND_COMMAND: {"send_command"},
        }
        for vcflag, svcs in vcflags.items():
            if features is None:
                if vcflag in (vc.START, vc.STOP, vc.PAUSE, vc.RETURN_HOME):
                    names |= svcs
            elif features & vcflag:
                names |= svcs
    elif domain == "todo":
        names = {"get_items"}
        if _has(features, TodoListEntityFeature.CREATE_TODO_ITEM):
            names.add("add_item")
        if _has(features, TodoListEntityFeature.UPDATE_TODO_ITEM):
            names.add("update_item")
        if _has(features, TodoListEntityFeature.DELETE_TODO_ITEM):
            names |= {"remove_item", "remove_completed_items"}
    elif domain == "alarm_control_panel":
        ap = AlarmControlPanelEntityFeature
        names = {"alarm_disarm"}
        apflags = {
            ap.ARM_HOME: "alarm_arm_home",
            ap.ARM_AWAY: "alarm_arm_away",
            ap.ARM_NIGHT: "alarm_arm_night",
            ap.ARM_VACATION: "alarm_arm_vacation",
            ap.ARM_CUSTOM_BYPASS: "alarm_arm_custom_bypass",
            ap.TRIGGER: "alarm_trigger",
        }
        for apflag, svc in apflags.items():
            if _has(features, apflag):
                names.add(svc)
    else:
        names = set(ALL_SERVICES[domain])
    return frozenset(f"{domain}.{name}" for name in names)


COLOR_NAMES: dict[str, tuple[int, int, int]] = {
    "white": (255, 255, 255),
    "warm white": (255, 214, 170),
    "cool white": (212, 235, 255),
    "black": (0, 0, 0),
    "red": (255, 0, 0),
    "dark red": (139, 0, 0),
    "crimson": (220, 20, 60),
    "green": (0, 128, 0),
    "lime": (0, 255, 0),
    "light green": (144, 238, 144),
    "dark green": (0, 100, 0),
    "blue": (0, 0, 255),
    "light blue": (173, 216, 230),
    "dark blue": (0, 0, 139),
    "navy": (0, 0, 128),
    "sky blue": (135, 206, 235),
    "royal blue": (65, 105, 225),
    "yellow": (255, 255, 0),
    "gold": (255, 215, 0),
    "orange": (255, 165, 0),
    "dark orange": (255, 140, 0),
    "purple": (128, 0, 128),
    "violet": (238, 130, 238),
    "magenta": (255, 0, 255),
    "fuchsia": (255, 0, 255),
    "pink": (255, 192, 203),
    "hot pink": (255, 105, 180),
    "brown": (165, 42, 42),
    "cyan": (0, 255, 255),
    "aqua": (0, 255, 255),
    "turquoise": (64, 224, 208),
    "teal": (0, 128, 128),
    "indigo": (75, 0, 130),
    "lavender": (230, 230, 250),
    "salmon": (250, 128, 114),
    "coral": (255, 127, 80),
    "beige": (245, 245, 220),
    "ivory": (255, 255, 240),
    "silver": (192, 192, 192),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "olive": (128, 128, 0),
    "maroon": (128, 0, 0),
    "tan": (210, 180, 140),
    "chocolate": (210, 105, 30),
    "peach": (255, 218, 185),
    "mint": (189, 252, 201),
    "amber": (255, 191, 0),
}
"""CSS colour names (and a few common spoken ones) accepted as ``color_name``, with their RGB."""
