"""MQTT fans: on/off, speed as a percentage of ``speed_range``, oscillation, direction and preset modes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contracts.features import FanEntityFeature
from devices.adapters.mqtt.entity import EchoPlatform, MqttEntity, Predicate, close_to, need, on_off_state

__all__ = ["FAN", "FanPlatform"]

_SPEED_CALLS = ("set_percentage", "increase_speed", "decrease_speed")
_STATE_TOPICS = {
    # call -> the state topic that reports what it changes
    "set_percentage": "percentage_state_topic",
    "increase_speed": "percentage_state_topic",
    "decrease_speed": "percentage_state_topic",
    "oscillate": "oscillation_state_topic",
    "set_direction": "direction_state_topic",
    "set_preset_mode": "preset_mode_state_topic",
}


class FanPlatform(EchoPlatform):
    name = "fan"

    def attributes(self, cfg: Mapping[str, Any]) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
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
        return attrs

    # ---- state ----------------------------------------------------------------------------------------------------

    def apply_state(self, ent: MqttEntity, topic: str, payload: str) -> None:
        cfg, attrs = ent.config, ent.attributes
        if topic == cfg.get("state_topic"):
            value = ent.render("state_value_template", payload, "value_template")
            if value is not None:
                ent.last_state = on_off_state(ent, value)
        if topic == cfg.get("percentage_state_topic"):
            value = ent.render("percentage_value_template", payload)
            if value is not None and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
                lo, hi = float(ent.cfg("speed_range_min", 1)), float(ent.cfg("speed_range_max", 100))
                raw = float(value)
                attrs["percentage"] = 0 if raw <= 0 else round((raw - lo + 1) * 100 / (hi - lo + 1))
        if topic == cfg.get("oscillation_state_topic"):
            attrs["oscillating"] = payload == ent.cfg("payload_oscillation_on", "oscillate_on")
        if topic == cfg.get("direction_state_topic"):
            attrs["direction"] = payload
        if topic == cfg.get("preset_mode_state_topic"):
            attrs["preset_mode"] = payload

    # ---- commands -------------------------------------------------------------------------------------------------

    def commands(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> list[tuple[str, str]]:
        cfg = ent.config
        cmd = cfg.get("command_topic")
        if name == "turn_off":
            return [(need(cmd), str(ent.cfg("payload_off", "OFF")))]
        if name == "turn_on":
            extra: list[tuple[str, str]] = []
            if "percentage" in data:
                speed = self._speed(ent, int(data["percentage"]))
                extra.append((need(cfg.get("percentage_command_topic")), speed))
            if "preset_mode" in data:
                extra.append((need(cfg.get("preset_mode_command_topic")), str(data["preset_mode"])))
            return [(need(cmd), str(ent.cfg("payload_on", "ON"))), *extra]
        if name in _SPEED_CALLS:
            pct = self._target_percentage(ent, name, data, state)
            return [(need(cfg.get("percentage_command_topic")), self._speed(ent, pct))]
        if name == "oscillate":
            payload = (
                ent.cfg("payload_oscillation_on", "oscillate_on")
                if data["oscillating"]
                else ent.cfg("payload_oscillation_off", "oscillate_off")
            )
            return [(need(cfg.get("oscillation_command_topic")), str(payload))]
        if name == "set_direction":
            return [(need(cfg.get("direction_command_topic")), str(data["direction"]))]
        if name == "set_preset_mode":
            return [(need(cfg.get("preset_mode_command_topic")), str(data["preset_mode"]))]
        return [(need(cmd), str(ent.cfg("payload_on", "ON")))]

    @staticmethod
    def _speed(ent: MqttEntity, pct: int) -> str:
        lo, hi = int(ent.cfg("speed_range_min", 1)), int(ent.cfg("speed_range_max", 100))
        if pct <= 0:
            return "0"
        return str(round(lo - 1 + pct * (hi - lo + 1) / 100))

    @staticmethod
    def _target_percentage(ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> int:
        if name == "set_percentage":
            return int(data["percentage"])
        current = ent.attributes.get("percentage") if state == "on" else 0
        current = current if isinstance(current, int | float) else 0
        step = int(data.get("percentage_step", 25))
        return int(max(0, min(100, current + (step if name == "increase_speed" else -step))))

    def predicate(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> Predicate:
        cfg = ent.config
        if name in ("turn_on", "turn_off"):
            want = "on" if name == "turn_on" else "off"
            return lambda st, attrs: st == want
        if name in _SPEED_CALLS:
            pct = self._target_percentage(ent, name, data, state)
            if cfg.get("percentage_state_topic"):
                return lambda st, attrs: close_to(attrs, "percentage", pct, 1)
            return lambda st, attrs: st == ("on" if pct else "off")
        if name == "oscillate" and cfg.get("oscillation_state_topic"):
            return lambda st, attrs: attrs.get("oscillating") == bool(data["oscillating"])
        if name == "set_direction" and cfg.get("direction_state_topic"):
            return lambda st, attrs: attrs.get("direction") == data["direction"]
        if name == "set_preset_mode" and cfg.get("preset_mode_state_topic"):
            return lambda st, attrs: attrs.get("preset_mode") == data["preset_mode"]
        return lambda st, attrs: True

    def unreported(self, ent: MqttEntity, name: str, data: Mapping[str, Any]) -> bool:
        if name in ("turn_on", "toggle"):
            return bool(data)  # speed / preset sent with the turn-on: only 'on' is checked
        topic = _STATE_TOPICS.get(name)
        return topic is not None and not ent.config.get(topic)


FAN = FanPlatform()
