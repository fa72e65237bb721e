"""MQTT adapter: devices announced with Home Assistant's MQTT discovery, commanded and followed over MQTT.

- Discovery: ``<prefix>/<component>/[<node_id>/]<object_id>/config`` (JSON; abbreviations and ``~`` supported) for
  ``light`` (default and ``json`` schema), ``switch``, ``cover``, ``lock``, ``fan``, ``sensor``, ``binary_sensor``,
  ``climate`` (HVAC modes, target temperature/range, fan/swing/preset modes, humidity, action, current temperature),
  ``valve`` (open/close/stop, position with ``reports_position``) and ``vacuum`` (the ``state`` schema: JSON state
  topic, ``supported_features`` list). Home Assistant has no MQTT ``media_player`` platform, so there is none here.
  An empty config payload removes the entity.
- State: ``state_topic`` and the per-attribute state topics; ``availability_topic``/``availability``.
- Commands: a call succeeds only when the device echoes the expected state within ``command_timeout_s``
  (otherwise ``device-timeout`` or ``device-not-confirmed``). Where Home Assistant is optimistic (no state topic for
  what was changed, or ``optimistic``) success is assumed and said so (``assumed_state: true``). Commands with nothing
  to confirm (vacuum ``locate``/``send_command``, any vacuum command without a state topic, ``stop_valve`` on an
  optimistic valve) are reported as sent (``optimistic``), the state unchanged. Every success not wholly confirmed by
  a state report (assumed, sent, or a climate call only partly reported) has ``optimistic=True``: ``Home`` marks its
  ``Action`` ``assumed`` and the reply says the state cannot be confirmed. Command templates are rendered when
  they only substitute ``{{ value }}`` (and, for valves, ``{{ position }}``...); others give ``device-unsupported``.
- Broker down: every call fails at once with ``device-unavailable``; entities show ``unavailable``; paho reconnects
  with exponential backoff and the adapter resubscribes and announces itself (``<prefix>/status`` = ``online``).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from assistant.messages import ErrorCode, StateChange
from devices.adapters.base import AdapterListener, CallResult, ServiceCall, state_dict
from devices.api import Entity
from devices.features import (
    ClimateEntityFeature,
    CoverEntityFeature,
    FanEntityFeature,
    LockEntityFeature,
    VacuumEntityFeature,
    ValveEntityFeature,
)
from devices.loader import make_entity, slugify
from devices.simulate import apply_service

__all__ = ["COMPONENTS", "MqttAdapter", "MqttSettings", "expand_discovery"]

_LOG = logging.getLogger(__name__)
COMPONENTS = ("light", "switch", "cover", "lock", "fan", "sensor", "binary_sensor", "climate", "valve", "vacuum")
"""Discovery components this adapter understands."""

ABBREVIATIONS = {
    "act_t": "action_topic",
    "act_tpl": "action_template",
    "avty": "availability",
    "avty_mode": "availability_mode",
    "avty_t": "availability_topic",
    "avty_tpl": "availability_template",
    "bri_cmd_t": "brightness_command_topic",
    "bri_scl": "brightness_scale",
    "bri_stat_t": "brightness_state_topic",
    "bri_val_tpl": "brightness_value_template",
    "clr_temp_cmd_t": "color_temp_command_topic",
    "clr_temp_k": "color_temp_kelvin",
    "clr_temp_stat_t": "color_temp_state_topic",
    "clrm": "color_mode",
    "cmd_t": "command_topic",
    "cmd_tpl": "command_template",
    "curr_hum_t": "current_humidity_topic",
    "curr_hum_tpl": "current_humidity_template",
    "curr_temp_t": "current_temperature_topic",
    "curr_temp_tpl": "current_temperature_template",
    "dev": "device",
    "dev_cla": "device_class",
    "dir_cmd_t": "direction_command_topic",
    "dir_stat_t": "direction_state_topic",
    "fan_mode_cmd_t": "fan_mode_command_topic",
    "fan_mode_cmd_tpl": "fan_mode_command_template",
    "fan_mode_stat_t": "fan_mode_state_topic",
    "fan_mode_stat_tpl": "fan_mode_state_template",
    "fanspd_lst": "fan_speed_list",
    "fx_list": "effect_list",
    "hum_cmd_t": "target_humidity_command_topic",
    "hum_cmd_tpl": "target_humidity_command_template",
    "hum_stat_t": "target_humidity_state_topic",
    "hum_state_tpl": "target_humidity_state_template",
    "ic": "icon",
    "json_attr_t": "json_attributes_topic",
    "max_hum": "max_humidity",
    "max_mirs": "max_mireds",
    "min_hum": "min_humidity",
    "min_mirs": "min_mireds",
    "mode_cmd_t": "mode_command_topic",
    "mode_cmd_tpl": "mode_command_template",
    "mode_stat_t": "mode_state_topic",
    "mode_stat_tpl": "mode_state_template",
    "obj_id": "object_id",
    "on_cmd_type": "on_command_type",
    "opt": "optimistic",
    "osc_cmd_t": "oscillation_command_topic",
    "osc_stat_t": "oscillation_state_topic",
    "pct_cmd_t": "percentage_command_topic",
    "pct_stat_t": "percentage_state_topic",
    "pl_avail": "payload_available",
    "pl_cln_sp": "payload_clean_spot",
    "pl_cls": "payload_close",
    "pl_loc": "payload_locate",
    "pl_lock": "payload_lock",
    "pl_not_avail": "payload_not_available",
    "pl_off": "payload_off",
    "pl_on": "payload_on",
    "pl_open": "payload_open",
    "pl_osc_off": "payload_oscillation_off",
    "pl_osc_on": "payload_oscillation_on",
    "pl_paus": "payload_pause",
    "pl_ret": "payload_return_to_base",
    "pl_stop": "payload_stop",
    "pl_strt": "payload_start",
    "pl_unlk": "payload_unlock",
    "pos_clsd": "position_closed",
    "pos_open": "position_open",
    "pos_t": "position_topic",
    "pos_tpl": "position_template",
    "pow_cmd_t": "power_command_topic",
    "pow_cmd_tpl": "power_command_template",
    "pr_mode_cmd_t": "preset_mode_command_topic",
    "pr_mode_cmd_tpl": "preset_mode_command_template",
    "pr_mode_stat_t": "preset_mode_state_topic",
    "pr_mode_val_tpl": "preset_mode_value_template",
    "pr_modes": "preset_modes",
    "ret": "retain",
    "rgb_cmd_t": "rgb_command_topic",
    "rgb_stat_t": "rgb_state_topic",
    "send_cmd_t": "send_command_topic",
    "set_fan_spd_t": "set_fan_speed_topic",
    "set_pos_t": "set_position_topic",
    "set_pos_tpl": "set_position_template",
    "spd_rng_max": "speed_range_max",
    "spd_rng_min": "speed_range_min",
    "stat_cla": "state_class",
    "stat_closing": "state_closing",
    "stat_clsd": "state_closed",
    "stat_jam": "state_jammed",
    "stat_locked": "state_locked",
    "stat_locking": "state_locking",
    "stat_off": "state_off",
    "stat_on": "state_on",
    "stat_open": "state_open",
    "stat_opening": "state_opening",
    "stat_stopped": "state_stopped",
    "stat_t": "state_topic",
    "stat_tpl": "state_value_template",
    "stat_unlocked": "state_unlocked",
    "stat_unlocking": "state_unlocking",
    "stat_val_tpl": "state_value_template",
    "sup_clrm": "supported_color_modes",
    "sup_feat": "supported_features",
    "swing_mode_cmd_t": "swing_mode_command_topic",
    "swing_mode_cmd_tpl": "swing_mode_command_template",
    "swing_mode_stat_t": "swing_mode_state_topic",
    "swing_mode_stat_tpl": "swing_mode_state_template",
    "t": "topic",
    "temp_cmd_t": "temperature_command_topic",
    "temp_cmd_tpl": "temperature_command_template",
    "temp_hi_cmd_t": "temperature_high_command_topic",
    "temp_hi_cmd_tpl": "temperature_high_command_template",
    "temp_hi_stat_t": "temperature_high_state_topic",
    "temp_hi_stat_tpl": "temperature_high_state_template",
    "temp_lo_cmd_t": "temperature_low_command_topic",
    "temp_lo_cmd_tpl": "temperature_low_command_template",
    "temp_lo_stat_t": "temperature_low_state_topic",
    "temp_lo_stat_tpl": "temperature_low_state_template",
    "temp_stat_t": "temperature_state_topic",
    "temp_stat_tpl": "temperature_state_template",
    "temp_unit": "temperature_unit",
    "uniq_id": "unique_id",
    "unit_of_meas": "unit_of_measurement",
    "val_tpl": "value_template",
}
"""Home Assistant's discovery abbreviations (the subset for the supported components)."""
DEVICE_ABBREVIATIONS = {
    "ids": "identifiers",
    "mf": "manufacturer",
    "mdl": "model",
    "sa": "suggested_area",
    "sw": "sw_version",
}


