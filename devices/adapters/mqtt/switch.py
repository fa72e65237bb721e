"""MQTT switches: on/off by ``payload_on``/``payload_off``, confirmed by the state echo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from devices.adapters.mqtt.entity import EchoPlatform, MqttEntity, Predicate, need, on_off_state

__all__ = ["SWITCH", "SwitchPlatform"]


class SwitchPlatform(EchoPlatform):
    name = "switch"

    def apply_state(self, ent: MqttEntity, topic: str, payload: str) -> None:
        if topic == ent.config.get("state_topic"):
            value = ent.render("state_value_template", payload, "value_template")
            if value is not None:
                ent.last_state = on_off_state(ent, value)

    def commands(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> list[tuple[str, str]]:
        key, default = ("payload_off", "OFF") if name == "turn_off" else ("payload_on", "ON")
        return [(need(ent.config.get("command_topic")), str(ent.cfg(key, default)))]

    def predicate(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> Predicate:
        if name not in ("turn_on", "turn_off"):
            return lambda st, attrs: True
        want = "on" if name == "turn_on" else "off"
        return lambda st, attrs: st == want


SWITCH = SwitchPlatform()
