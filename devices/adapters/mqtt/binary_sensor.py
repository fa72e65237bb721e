"""MQTT binary sensors: on/off by ``payload_on``/``payload_off``; read-only."""

from __future__ import annotations

from devices.adapters.mqtt.entity import MqttEntity, Platform, on_off_state

__all__ = ["BINARY_SENSOR", "BinarySensorPlatform"]


class BinarySensorPlatform(Platform):
    name = "binary_sensor"

    def apply_state(self, ent: MqttEntity, topic: str, payload: str) -> None:
        if topic == ent.config.get("state_topic"):
            value = ent.render("state_value_template", payload, "value_template")
            if value is not None:
                ent.last_state = on_off_state(ent, value)


BINARY_SENSOR = BinarySensorPlatform()
