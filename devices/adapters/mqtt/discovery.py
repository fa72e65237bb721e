"""Home Assistant MQTT discovery: config topics, abbreviated payloads, and what an entity is called and where it is.

A config topic is ``<prefix>/<component>/[<node_id>/]<object_id>/config``; its payload is JSON with Home Assistant's
abbreviations (``cmd_t``, ``stat_t``...) and ``~`` for a base topic. An empty payload removes the entity.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.loader import slugify

__all__ = [
    "ABBREVIATIONS",
    "COMPONENTS",
    "DEVICE_ABBREVIATIONS",
    "DiscoveryTopic",
    "EntityIdentity",
    "base_attributes",
    "expand_discovery",
    "identify",
    "parse_payload",
    "parse_topic",
]

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
class DiscoveryTopic:
    """A config topic, taken apart."""

    component: str
    """``light``, ``climate``..."""
    object_id: str
    """The topic's object id (the payload's ``object_id`` wins over it)."""


@dataclass(frozen=True, slots=True)
class EntityIdentity:
    """What a discovery payload says an entity is called and where it belongs."""

    entity_id: str
    object_id: str
    name: str
    area_id: str | None
    device_id: str | None


def parse_topic(prefix: str, topic: str) -> DiscoveryTopic | None:
    """The component and object id of a config topic; None for other topics and unsupported components."""
    base = prefix.rstrip("/") + "/"
    if not topic.startswith(base) or not topic.endswith("/config"):
        return None
    parts = topic[len(base) :].split("/")
    if len(parts) not in (3, 4) or parts[0] not in COMPONENTS:
        return None
    return DiscoveryTopic(parts[0], parts[-2])


def parse_payload(payload: str) -> dict[str, Any] | None:
    """The expanded config of a (non-empty) discovery payload; None when it is not a JSON object."""
    try:
        raw = json.loads(payload)
    except ValueError:
        return None
    return expand_discovery(raw) if isinstance(raw, dict) else None


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


def identify(component: str, object_id: str, cfg: Mapping[str, Any]) -> EntityIdentity:
    """Entity id, name, area and device of an expanded discovery config."""
    raw_device = cfg.get("device")
    device_info: Mapping[str, Any] = raw_device if isinstance(raw_device, Mapping) else {}
    obj = slugify(str(cfg.get("object_id") or object_id))
    name = cfg.get("name") or device_info.get("name") or obj.replace("_", " ").title()
    area = device_info.get("suggested_area")
    device_id = None
    ids = device_info.get("identifiers")
    if isinstance(ids, list) and ids:
        device_id = slugify(str(ids[0]))
    elif isinstance(ids, str):
        device_id = slugify(ids)
    return EntityIdentity(f"{component}.{obj}", obj, str(name), slugify(str(area)) if area else None, device_id)


def base_attributes(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes every component takes from its config as announced (device class, unit, icon...)."""
    return {
        key: cfg[key]
        for key in ("device_class", "unit_of_measurement", "state_class", "icon")
        if cfg.get(key) is not None
    }
