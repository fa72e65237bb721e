"""The MQTT adapter's public names (``devices.mqtt.MqttSettings``); the implementation is ``devices.adapters.mqtt``."""

from __future__ import annotations

from devices.adapters.mqtt import MqttAdapter, MqttSettings

__all__ = ["MqttAdapter", "MqttSettings"]