@dataclass(frozen=True, slots=True)
class MqttSettings:
    """Broker connection and behaviour."""

    host: str = "127.0.0.1"
    """Broker host."""
    port: int = 1883
    """Broker port."""
    username: str | None = None
    """Optional user name."""
    password: str | None = None
    """Optional password."""
    discovery_prefix: str = "homeassistant"
    """Home Assistant's discovery prefix."""
    client_id: str | None = None
    """MQTT client id (random when None)."""
    keepalive_s: int = 30
    """Keep-alive interval."""
    command_timeout_s: float = 3.0
    """How long to wait for a device to confirm a command."""
    reconnect_min_s: int = 1
    """First reconnect delay; doubles up to ``reconnect_max_s``."""
    reconnect_max_s: int = 30
    """Longest reconnect delay."""
    qos: int = 1
    """QoS of commands and subscriptions."""
    birth: bool = True
    """Publish ``<prefix>/status`` online/offline so devices re-announce themselves."""


def expand_discovery(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Expand abbreviations and the ``~`` base topic of a discovery payload."""
    base = payload.get("~")
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key == "~":
            continue
        full = ABBREVIATIONS.get(key, key)
        if isinstance(value, str) and isinstance(base, str):
            if value.startswith("~"):
                value = base + value[1:]
            elif value.endswith("~"):
                value = value[:-1] + base
        if full == "device" and isinstance(value, Mapping):
            value = {DEVICE_ABBREVIATIONS.get(k, k): v for k, v in value.items()}
        if full == "availability" and isinstance(value, list):
            value = [expand_discovery({**v, **({"~": base} if base else {})}) for v in value if isinstance(v, Mapping)]
        out[full] = value
    return out


_TPL = re.compile(r"^\{\{\s*value_json((?:\.\w+|\[['\"][^'\"]+['\"]\]|\[\d+\])+)\s*\}\}$")


def _render(template: Any, payload: str) -> str | None:
    """The tiny subset of HA value templates: ``{{ value }}`` and ``{{ value_json.a.b }}``."""
    if not isinstance(template, str) or not template.strip():
        return payload
    tpl = template.strip()
    if re.fullmatch(r"\{\{\s*value\s*\}\}", tpl):
        return payload
    m = _TPL.match(tpl)
    if not m:
        _LOG.warning("Unsupported value template %r: using the raw payload", template)
        return payload
    try:
        value: Any = json.loads(payload)
    except ValueError:
        return None
    for part in re.findall(r"\.(\w+)|\[['\"]([^'\"]+)['\"]\]|\[(\d+)\]", m.group(1)):
        key = part[0] or part[1]
        if key:
            value = value.get(key) if isinstance(value, dict) else None
        else:
            idx = int(part[2])
            value = value[idx] if isinstance(value, list) and idx < len(value) else None
        if value is None:
            return None
    return value if isinstance(value, str) else json.dumps(value)


_CMD_VAR = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _render_command(template: Any, value: Any, variables: Mapping[str, Any] | None = None) -> str:
    """The subset of HA command templates that only substitutes variables: ``{{ value }}``, ``{{ position }}``..."""
    if not isinstance(template, str) or not template.strip():
        return str(value)
    names = {"value": value, **(variables or {})}
    found = _CMD_VAR.findall(template)
    if "{%" in template or template.count("{{") != len(found) or any(n not in names for n in found):
        raise _Unsupported("The device's command template is beyond the supported subset ({{ value }})")
    return _CMD_VAR.sub(lambda m: str(names[m.group(1)]), template)


def _number(value: str | None) -> float | None:
    """A numeric payload as a float, or None."""
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


_STATE_TOPIC_KEYS = (
    "state_topic",
    "position_topic",
    "current_temperature_topic",
    "current_humidity_topic",
    "action_topic",
    "json_attributes_topic",
)
_CLIMATE_MODES = ["auto", "off", "cool", "heat", "dry", "fan_only"]
_CLIMATE_ACTIONS = frozenset({"off", "preheating", "heating", "cooling", "drying", "idle", "fan", "defrosting"})
_CLIMATE_NUMBERS = (
    # (state topic, value template, attribute)
    ("current_temperature_topic", "current_temperature_template", "current_temperature"),
    ("temperature_state_topic", "temperature_state_template", "temperature"),
    ("temperature_low_state_topic", "temperature_low_state_template", "target_temp_low"),
    ("temperature_high_state_topic", "temperature_high_state_template", "target_temp_high"),
    ("current_humidity_topic", "current_humidity_template", "current_humidity"),
    ("target_humidity_state_topic", "target_humidity_state_template", "humidity"),
)
_CLIMATE_LISTED = (
    # (state topic, value template, attribute, list attribute)
    ("fan_mode_state_topic", "fan_mode_state_template", "fan_mode", "fan_modes"),
    ("swing_mode_state_topic", "swing_mode_state_template", "swing_mode", "swing_modes"),
    ("preset_mode_state_topic", "preset_mode_value_template", "preset_mode", "preset_modes"),
)
_CLIMATE_TARGETS = {
    # what a call changes -> (command topic, command template, state topic)
    "state": ("mode_command_topic", "mode_command_template", "mode_state_topic"),
    "temperature": ("temperature_command_topic", "temperature_command_template", "temperature_state_topic"),
    "target_temp_low": (
        "temperature_low_command_topic",
        "temperature_low_command_template",
        "temperature_low_state_topic",
    ),
    "target_temp_high": (
        "temperature_high_command_topic",
        "temperature_high_command_template",
        "temperature_high_state_topic",
    ),
    "fan_mode": ("fan_mode_command_topic", "fan_mode_command_template", "fan_mode_state_topic"),
    "swing_mode": ("swing_mode_command_topic", "swing_mode_command_template", "swing_mode_state_topic"),
    "preset_mode": ("preset_mode_command_topic", "preset_mode_command_template", "preset_mode_state_topic"),
    "humidity": (
        "target_humidity_command_topic",
        "target_humidity_command_template",
        "target_humidity_state_topic",
    ),
}
_VACUUM_STATES = frozenset({"cleaning", "docked", "idle", "paused", "returning", "error"})
_VACUUM_FEATURES = {
    "start": VacuumEntityFeature.START,
    "pause": VacuumEntityFeature.PAUSE,
    "stop": VacuumEntityFeature.STOP,
    "return_home": VacuumEntityFeature.RETURN_HOME,
    "fan_speed": VacuumEntityFeature.FAN_SPEED,
    "battery": VacuumEntityFeature.BATTERY,
    "status": VacuumEntityFeature.STATUS,
    "send_command": VacuumEntityFeature.SEND_COMMAND,
    "locate": VacuumEntityFeature.LOCATE,
    "clean_spot": VacuumEntityFeature.CLEAN_SPOT,
}
_VACUUM_DEFAULT_FEATURES = ("start", "stop", "return_home", "battery", "clean_spot")
_VACUUM_COMMANDS = {
    # service -> (feature, payload key, default payload)
    "start": (VacuumEntityFeature.START, "payload_start", "start"),
    "pause": (VacuumEntityFeature.PAUSE, "payload_pause", "pause"),
    "stop": (VacuumEntityFeature.STOP, "payload_stop", "stop"),
    "return_to_base": (VacuumEntityFeature.RETURN_HOME, "payload_return_to_base", "return_to_base"),
    "clean_spot": (VacuumEntityFeature.CLEAN_SPOT, "payload_clean_spot", "clean_spot"),
    "locate": (VacuumEntityFeature.LOCATE, "payload_locate", "locate"),
}
_VACUUM_EXPECT = {
    "start": ("cleaning",),
    "clean_spot": ("cleaning",),
    "pause": ("paused",),
    "stop": ("idle", "docked"),
    "return_to_base": ("returning", "docked"),
}


@dataclass
class _Device:
    """One discovered entity and what the adapter knows about it (mutable; guarded by the adapter lock)."""

    component: str
    object_id: str
    config: dict[str, Any]
    entity: Entity
    last_state: str
    attributes: dict[str, Any]
    availability: dict[str, bool] = field(default_factory=dict)
    last_on_mode: str | None = None
    """Climate: the last HVAC mode other than off (what ``turn_on`` restores)."""

    @property
    def entity_id(self) -> str:
        return self.entity.entity_id

    def cfg(self, key: str, default: Any = None) -> Any:
        value = self.config.get(key)
        return default if value is None else value

    def availability_topics(self) -> list[dict[str, Any]]:
        topics: list[dict[str, Any]] = []
        if isinstance(self.config.get("availability_topic"), str):
            topics.append(
                {
                    "topic": self.config["availability_topic"],
                    "payload_available": self.cfg("payload_available", "online"),
                    "payload_not_available": self.cfg("payload_not_available", "offline"),
                }
            )
        for item in self.config.get("availability") or []:
            if isinstance(item, Mapping) and isinstance(item.get("topic"), str):
                topics.append(
                    {
                        "topic": item["topic"],
                        "payload_available": item.get("payload_available") or "online",
                        "payload_not_available": item.get("payload_not_available") or "offline",
                    }
                )
        return topics

    def is_available(self) -> bool:
        topics = self.availability_topics()
        if not topics:
            return True
        mode = self.cfg("availability_mode", "latest")
        values = [self.availability.get(t["topic"]) for t in topics]
        if mode == "all":
            return all(v is True for v in values)
        if mode == "any":
            return any(v is True for v in values)
        return self.availability.get("__latest__", False)

    @property
    def json_schema(self) -> bool:
        return self.component == "light" and self.cfg("schema", "default") == "json"

    def state_topics(self) -> list[str]:
        keys = [k for k in self.config if k.endswith("_state_topic") or k in _STATE_TOPIC_KEYS]
        topics = [self.config[k] for k in keys if isinstance(self.config.get(k), str)]
        return list(dict.fromkeys(topics))

    def optimistic(self) -> bool:
        if self.cfg("optimistic", False):
            return True
        if self.component == "cover":
            return not (self.config.get("state_topic") or self.config.get("position_topic"))
        return not self.config.get("state_topic")


def _features_and_attrs(component: str, cfg: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key in ("device_class", "unit_of_measurement", "state_class", "icon"):
        if cfg.get(key) is not None:
            attrs[key] = cfg[key]
    if component == "light":
        modes = cfg.get("supported_color_modes")
        if not isinstance(modes, list) or not modes:
            if cfg.get("schema") == "json":
                modes = ["brightness"] if cfg.get("brightness") else ["onoff"]
            else:
                modes = []
                if cfg.get("rgb_command_topic"):
                    modes.append("rgb")
                if cfg.get("color_temp_command_topic"):
                    modes.append("color_temp")
                if not modes:
                    modes = ["brightness"] if cfg.get("brightness_command_topic") else ["onoff"]
        attrs["supported_color_modes"] = [str(m) for m in modes]
        if cfg.get("effect_list"):
            attrs["effect_list"] = list(cfg["effect_list"])
            attrs["supported_features"] = 4
        else:
            attrs["supported_features"] = 0
    elif component == "cover":
        feats = 0
        if cfg.get("command_topic"):
            feats |= CoverEntityFeature.OPEN | CoverEntityFeature.CLOSE
            if "payload_stop" not in cfg or cfg.get("payload_stop") is not None:
                feats |= CoverEntityFeature.STOP
        if cfg.get("set_position_topic"):
            feats |= CoverEntityFeature.SET_POSITION
        attrs["supported_features"] = int(feats)
    elif component == "fan":
        feats = FanEntityFeature.TURN_ON | FanEntityFeature.TURN_OFF
        if cfg.get("percentage_command_topic"):
            feats |= FanEntityFeature.SET_SPEED
        if cfg.get("oscillation_command_topic"):
            feats |= FanEntityFeature.OSCILLATE
        if cfg.get("direction_command_topic"):
            feats |= FanEntityFeature.DIRECTION
        if cfg.get("preset_mode_command_topic"):
            feats |= FanEntityFeature.PRESET_MODE
            attrs["preset_modes"] = list(cfg.get("preset_modes") or [])
        attrs["supported_features"] = int(feats)
    elif component == "lock":
        attrs["supported_features"] = int(LockEntityFeature.OPEN) if cfg.get("payload_open") else 0
    elif component == "climate":
        attrs.update(_climate_attrs(cfg))
    elif component == "valve":
        attrs["supported_features"] = int(_valve_features(cfg))
    elif component == "vacuum":
        vfeats = _vacuum_features(cfg)
        attrs["supported_features"] = int(vfeats)
        if vfeats & VacuumEntityFeature.FAN_SPEED:
            attrs["fan_speed_list"] = [str(s) for s in cfg.get("fan_speed_list") or []]
    return attrs


def _initial_state(component: str, cfg: Mapping[str, Any]) -> str:
    """A new entity's state before the device reports one (HA: a climate without a mode state topic is off)."""
    if component == "climate" and not cfg.get("mode_state_topic"):
        return "off"
    return "unknown"


def _climate_attrs(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Capabilities of an MQTT climate entity, derived as Home Assistant derives them from the topics."""
    modes = cfg.get("modes")
    hvac_modes = [str(m) for m in modes] if isinstance(modes, list) and modes else list(_CLIMATE_MODES)
    unit = str(cfg.get("temperature_unit") or "").upper()
    fahrenheit = unit.startswith("F") or unit == "°F"
    attrs: dict[str, Any] = {
        "hvac_modes": hvac_modes,
        "min_temp": float(cfg.get("min_temp", 45 if fahrenheit else 7)),
        "max_temp": float(cfg.get("max_temp", 95 if fahrenheit else 35)),
        "target_temp_step": float(cfg.get("temp_step", 1.0)),
    }
    if unit:
        attrs["temperature_unit"] = "°F" if fahrenheit else "°C"
    feats = ClimateEntityFeature(0)
    if cfg.get("temperature_state_topic") or cfg.get("temperature_command_topic"):
        feats |= ClimateEntityFeature.TARGET_TEMPERATURE
    if any(cfg.get(f"temperature_{e}_{k}_topic") for e in ("low", "high") for k in ("state", "command")):
        feats |= ClimateEntityFeature.TARGET_TEMPERATURE_RANGE
    if cfg.get("target_humidity_command_topic"):
        feats |= ClimateEntityFeature.TARGET_HUMIDITY
        attrs["min_humidity"] = float(cfg.get("min_humidity", 30))
        attrs["max_humidity"] = float(cfg.get("max_humidity", 99))
    if cfg.get("fan_mode_state_topic") or cfg.get("fan_mode_command_topic"):
        feats |= ClimateEntityFeature.FAN_MODE
        attrs["fan_modes"] = [str(m) for m in cfg.get("fan_modes") or ["auto", "low", "medium", "high"]]
    if cfg.get("swing_mode_state_topic") or cfg.get("swing_mode_command_topic"):
        feats |= ClimateEntityFeature.SWING_MODE
        attrs["swing_modes"] = [str(m) for m in cfg.get("swing_modes") or ["on", "off"]]
    if cfg.get("preset_mode_command_topic") and cfg.get("preset_modes"):
        feats |= ClimateEntityFeature.PRESET_MODE
        attrs["preset_modes"] = ["none", *(str(m) for m in cfg["preset_modes"])]
    on_modes = [m for m in hvac_modes if m != "off"]
    if cfg.get("power_command_topic") or (cfg.get("mode_command_topic") and "off" in hvac_modes and on_modes):
        feats |= ClimateEntityFeature.TURN_ON | ClimateEntityFeature.TURN_OFF
    attrs["supported_features"] = int(feats)
    return attrs


def _valve_features(cfg: Mapping[str, Any]) -> ValveEntityFeature:
    """Open/close when there is a command topic (and the payload is not null), position with reports_position."""
    feats = ValveEntityFeature(0)
    if not cfg.get("command_topic"):
        return feats
    positional = bool(cfg.get("reports_position"))
    if positional or "payload_open" not in cfg or cfg["payload_open"] is not None:
        feats |= ValveEntityFeature.OPEN
    if positional or "payload_close" not in cfg or cfg["payload_close"] is not None:
        feats |= ValveEntityFeature.CLOSE
    if positional:
        feats |= ValveEntityFeature.SET_POSITION
    if cfg.get("payload_stop") is not None:
        feats |= ValveEntityFeature.STOP
    return feats


def _vacuum_features(cfg: Mapping[str, Any]) -> VacuumEntityFeature:
    """The ``supported_features`` list, less the commands the device announced no topic for."""
    names = cfg.get("supported_features")
    listed = [str(n) for n in names] if isinstance(names, list) else list(_VACUUM_DEFAULT_FEATURES)
    feats = VacuumEntityFeature.STATE
    commands = {spec[0] for spec in _VACUUM_COMMANDS.values()}
    for name in listed:
        flag = _VACUUM_FEATURES.get(name)
        if flag is None:
            _LOG.warning("Unknown vacuum feature %r in an MQTT discovery payload", name)
            continue
        if flag in commands and not cfg.get("command_topic"):
            continue
        if flag == VacuumEntityFeature.FAN_SPEED and not cfg.get("set_fan_speed_topic"):
            continue
        if flag == VacuumEntityFeature.SEND_COMMAND and not cfg.get("send_command_topic"):
            continue
        feats |= flag
    return feats


@dataclass
class _Waiter:
    entity_id: str
    predicate: Callable[[str, Mapping[str, Any]], bool]
    event: threading.Event = field(default_factory=threading.Event)
    saw_update: bool = False


@dataclass(frozen=True)
class _Plan:
    """What a call publishes and how its outcome is known."""

    messages: list[tuple[str, str]]
    """(topic, payload) to publish, in order."""
    mode: str
    """'wait' for the device to confirm, 'assume' success (HA is optimistic), or 'sent' (nothing can confirm it)."""
    predicate: Callable[[str, Mapping[str, Any]], bool]
    """True when the reported (state, attributes) show the command took effect."""
    service: str
    """The service as carried out (e.g. climate.turn_off sent as set_hvac_mode), for the optimistic model."""
    data: Mapping[str, Any]
    """Its data."""
    assumed: dict[str, Any] = field(default_factory=dict)
    """Changes applied on confirmation without being reported ('state' or attributes)."""
    unreported: bool = False
    """True when part of what the call changes has no state topic: a confirmation covers only the rest."""


class MqttAdapter:
    """Home Assistant MQTT discovery devices on one broker."""

    name = "mqtt"

    def __init__(self, settings: MqttSettings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._devices: dict[str, _Device] = {}
        self._by_config_topic: dict[str, str] = {}
        self._topic_index: dict[str, set[str]] = {}
        self._subscribed: set[str] = set()
        self._waiters: list[_Waiter] = []
        self._listener: AdapterListener | None = None
        self._connected = threading.Event()
        self._started = False
        prefix = settings.discovery_prefix.rstrip("/")
        self._status_topic = f"{prefix}/status"
        self._discovery_topics = (f"{prefix}/+/+/config", f"{prefix}/+/+/+/config")
        client_id = settings.client_id or f"assistant-{uuid.uuid4().hex[:8]}"
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        if settings.username:
            self._client.username_pw_set(settings.username, settings.password)
        if settings.birth:
            self._client.will_set(self._status_topic, "offline", qos=1, retain=False)
        self._client.reconnect_delay_set(min_delay=settings.reconnect_min_s, max_delay=settings.reconnect_max_s)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    # ---- lifecycle ------------------------------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """True while connected to the broker."""
        return self._connected.is_set() and self._client.is_connected()

    def start(self, listener: AdapterListener) -> None:
        """Connect in the background (the broker may be down: paho keeps retrying with backoff)."""
        self._listener = listener
        if self._started:
            return
        self._started = True
        self._client.connect_async(self.settings.host, self.settings.port, keepalive=self.settings.keepalive_s)
        self._client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected (True) or the timeout passes (False)."""
        return self._connected.wait(timeout)

    def stop(self) -> None:
        """Say goodbye and disconnect."""
        if not self._started:
            return
        self._started = False
        try:
            if self.available and self.settings.birth:
                self._client.publish(self._status_topic, "offline", qos=0).wait_for_publish(1.0)
        except Exception:  # disconnecting anyway
            pass
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()
        self._listener = None

    # ---- paho callbacks (network thread) --------------------------------------------------------------------------

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if getattr(reason_code, "is_failure", False):
            _LOG.warning("MQTT broker refused the connection: %s", reason_code)
            return
        _LOG.info("Connected to MQTT broker %s:%s", self.settings.host, self.settings.port)
        with self._lock:
            topics = set(self._discovery_topics)
            for dev in self._devices.values():
                topics.update(dev.state_topics())
                topics.update(t["topic"] for t in dev.availability_topics())
            self._subscribed = set(topics)
        for topic in sorted(topics):
            client.subscribe(topic, qos=self.settings.qos)
        if self.settings.birth:
            client.publish(self._status_topic, "online", qos=1)
        self._connected.set()
        self._restore_all()

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        if was:
            _LOG.warning("Lost the MQTT broker (%s); reconnecting with backoff", reason_code)
        with self._lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            waiter.event.set()  # wake callers: they see the broker is gone
        self._mark_all_unavailable()

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        try:
            payload = message.payload.decode("utf-8", errors="replace")
            topic = message.topic
            if topic.endswith("/config") and topic.startswith(self.settings.discovery_prefix.rstrip("/") + "/"):
                self._on_discovery(topic, payload)
                return
            with self._lock:
                ids = list(self._topic_index.get(topic, ()))
            for entity_id in ids:
                self._on_device_message(entity_id, topic, payload)
        except Exception:  # never kill paho's thread
            _LOG.exception("Bad MQTT message on %s", message.topic)

    # ---- discovery ------------------------------------------------------------------------------------------------

    def _on_discovery(self, topic: str, payload: str) -> None:
        parts = topic[len(self.settings.discovery_prefix.rstrip("/")) + 1 :].split("/")
        if len(parts) not in (3, 4):
            return
        component, object_id = parts[0], parts[-2]
        if component not in COMPONENTS:
            return
        if not payload.strip():
            with self._lock:
                entity_id = self._by_config_topic.pop(topic, None)
                removed = self._devices.pop(entity_id, None) if entity_id else None
                self._reindex()
            if removed:
                _LOG.info("MQTT entity %s removed", removed.entity_id)
                self._entities_changed()
            return
        try:
            raw = json.loads(payload)
        except ValueError:
            _LOG.warning("Discovery payload on %s is not JSON", topic)
            return
        if not isinstance(raw, dict):
            return
        cfg = expand_discovery(raw)
        raw_device = cfg.get("device")
        device_info: Mapping[str, Any] = raw_device if isinstance(raw_device, Mapping) else {}
        obj = slugify(str(cfg.get("object_id") or object_id))
        entity_id = f"{component}.{obj}"
        name = cfg.get("name") or device_info.get("name") or obj.replace("_", " ").title()
        area = device_info.get("suggested_area")
        attrs = _features_and_attrs(component, cfg)
        device_id = None
        ids = device_info.get("identifiers")
        if isinstance(ids, list) and ids:
            device_id = slugify(str(ids[0]))
        elif isinstance(ids, str):
            device_id = slugify(ids)
        with self._lock:
            previous = self._devices.get(entity_id)
            state = previous.last_state if previous else _initial_state(component, cfg)
            if previous:
                attrs = {**previous.attributes, **attrs}
            entity = make_entity(
                entity_id,
                str(name),
                state=state,
                attributes=attrs,
                area_id=slugify(str(area)) if area else None,
                device_id=device_id,
            )
            dev = _Device(component, obj, cfg, entity, state, dict(entity.attributes))
            if previous:
                dev.availability = previous.availability
                dev.last_on_mode = previous.last_on_mode
            self._devices[entity_id] = dev
            self._by_config_topic[topic] = entity_id
            self._reindex()
            new_topics = [t for t in self._topic_index if t not in self._subscribed]
            self._subscribed.update(new_topics)
        if self.available:
            for t in new_topics:
                self._client.subscribe(t, qos=self.settings.qos)
        _LOG.info("MQTT discovered %s (%s)", entity_id, name)
        self._publish_entity(entity_id, previous_state=None)
        self._entities_changed()

    def _reindex(self) -> None:
        index: dict[str, set[str]] = {}
        for dev in self._devices.values():
            for topic in dev.state_topics() + [t["topic"] for t in dev.availability_topics()]:
                index.setdefault(topic, set()).add(dev.entity_id)
        self._topic_index = index

    def _entities_changed(self) -> None:
        listener = self._listener
        if listener is not None:
            listener.on_entities()

    # ---- state ----------------------------------------------------------------------------------------------------

    def _visible(self, dev: _Device) -> tuple[str, dict[str, Any]]:
        if not self.available or not dev.is_available():
            return "unavailable", dict(dev.attributes)
        return dev.last_state, dict(dev.attributes)

    def _publish_entity(self, entity_id: str, previous_state: tuple[str, dict[str, Any]] | None) -> None:
        with self._lock:
            dev = self._devices.get(entity_id)
            if dev is None:
                return
            state, attrs = self._visible(dev)
            old_entity = dev.entity
            dev.entity = Entity(
                entity_id=old_entity.entity_id,
                name=old_entity.name,
                state=state,
                attributes=attrs,
                aliases=old_entity.aliases,
                area_id=old_entity.area_id,
                device_id=old_entity.device_id,
                device_class=old_entity.device_class,
                services=old_entity.services,
            )
            for waiter in self._waiters:
                if waiter.entity_id == entity_id and previous_state is not None:
                    waiter.saw_update = True
                    if state != "unavailable" and waiter.predicate(state, attrs):
                        waiter.event.set()
        if previous_state is not None and previous_state != (state, attrs):
            listener = self._listener
            if listener is not None:
                listener.on_state(
                    StateChange(entity_id, state_dict(*previous_state), state_dict(state, attrs), source="mqtt")
                )

    def _mark_all_unavailable(self) -> None:
        with self._lock:
            ids = list(self._devices)
        for entity_id in ids:
            with self._lock:
                dev = self._devices.get(entity_id)
                if dev is None:
                    continue
                before = (dev.entity.state, dict(dev.entity.attributes))
            self._publish_entity(entity_id, before)

    def _restore_all(self) -> None:
        self._mark_all_unavailable()  # same mechanics: re-evaluate visibility now that we are connected

    def _on_device_message(self, entity_id: str, topic: str, payload: str) -> None:
        with self._lock:
            dev = self._devices.get(entity_id)
            if dev is None:
                return
            before = (dev.entity.state, dict(dev.entity.attributes))
            for av in dev.availability_topics():
                if av["topic"] == topic:
                    if payload == av["payload_available"]:
                        dev.availability[topic] = True
                        dev.availability["__latest__"] = True
                    elif payload == av["payload_not_available"]:
                        dev.availability[topic] = False
                        dev.availability["__latest__"] = False
            if topic in dev.state_topics():
                self._apply_state(dev, topic, payload)
        self._publish_entity(entity_id, before)

    def _apply_state(self, dev: _Device, topic: str, payload: str) -> None:
        cfg = dev.config
        attrs = dev.attributes
        if topic == cfg.get("json_attributes_topic"):
            try:
                extra = json.loads(payload)
            except ValueError:
                return
            if isinstance(extra, dict):
                attrs.update(extra)
            return
        if dev.component in ("climate", "valve", "vacuum"):
            {"climate": self._apply_climate, "valve": self._apply_valve, "vacuum": self._apply_vacuum}[dev.component](
                dev, topic, payload
            )
            return
        if dev.json_schema and topic == cfg.get("state_topic"):
            self._apply_json_light(dev, payload)
            return
        if topic == cfg.get("state_topic"):
            value = _render(cfg.get("state_value_template") or cfg.get("value_template"), payload)
            if value is None:
                return
            dev.last_state = self._map_state(dev, value)
            if dev.component == "light" and dev.last_state == "off":
                attrs["brightness"] = None
        if topic == cfg.get("brightness_state_topic"):
            value = _render(cfg.get("brightness_value_template"), payload)
            scale = float(dev.cfg("brightness_scale", 255))
            if value is not None and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
                attrs["brightness"] = round(float(value) * 255 / scale)
        if topic == cfg.get("rgb_state_topic"):
            parts = payload.split(",")
            if len(parts) == 3 and all(p.strip().isdigit() for p in parts):
                attrs["rgb_color"] = [int(p) for p in parts]
                attrs["color_mode"] = "rgb"
        if topic == cfg.get("color_temp_state_topic") and payload.strip().isdigit():
            value_num = int(payload.strip())
            attrs["color_temp_kelvin"] = value_num if dev.cfg("color_temp_kelvin", False) else round(1e6 / value_num)
            attrs["color_mode"] = "color_temp"
        if topic == cfg.get("position_topic"):
            value = _render(cfg.get("position_template"), payload)
            if value is not None and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
                lo, hi = float(dev.cfg("position_closed", 0)), float(dev.cfg("position_open", 100))
                pos = round((float(value) - lo) * 100 / (hi - lo)) if hi != lo else 0
                attrs["current_position"] = max(0, min(100, pos))
                if not cfg.get("state_topic"):
                    dev.last_state = "closed" if attrs["current_position"] == 0 else "open"
        if topic == cfg.get("percentage_state_topic"):
            value = _render(cfg.get("percentage_value_template"), payload)
            if value is not None and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
                lo, hi = float(dev.cfg("speed_range_min", 1)), float(dev.cfg("speed_range_max", 100))
                raw = float(value)
                attrs["percentage"] = 0 if raw <= 0 else round((raw - lo + 1) * 100 / (hi - lo + 1))
        if topic == cfg.get("oscillation_state_topic"):
            attrs["oscillating"] = payload == dev.cfg("payload_oscillation_on", "oscillate_on")
        if topic == cfg.get("direction_state_topic"):
            attrs["direction"] = payload
        if topic == cfg.get("preset_mode_state_topic"):
            attrs["preset_mode"] = payload

    def _map_state(self, dev: _Device, value: str) -> str:
        if dev.component in ("switch", "fan", "light", "binary_sensor"):
            if value in (dev.cfg("state_on"), dev.cfg("payload_on", "ON")):
                return "on"
            if value in (dev.cfg("state_off"), dev.cfg("payload_off", "OFF")):
                return "off"
            return "unknown" if value in ("None", "") else value.lower()
        if dev.component == "cover":
            table = {
                dev.cfg("state_open", "open"): "open",
                dev.cfg("state_opening", "opening"): "opening",
                dev.cfg("state_closed", "closed"): "closed",
                dev.cfg("state_closing", "closing"): "closing",
            }
            if value == dev.cfg("state_stopped", "stopped"):
                return "closed" if dev.attributes.get("current_position") == 0 else "open"
            return table.get(value, "unknown")
        if dev.component == "lock":
            table = {
                dev.cfg("state_locked", "LOCKED"): "locked",
                dev.cfg("state_unlocked", "UNLOCKED"): "unlocked",
                dev.cfg("state_locking", "LOCKING"): "locking",
                dev.cfg("state_unlocking", "UNLOCKING"): "unlocking",
                dev.cfg("state_jammed", "JAMMED"): "jammed",
                dev.cfg("state_open", "OPEN"): "open",
                dev.cfg("state_opening", "OPENING"): "opening",
            }
            return table.get(value, "unknown")
        return value

    def _apply_json_light(self, dev: _Device, payload: str) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        attrs = dev.attributes
        if data.get("state") in ("ON", "OFF"):
            dev.last_state = "on" if data["state"] == "ON" else "off"
        scale = float(dev.cfg("brightness_scale", 255))
        if isinstance(data.get("brightness"), int | float):
            attrs["brightness"] = round(float(data["brightness"]) * 255 / scale)
        if dev.last_state == "off":
            attrs["brightness"] = None
        color = data.get("color")
        if isinstance(color, dict) and all(k in color for k in ("r", "g", "b")):
            attrs["rgb_color"] = [int(color["r"]), int(color["g"]), int(color["b"])]
        if isinstance(data.get("color_temp"), int | float) and data["color_temp"]:
            ct = float(data["color_temp"])
            attrs["color_temp_kelvin"] = round(ct) if dev.cfg("color_temp_kelvin", False) else round(1e6 / ct)
        if isinstance(data.get("color_mode"), str):
            attrs["color_mode"] = data["color_mode"]
        if isinstance(data.get("effect"), str):
            attrs["effect"] = data["effect"]

    @staticmethod
    def _apply_climate(dev: _Device, topic: str, payload: str) -> None:
        cfg, attrs = dev.config, dev.attributes
        default_tpl = cfg.get("value_template")

        def value(template_key: str) -> str | None:
            return _render(cfg.get(template_key) or default_tpl, payload)

        if topic == cfg.get("mode_state_topic"):
            mode = value("mode_state_template")
            if mode in attrs.get("hvac_modes", ()):
                dev.last_state = str(mode)
                if mode != "off":
                    dev.last_on_mode = str(mode)
            elif mode in ("None", ""):
                dev.last_state = "unknown"
            else:
                _LOG.warning("%s reported HVAC mode %r, not one of its modes", dev.entity_id, mode)
        for topic_key, template_key, attr in _CLIMATE_NUMBERS:
            if topic == cfg.get(topic_key):
                number = _number(value(template_key))
                if number is not None:
                    attrs[attr] = number
        for topic_key, template_key, attr, options in _CLIMATE_LISTED:
            if topic == cfg.get(topic_key):
                choice = value(template_key)
                if attr == "preset_mode" and choice == "None":
                    choice = "none"
                if choice is not None and choice in attrs.get(options, ()):
                    attrs[attr] = choice
        if topic == cfg.get("action_topic"):
            action = value("action_template")
            if action in _CLIMATE_ACTIONS:
                attrs["hvac_action"] = action
            elif action == "None":
                attrs["hvac_action"] = None

    @staticmethod
    def _apply_valve(dev: _Device, topic: str, payload: str) -> None:
        cfg, attrs = dev.config, dev.attributes
        if topic != cfg.get("state_topic"):
            return
        value = _render(cfg.get("value_template"), payload)
        if not value:
            return
        positional = bool(cfg.get("reports_position"))
        state_value: Any = value
        position_value: Any = value
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if isinstance(data, dict):
            if ("position" if positional else "state") not in data:
                _LOG.warning("%s: JSON valve state without %s", dev.entity_id, "position" if positional else "state")
                return
            state_value, position_value = data.get("state"), data.get("position")
        moving = {dev.cfg("state_opening", "opening"): "opening", dev.cfg("state_closing", "closing"): "closing"}
        motion = moving.get(state_value) if isinstance(state_value, str) else None
        if not positional:
            table = {dev.cfg("state_open", "open"): "open", dev.cfg("state_closed", "closed"): "closed", **moving}
            if state_value == "None":
                dev.last_state = "unknown"
            elif isinstance(state_value, str) and state_value in table:
                dev.last_state = table[state_value]
            return
        if state_value == "None":
            attrs["current_position"] = None
            return
        pct: int | None = None
        if motion is None or position_value != state_value:
            number = _number(str(position_value)) if position_value is not None else None
            if number is not None:
                lo, hi = float(dev.cfg("position_closed", 0)), float(dev.cfg("position_open", 100))
                pct = max(0, min(100, round((number - lo) * 100 / (hi - lo)))) if hi != lo else 0
                attrs["current_position"] = pct
            elif motion is None:
                return
        if motion is not None:
            dev.last_state = motion
        elif pct is not None and (pct in (0, 100) or dev.last_state not in ("opening", "closing")):
            dev.last_state = "closed" if pct == 0 else "open"

    @staticmethod
    def _apply_vacuum(dev: _Device, topic: str, payload: str) -> None:
        if topic != dev.config.get("state_topic"):
            return
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        if "state" in data:
            if data["state"] in _VACUUM_STATES:
                dev.last_state = str(data["state"])
            elif data["state"] is None:
                dev.last_state = "unknown"
        battery = data.get("battery_level")
        if isinstance(battery, int | float) and not isinstance(battery, bool):
            dev.attributes["battery_level"] = int(max(0, min(100, battery)))
        if isinstance(data.get("fan_speed"), str):
            dev.attributes["fan_speed"] = data["fan_speed"]

    # ---- commands -------------------------------------------------------------------------------------------------

    def entities(self) -> list[Entity]:
        """Discovered entities with their current state."""
        with self._lock:
            return [dev.entity for dev in self._devices.values()]

    def execute(self, call: ServiceCall) -> list[CallResult]:
        """Publish the commands and wait for each device to confirm."""
        return [self._execute_one(call, entity_id) for entity_id in call.entity_ids]

    def _execute_one(self, call: ServiceCall, entity_id: str) -> CallResult:
        if not self.available:
            return CallResult(entity_id, False, ErrorCode.DEVICE_UNAVAILABLE, "The MQTT broker is not connected")
        with self._lock:
            dev = self._devices.get(entity_id)
            if dev is None:
                return CallResult(entity_id, False, ErrorCode.DEVICE_UNKNOWN, "Not discovered on MQTT")
            if not dev.is_available():
                return CallResult(entity_id, False, ErrorCode.DEVICE_UNAVAILABLE, f"{dev.entity.name} is offline")
            state, attrs = dev.last_state, dict(dev.attributes)
            try:
                plan = self._plan(dev, call, state)
            except _Unsupported as exc:
                return CallResult(entity_id, False, ErrorCode.DEVICE_UNSUPPORTED, str(exc))
            waiter = _Waiter(entity_id, plan.predicate)
            if plan.mode == "wait":
                self._waiters.append(waiter)
        try:
            for topic, payload in plan.messages:
                info = self._client.publish(
                    topic, payload, qos=self.settings.qos, retain=bool(dev.cfg("retain", False))
                )
                if info.rc != paho.MQTT_ERR_SUCCESS:
                    return CallResult(entity_id, False, ErrorCode.DEVICE_UNAVAILABLE, "The command could not be sent")
            if plan.mode == "assume":
                return self._assume(dev, plan.service, plan.data, state, attrs)
            if plan.mode == "sent":
                return CallResult(
                    entity_id,
                    True,
                    message="Sent; the device reports nothing to confirm this command by",
                    new_state=state_dict(state, attrs),
                    optimistic=True,
                )
            confirmed = waiter.event.wait(self.settings.command_timeout_s)
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        if not self.available:
            return CallResult(entity_id, False, ErrorCode.DEVICE_UNAVAILABLE, "The MQTT broker went away")
        with self._lock:
            dev = self._devices.get(entity_id, dev)  # a re-announcement replaces the record
            new_state, new_attrs = self._visible(dev)
        if confirmed and plan.predicate(new_state, new_attrs):
            if plan.unreported:
                return CallResult(
                    entity_id,
                    True,
                    message="Partly confirmed; the device does not report all of what was changed",
                    new_state=state_dict(new_state, new_attrs),
                    optimistic=True,
                )
            if plan.assumed:  # parts HA sets optimistically because the device reports no state for them
                with self._lock:
                    before = (dev.entity.state, dict(dev.entity.attributes))
                    for key, value in plan.assumed.items():
                        if key == "state":
                            dev.last_state = str(value)
                        else:
                            dev.attributes[key] = value
                self._publish_entity(entity_id, before)
                with self._lock:
                    new_state, new_attrs = self._visible(dev)
                return CallResult(
                    entity_id,
                    True,
                    message="Partly confirmed; the device reports no state for the rest, so that part is assumed",
                    new_state=state_dict(new_state, new_attrs),
                    optimistic=True,
                )
            return CallResult(entity_id, True, new_state=state_dict(new_state, new_attrs))
        if waiter.saw_update:
            return CallResult(
                entity_id,
                False,
                ErrorCode.DEVICE_NOT_CONFIRMED,
                f"{dev.entity.name} reported a different state",
                new_state=state_dict(new_state, new_attrs),
            )
        return CallResult(entity_id, False, ErrorCode.DEVICE_TIMEOUT, f"{dev.entity.name} did not confirm in time")

    def _assume(
        self, dev: _Device, service: str, data: Mapping[str, Any], state: str, attrs: dict[str, Any]
    ) -> CallResult:
        outcome = apply_service(dev.component, state, attrs, service, data)
        with self._lock:
            dev = self._devices.get(dev.entity_id, dev)
            before = (dev.entity.state, dict(dev.entity.attributes))
            dev.last_state = outcome.state
            dev.attributes = {**outcome.attributes, "assumed_state": True}
        self._publish_entity(dev.entity_id, before)
        return CallResult(
            dev.entity_id,
            True,
            message="Sent; the device reports no state, so success is assumed",
            new_state=state_dict(outcome.state, {**outcome.attributes, "assumed_state": True}),
            optimistic=True,
        )

    def _plan(self, dev: _Device, call: ServiceCall, state: str) -> _Plan:
        if dev.component == "climate":
            return self._climate_plan(dev, call, state)
        if dev.component == "valve":
            return self._valve_plan(dev, call, state)
        if dev.component == "vacuum":
            return self._vacuum_plan(dev, call)
        messages = self._commands(dev, call, state)
        mode = "assume" if dev.optimistic() else "wait"
        predicate = self._predicate(dev, call, state)
        return _Plan(messages, mode, predicate, call.name, call.data, unreported=self._unreported(dev, call))

    @staticmethod
    def _unreported(dev: _Device, call: ServiceCall) -> bool:
        """Whether the call sets something the echo cannot show (no state topic for it, or not checked)."""
        cfg, data, name = dev.config, call.data, call.name
        if dev.component == "light" and name in ("turn_on", "toggle"):
            checked = {"transition", "flash"}
            if dev.json_schema or cfg.get("brightness_state_topic"):
                checked.add("brightness")
            if dev.json_schema or cfg.get("rgb_state_topic"):
                checked.add("rgb_color")
            return bool(set(data) - checked)
        if dev.component == "fan":
            if name in ("turn_on", "toggle"):
                return bool(data)  # speed / preset sent with the turn-on: only 'on' is checked
            topic = {
                "set_percentage": "percentage_state_topic",
                "increase_speed": "percentage_state_topic",
                "decrease_speed": "percentage_state_topic",
                "oscillate": "oscillation_state_topic",
                "set_direction": "direction_state_topic",
                "set_preset_mode": "preset_mode_state_topic",
            }.get(name)
            return topic is not None and not cfg.get(topic)
        if dev.component == "cover" and name == "set_cover_position":
            return not cfg.get("position_topic")
        return False

    def _climate_plan(self, dev: _Device, call: ServiceCall, state: str) -> _Plan:
        cfg, attrs = dev.config, dev.attributes
        name, data = call.name, dict(call.data)
        if name == "toggle":
            name = "turn_on" if state == "off" else "turn_off"
        messages: list[tuple[str, str]] = []
        targets: dict[str, Any] = {}  # what the call changes -> wanted value (state None: any mode but off)
        power = cfg.get("power_command_topic")
        if name in ("turn_on", "turn_off") and power:
            payload = dev.cfg("payload_on", "ON") if name == "turn_on" else dev.cfg("payload_off", "OFF")
            messages.append((str(power), _render_command(cfg.get("power_command_template"), payload)))
            targets["state"] = None if name == "turn_on" else "off"
        elif name in ("turn_on", "turn_off"):
            name, data = "set_hvac_mode", {"hvac_mode": "off" if name == "turn_off" else self._climate_on_mode(dev)}
        if "hvac_mode" in data:
            targets["state"] = str(data["hvac_mode"])
        if name == "set_temperature":
            targets.update(
                {k: float(data[k]) for k in ("temperature", "target_temp_low", "target_temp_high") if k in data}
            )
        elif name in ("set_fan_mode", "set_swing_mode", "set_preset_mode", "set_humidity"):
            key = name.removeprefix("set_")
            targets[key] = float(data[key]) if key == "humidity" else str(data[key])
        elif name not in ("set_hvac_mode", "turn_on", "turn_off"):
            raise _Unsupported(f"MQTT thermostats have no {name.replace('_', ' ')}")
        for key, want in targets.items():
            if key == "state" and power and name in ("turn_on", "turn_off"):
                continue
            if key == "state" and want not in attrs.get("hvac_modes", ()):
                raise _Unsupported(f"{dev.entity.name} has no HVAC mode '{want}'")
            command_key, template_key, _ = _CLIMATE_TARGETS[key]
            value = round(want) if key == "humidity" else want
            messages.append((self._need(cfg.get(command_key)), _render_command(cfg.get(template_key), value)))
        optimistic = bool(dev.cfg("optimistic", False))
        confirm = {k: v for k, v in targets.items() if not optimistic and cfg.get(_CLIMATE_TARGETS[k][2])}
        assumed = {k: v for k, v in targets.items() if k not in confirm and v is not None}
        step = attrs.get("target_temp_step")
        tol = max(0.05, float(step) / 2 if isinstance(step, int | float) else 0.5)

        def check(st: str, at: Mapping[str, Any]) -> bool:
            for key, want in confirm.items():
                if key == "state":
                    if (want is None and st in ("off", "unknown")) or (want is not None and st != want):
                        return False
                elif isinstance(want, float):
                    have = at.get(key)
                    limit = 1.0 if key == "humidity" else tol
                    if not isinstance(have, int | float) or abs(float(have) - want) > limit:
                        return False
                elif at.get(key) != want:
                    return False
            return True

        return _Plan(messages, "wait" if confirm else "assume", check, name, data, assumed)

    @staticmethod
    def _climate_on_mode(dev: _Device) -> str:
        modes = [str(m) for m in dev.attributes.get("hvac_modes", ()) if m != "off"]
        if dev.last_on_mode in modes:
            return str(dev.last_on_mode)
        preferred = [m for m in ("heat_cool", "heat", "cool") if m in modes]
        if len(modes) == 1 or (modes and not preferred):
            return modes[0]
        if preferred:
            return preferred[0]
        raise _Unsupported(f"{dev.entity.name} has no mode to turn on to")

    def _valve_plan(self, dev: _Device, call: ServiceCall, state: str) -> _Plan:
        cfg, name = dev.config, call.name
        if name == "toggle":
            name = "close_valve" if state in ("open", "opening") else "open_valve"
        flag = {
            "open_valve": ValveEntityFeature.OPEN,
            "close_valve": ValveEntityFeature.CLOSE,
            "stop_valve": ValveEntityFeature.STOP,
            "set_valve_position": ValveEntityFeature.SET_POSITION,
        }.get(name)
        features = dev.attributes.get("supported_features")
        if flag is None or not isinstance(features, int) or not features & flag:
            raise _Unsupported(f"{dev.entity.name} cannot {name.replace('_', ' ')}")
        topic, template = self._need(cfg.get("command_topic")), cfg.get("command_template")
        positional = bool(cfg.get("reports_position"))
        target: int | None = None
        if positional and name != "stop_valve":
            target = {"open_valve": 100, "close_valve": 0}.get(name)
            target = int(call.data["position"]) if target is None else target
            lo, hi = int(dev.cfg("position_closed", 0)), int(dev.cfg("position_open", 100))
            scaled = round(lo + (hi - lo) * target / 100)
            payload = _render_command(
                template, scaled, {"position": target, "position_open": hi, "position_closed": lo}
            )
        else:
            key, default = {
                "open_valve": ("payload_open", "OPEN"),
                "close_valve": ("payload_close", "CLOSE"),
                "stop_valve": ("payload_stop", "STOP"),
            }[name]
            payload = _render_command(template, dev.cfg(key, default))
        moving = {"open_valve": "opening", "close_valve": "closing"}.get(name)

        def check(st: str, at: Mapping[str, Any]) -> bool:
            if name == "stop_valve":
                return True
            if target is None:
                return st in (("open", "opening") if name == "open_valve" else ("closed", "closing"))
            pos = at.get("current_position")
            return st == moving or (isinstance(pos, int | float) and abs(pos - target) <= 1)

        if dev.cfg("optimistic", False) or not cfg.get("state_topic"):
            mode = "sent" if name == "stop_valve" else "assume"
        else:
            mode = "wait"
        return _Plan([(topic, payload)], mode, check, name, call.data)

    def _vacuum_plan(self, dev: _Device, call: ServiceCall) -> _Plan:
        cfg, name, data = dev.config, call.name, call.data
        features = dev.attributes.get("supported_features")
        feats = features if isinstance(features, int) else 0
        wanted: Any = None
        if name in _VACUUM_COMMANDS:
            flag, key, default = _VACUUM_COMMANDS[name]
            if not feats & flag:
                raise _Unsupported(f"{dev.entity.name} does not support {name.replace('_', ' ')}")
            messages = [(self._need(cfg.get("command_topic")), str(dev.cfg(key, default)))]
        elif name == "set_fan_speed":
            wanted = str(data["fan_speed"])
            if not feats & VacuumEntityFeature.FAN_SPEED or wanted not in dev.attributes.get("fan_speed_list", ()):
                raise _Unsupported(f"{dev.entity.name} has no fan speed '{wanted}'")
            messages = [(self._need(cfg.get("set_fan_speed_topic")), wanted)]
        elif name == "send_command":
            if not feats & VacuumEntityFeature.SEND_COMMAND:
                raise _Unsupported(f"{dev.entity.name} takes no raw commands")
            params = data.get("params")
            command = str(data["command"])
            payload = json.dumps({"command": command, **params}) if isinstance(params, Mapping) else command
            messages = [(self._need(cfg.get("send_command_topic")), payload)]
        else:
            raise _Unsupported(f"MQTT vacuums have no {name.replace('_', ' ')}")
        expected = _VACUUM_EXPECT.get(name)

        def check(st: str, at: Mapping[str, Any]) -> bool:
            if name == "set_fan_speed":
                return at.get("fan_speed") == wanted
            return expected is None or st in expected

        confirmable = bool(cfg.get("state_topic")) and (expected is not None or name == "set_fan_speed")
        return _Plan(messages, "wait" if confirmable else "sent", check, name, data)

    def _commands(self, dev: _Device, call: ServiceCall, state: str) -> list[tuple[str, str]]:
        cfg, data, name = dev.config, call.data, call.name
        cmd = cfg.get("command_topic")
        out: list[tuple[str, str]] = []
        if name == "toggle":
            if dev.component == "cover":
                name = "close_cover" if state in ("open", "opening") else "open_cover"
            else:
                name = "turn_off" if state == "on" else "turn_on"
        if dev.component == "light" and dev.json_schema:
            body: dict[str, Any] = {"state": "ON" if name == "turn_on" else "OFF"}
            scale = float(dev.cfg("brightness_scale", 255))
            if "brightness" in data:
                body["brightness"] = round(int(data["brightness"]) * scale / 255)
            if "rgb_color" in data:
                r, g, b = data["rgb_color"]
                body["color"] = {"r": r, "g": g, "b": b}
                body["color_mode"] = "rgb"
            if "color_temp_kelvin" in data:
                k = int(data["color_temp_kelvin"])
                body["color_temp"] = k if dev.cfg("color_temp_kelvin", False) else round(1e6 / k)
                body["color_mode"] = "color_temp"
            for key in ("transition", "effect", "flash"):
                if key in data:
                    body[key] = data[key]
            return [(self._need(cmd), json.dumps(body))]
        if dev.component in ("light", "switch", "fan"):
            on, off = dev.cfg("payload_on", "ON"), dev.cfg("payload_off", "OFF")
            if name == "turn_off":
                return [(self._need(cmd), str(off))]
            extra: list[tuple[str, str]] = []
            if dev.component == "light":
                if "brightness" in data:
                    scale = float(dev.cfg("brightness_scale", 255))
                    extra.append(
                        (
                            self._need(cfg.get("brightness_command_topic")),
                            str(round(int(data["brightness"]) * scale / 255)),
                        )
                    )
                if "rgb_color" in data:
                    extra.append(
                        (self._need(cfg.get("rgb_command_topic")), ",".join(str(v) for v in data["rgb_color"]))
                    )
                if "color_temp_kelvin" in data:
                    k = int(data["color_temp_kelvin"])
                    value = k if dev.cfg("color_temp_kelvin", False) else round(1e6 / k)
                    extra.append((self._need(cfg.get("color_temp_command_topic")), str(value)))
                order = dev.cfg("on_command_type", "last")
                if order == "brightness" and "brightness" in data:
                    return extra
                return (
                    [(self._need(cmd), str(on)), *extra] if order == "first" else [*extra, (self._need(cmd), str(on))]
                )
            if dev.component == "fan":
                if name == "turn_on":
                    if "percentage" in data:
                        extra.append(
                            (
                                self._need(cfg.get("percentage_command_topic")),
                                self._fan_speed(dev, int(data["percentage"])),
                            )
                        )
                    if "preset_mode" in data:
                        extra.append((self._need(cfg.get("preset_mode_command_topic")), str(data["preset_mode"])))
                    return [(self._need(cmd), str(on)), *extra]
                if name in ("set_percentage", "increase_speed", "decrease_speed"):
                    pct = self._target_percentage(dev, name, data, state)
                    return [(self._need(cfg.get("percentage_command_topic")), self._fan_speed(dev, pct))]
                if name == "oscillate":
                    payload = (
                        dev.cfg("payload_oscillation_on", "oscillate_on")
                        if data["oscillating"]
                        else dev.cfg("payload_oscillation_off", "oscillate_off")
                    )
                    return [(self._need(cfg.get("oscillation_command_topic")), str(payload))]
                if name == "set_direction":
                    return [(self._need(cfg.get("direction_command_topic")), str(data["direction"]))]
                if name == "set_preset_mode":
                    return [(self._need(cfg.get("preset_mode_command_topic")), str(data["preset_mode"]))]
            return [(self._need(cmd), str(on))]
        if dev.component == "cover":
            if name == "open_cover":
                out.append((self._need(cmd), str(dev.cfg("payload_open", "OPEN"))))
            elif name == "close_cover":
                out.append((self._need(cmd), str(dev.cfg("payload_close", "CLOSE"))))
            elif name == "stop_cover":
                out.append((self._need(cmd), str(dev.cfg("payload_stop", "STOP"))))
            elif name == "set_cover_position":
                lo, hi = float(dev.cfg("position_closed", 0)), float(dev.cfg("position_open", 100))
                value = round(lo + (hi - lo) * int(data["position"]) / 100)
                out.append((self._need(cfg.get("set_position_topic")), str(value)))
            return out
        if dev.component == "lock":
            payload_key = {
                "lock": ("payload_lock", "LOCK"),
                "unlock": ("payload_unlock", "UNLOCK"),
                "open": ("payload_open", "OPEN"),
            }[name]
            return [(self._need(cmd), str(dev.cfg(*payload_key)))]
        raise _Unsupported(f"{dev.component} entities take no commands")

    @staticmethod
    def _need(topic: Any) -> str:
        if not isinstance(topic, str) or not topic:
            raise _Unsupported("The device announced no topic for this command")
        return topic

    @staticmethod
    def _fan_speed(dev: _Device, pct: int) -> str:
        lo, hi = int(dev.cfg("speed_range_min", 1)), int(dev.cfg("speed_range_max", 100))
        if pct <= 0:
            return "0"
        return str(round(lo - 1 + pct * (hi - lo + 1) / 100))

    @staticmethod
    def _target_percentage(dev: _Device, name: str, data: Mapping[str, Any], state: str) -> int:
        if name == "set_percentage":
            return int(data["percentage"])
        current = dev.attributes.get("percentage") if state == "on" else 0
        current = current if isinstance(current, int | float) else 0
        step = int(data.get("percentage_step", 25))
        return int(max(0, min(100, current + (step if name == "increase_speed" else -step))))

    def _predicate(self, dev: _Device, call: ServiceCall, state: str) -> Callable[[str, Mapping[str, Any]], bool]:
        name, data, cfg = call.name, call.data, dev.config
        if name == "toggle":
            if dev.component == "cover":
                name = "close_cover" if state in ("open", "opening") else "open_cover"
            else:
                name = "turn_off" if state == "on" else "turn_on"
        reports_all = dev.json_schema

        def close(attrs: Mapping[str, Any], key: str, want: Any, tol: float) -> bool:
            have = attrs.get(key)
            if isinstance(want, list):
                return isinstance(have, list) and all(abs(a - b) <= tol for a, b in zip(have, want, strict=False))
            return isinstance(have, int | float) and abs(float(have) - float(want)) <= tol

        if dev.component in ("light", "switch", "fan") and name in ("turn_on", "turn_off"):
            want_on = name == "turn_on"

            def check(st: str, attrs: Mapping[str, Any]) -> bool:
                if st != ("on" if want_on else "off"):
                    return False
                if not want_on or dev.component != "light":
                    return True
                bright_ok = not ("brightness" in data and (reports_all or cfg.get("brightness_state_topic"))) or close(
                    attrs, "brightness", data["brightness"], 3
                )
                rgb_ok = not ("rgb_color" in data and (reports_all or cfg.get("rgb_state_topic"))) or close(
                    attrs, "rgb_color", list(data["rgb_color"]), 2
                )
                return bool(bright_ok and rgb_ok)

            return check
        if dev.component == "fan":
            if name in ("set_percentage", "increase_speed", "decrease_speed"):
                pct = self._target_percentage(dev, name, data, state)
                if cfg.get("percentage_state_topic"):
                    return lambda st, attrs: close(attrs, "percentage", pct, 1)
                return lambda st, attrs: st == ("on" if pct else "off")
            if name == "oscillate" and cfg.get("oscillation_state_topic"):
                return lambda st, attrs: attrs.get("oscillating") == bool(data["oscillating"])
            if name == "set_direction" and cfg.get("direction_state_topic"):
                return lambda st, attrs: attrs.get("direction") == data["direction"]
            if name == "set_preset_mode" and cfg.get("preset_mode_state_topic"):
                return lambda st, attrs: attrs.get("preset_mode") == data["preset_mode"]
            return lambda st, attrs: True
        if dev.component == "cover":
            if name == "open_cover":
                return lambda st, attrs: st in ("open", "opening")
            if name == "close_cover":
                return lambda st, attrs: st in ("closed", "closing")
            if name == "set_cover_position":
                pos = int(data["position"])
                if cfg.get("position_topic"):
                    return lambda st, attrs: close(attrs, "current_position", pos, 1)
                return lambda st, attrs: st in ("open", "opening", "closed", "closing")
            return lambda st, attrs: True
        if dev.component == "lock":
            wanted = {
                "lock": ("locked", "locking"),
                "unlock": ("unlocked", "unlocking"),
                "open": ("open", "opening", "unlocked"),
            }[name]
            return lambda st, attrs: st in wanted
        return lambda st, attrs: True


class _Unsupported(Exception):
    """The device announced no way to carry out this command."""
