"""MQTT climate (HVAC): modes, target temperature or range, fan/swing/preset modes, humidity, action, readings.

Capabilities are derived from the announced topics as Home Assistant derives them. What a call changes is confirmed
by its state topic where there is one and assumed (as Home Assistant is optimistic) where there is none.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from contracts.features import ClimateEntityFeature
from devices.adapters.base import ServiceCall
from devices.adapters.mqtt.entity import MqttEntity, Plan, Platform, Unsupported, need, number

__all__ = ["CLIMATE", "ClimatePlatform"]

_LOG = logging.getLogger(__name__)
_MODES = ["auto", "off", "cool", "heat", "dry", "fan_only"]
_ACTIONS = frozenset({"off", "preheating", "heating", "cooling", "drying", "idle", "fan", "defrosting"})
_NUMBERS = (
    # (state topic, value template, attribute)
    ("current_temperature_topic", "current_temperature_template", "current_temperature"),
    ("temperature_state_topic", "temperature_state_template", "temperature"),
    ("temperature_low_state_topic", "temperature_low_state_template", "target_temp_low"),
    ("temperature_high_state_topic", "temperature_high_state_template", "target_temp_high"),
    ("current_humidity_topic", "current_humidity_template", "current_humidity"),
    ("target_humidity_state_topic", "target_humidity_state_template", "humidity"),
)
_LISTED = (
    # (state topic, value template, attribute, list attribute)
    ("fan_mode_state_topic", "fan_mode_state_template", "fan_mode", "fan_modes"),
    ("swing_mode_state_topic", "swing_mode_state_template", "swing_mode", "swing_modes"),
    ("preset_mode_state_topic", "preset_mode_value_template", "preset_mode", "preset_modes"),
)
_TARGETS = {
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
_MODE_CALLS = ("set_fan_mode", "set_swing_mode", "set_preset_mode", "set_humidity")


class ClimatePlatform(Platform):
    name = "climate"

    def initial_state(self, cfg: Mapping[str, Any]) -> str:
        """HA: a climate without a mode state topic is off until commanded."""
        return "unknown" if cfg.get("mode_state_topic") else "off"

    def attributes(self, cfg: Mapping[str, Any]) -> dict[str, Any]:
        modes = cfg.get("modes")
        hvac_modes = [str(m) for m in modes] if isinstance(modes, list) and modes else list(_MODES)
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

    # ---- state ----------------------------------------------------------------------------------------------------

    def apply_state(self, ent: MqttEntity, topic: str, payload: str) -> None:
        cfg = ent.config
        if topic == cfg.get("mode_state_topic"):
            self._apply_mode(ent, ent.render("mode_state_template", payload, "value_template"))
        for topic_key, template_key, attr in _NUMBERS:
            if topic == cfg.get(topic_key):
                value = number(ent.render(template_key, payload, "value_template"))
                if value is not None:
                    ent.attributes[attr] = value
        for topic_key, template_key, attr, options in _LISTED:
            if topic == cfg.get(topic_key):
                self._apply_choice(ent, attr, options, ent.render(template_key, payload, "value_template"))
        if topic == cfg.get("action_topic"):
            action = ent.render("action_template", payload, "value_template")
            if action in _ACTIONS:
                ent.attributes["hvac_action"] = action
            elif action == "None":
                ent.attributes["hvac_action"] = None

    @staticmethod
    def _apply_choice(ent: MqttEntity, attr: str, options: str, choice: str | None) -> None:
        """A fan, swing or preset mode, kept when it is one of the announced ones."""
        if attr == "preset_mode" and choice == "None":
            choice = "none"
        if choice is not None and choice in ent.attributes.get(options, ()):
            ent.attributes[attr] = choice

    @staticmethod
    def _apply_mode(ent: MqttEntity, mode: str | None) -> None:
        if mode in ent.attributes.get("hvac_modes", ()):
            ent.last_state = str(mode)
            if mode != "off":
                ent.last_on_mode = str(mode)
        elif mode in ("None", ""):
            ent.last_state = "unknown"
        else:
            _LOG.warning("%s reported HVAC mode %r, not one of its modes", ent.entity_id, mode)

    # ---- commands -------------------------------------------------------------------------------------------------

    def plan(self, ent: MqttEntity, call: ServiceCall, state: str) -> Plan:
        cfg = ent.config
        name, data = call.name, dict(call.data)
        if name == "toggle":
            name = "turn_on" if state == "off" else "turn_off"
        messages: list[tuple[str, str]] = []
        targets: dict[str, Any] = {}  # what the call changes -> wanted value (state None: any mode but off)
        power = cfg.get("power_command_topic")
        if name in ("turn_on", "turn_off") and power:
            payload = ent.cfg("payload_on", "ON") if name == "turn_on" else ent.cfg("payload_off", "OFF")
            messages.append((str(power), ent.command("power_command_template", payload)))
            targets["state"] = None if name == "turn_on" else "off"
        elif name in ("turn_on", "turn_off"):
            name, data = "set_hvac_mode", {"hvac_mode": "off" if name == "turn_off" else self._on_mode(ent)}
        targets.update(self._targets(name, data))
        messages += self._messages(ent, targets, skip_state=bool(power) and name in ("turn_on", "turn_off"))
        optimistic = bool(ent.cfg("optimistic", False))
        confirm = {k: v for k, v in targets.items() if not optimistic and cfg.get(_TARGETS[k][2])}
        assumed = {k: v for k, v in targets.items() if k not in confirm and v is not None}
        step = ent.attributes.get("target_temp_step")
        tol = max(0.05, float(step) / 2 if isinstance(step, int | float) else 0.5)

        def check(st: str, at: Mapping[str, Any]) -> bool:
            return all(_reported(key, want, st, at, tol) for key, want in confirm.items())

        return Plan(messages, "wait" if confirm else "assume", check, name, data, assumed)

    @staticmethod
    def _targets(name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """What the call changes -> the wanted value."""
        targets: dict[str, Any] = {}
        if "hvac_mode" in data:
            targets["state"] = str(data["hvac_mode"])
        if name == "set_temperature":
            targets.update(
                {k: float(data[k]) for k in ("temperature", "target_temp_low", "target_temp_high") if k in data}
            )
        elif name in _MODE_CALLS:
            key = name.removeprefix("set_")
            targets[key] = float(data[key]) if key == "humidity" else str(data[key])
        elif name not in ("set_hvac_mode", "turn_on", "turn_off"):
            raise Unsupported(f"MQTT thermostats have no {name.replace('_', ' ')}")
        return targets

    @staticmethod
    def _messages(ent: MqttEntity, targets: Mapping[str, Any], *, skip_state: bool) -> list[tuple[str, str]]:
        messages: list[tuple[str, str]] = []
        for key, want in targets.items():
            if key == "state" and skip_state:
                continue
            if key == "state" and want not in ent.attributes.get("hvac_modes", ()):
                raise Unsupported(f"{ent.entity.name} has no HVAC mode '{want}'")
            command_key, template_key, _ = _TARGETS[key]
            value = round(want) if key == "humidity" else want
            messages.append((need(ent.config.get(command_key)), ent.command(template_key, value)))
        return messages

    @staticmethod
    def _on_mode(ent: MqttEntity) -> str:
        modes = [str(m) for m in ent.attributes.get("hvac_modes", ()) if m != "off"]
        if ent.last_on_mode in modes:
            return str(ent.last_on_mode)
        preferred = [m for m in ("heat_cool", "heat", "cool") if m in modes]
        if len(modes) == 1 or (modes and not preferred):
            return modes[0]
        if preferred:
            return preferred[0]
        raise Unsupported(f"{ent.entity.name} has no mode to turn on to")


def _reported(key: str, want: Any, st: str, at: Mapping[str, Any], tol: float) -> bool:
    """Whether the reported state shows ``key`` at ``want`` (state None: any mode but off)."""
    if key == "state":
        return st not in ("off", "unknown") if want is None else st == want
    if isinstance(want, float):
        have = at.get(key)
        limit = 1.0 if key == "humidity" else tol
        return isinstance(have, int | float) and abs(float(have) - want) <= limit
    return at.get(key) == want


CLIMATE = ClimatePlatform()
