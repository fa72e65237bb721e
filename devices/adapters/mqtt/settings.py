"""The MQTT adapter's settings: which broker, and how long to wait for devices."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MqttSettings"]


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
