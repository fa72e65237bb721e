"""MQTT sensors: the (templated) payload is the state; read-only."""

from __future__ import annotations

from devices.adapters.mqtt.entity import MqttEntity, Platform

__all__ = ["SENSOR", "SensorPlatform"]


class SensorPlatform(Platform):
    name = "sensor"

    def apply_state(self, ent: MqttEntity, topic: str, payload: str) -> None:
        if topic == ent.config.get("state_topic"):
            value = ent.render("state_value_template", payload, "value_template")
            if value is not None:
                ent.last_state = value


SENSOR = SensorPlatform()
