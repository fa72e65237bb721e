"""Devices that announce themselves with as little as Home Assistant's MQTT discovery allows, on a real broker.

Used by the risk and assumed-state tests: a garage door and a lock with no device class, a cover whose class the
home file contradicts, a switch without a state topic (optimistic), one that echoes its state, and a light that
echoes on/off but does not report its brightness.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from devices import Home, create_home
from devices.adapters.mqtt import MqttSettings
from tests.devices.test_mqtt import Broker, wait_for

CONFIGS: dict[str, dict[str, Any]] = {
    # no device_class, no metadata at all: only a name and topics
    "homeassistant/cover/garage_door/config": {
        "name": "Garage Door",
        "command_topic": "bare/garage/set",
        "state_topic": "bare/garage/state",
    },
    "homeassistant/lock/front/config": {
        "name": "Front Door",
        "command_topic": "bare/front/set",
        "state_topic": "bare/front/state",
    },
    "homeassistant/switch/gate_relay/config": {"name": "Gate Relay", "command_topic": "bare/gate/set"},
    # the home file says what these are
    "homeassistant/cover/roller/config": {
        "name": "Roller",
        "command_topic": "bare/roller/set",
        "state_topic": "bare/roller/state",
    },
    "homeassistant/cover/curtain/config": {
        "name": "Curtain",
        "command_topic": "bare/curtain/set",
        "state_topic": "bare/curtain/state",
        "device_class": "curtain",
    },
    # optimistic (no state topic) and echo-confirmed switches
    "homeassistant/switch/desk_fan/config": {"name": "Desk Fan", "command_topic": "bare/fan/set"},
    "homeassistant/light/shelf/config": {  # on/off is echoed, brightness is not reported
        "name": "Shelf Light",
        "command_topic": "bare/shelf/set",
        "state_topic": "bare/shelf/state",
        "brightness_command_topic": "bare/shelf/brightness/set",
    },
    "homeassistant/switch/kettle/config": {
        "name": "Kettle",
        "command_topic": "bare/kettle/set",
        "state_topic": "bare/kettle/state",
    },
}

HOME_FILE = """\
areas: [{id: garage, name: Garage}]
entities:
  - {id: cover.roller, name: Back Roller, area: garage, device_class: garage, supported_features: 3}
  - {id: cover.curtain, name: Side Curtain, area: garage, device_class: garage}
  - {id: switch.kettle, name: Kettle, risk: {turn_on: sensitive}}
"""
"""The overlay: a class for a cover that has none, a class that contradicts discovery, a per-entity risk."""

_ECHO = {
    "bare/garage/set": ("bare/garage/state", {"OPEN": "open", "CLOSE": "closed"}),
    "bare/front/set": ("bare/front/state", {"LOCK": "LOCKED", "UNLOCK": "UNLOCKED"}),
    "bare/roller/set": ("bare/roller/state", {"OPEN": "open", "CLOSE": "closed"}),
    "bare/curtain/set": ("bare/curtain/state", {"OPEN": "open", "CLOSE": "closed"}),
    "bare/kettle/set": ("bare/kettle/state", {"ON": "ON", "OFF": "OFF"}),
    "bare/shelf/set": ("bare/shelf/state", {"ON": "ON", "OFF": "OFF"}),
}
_INITIAL = {
    "bare/garage/state": "closed",
    "bare/front/state": "LOCKED",
    "bare/roller/state": "closed",
    "bare/curtain/state": "closed",
    "bare/kettle/state": "OFF",
    "bare/shelf/state": "OFF",
}


@dataclass
class BareDevices:
    """The firmware side: announces CONFIGS, echoes commands on the state topics, records what it received."""

    port: int
    received: list[tuple[str, str]] = field(default_factory=list)
    client: paho.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bare-devices")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def start(self) -> None:
        self.client.connect_async("127.0.0.1", self.port)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        client.subscribe("bare/+/set", qos=1)
        client.subscribe("bare/+/+/set", qos=1)
        for topic, cfg in CONFIGS.items():
            client.publish(topic, json.dumps(cfg), qos=1, retain=True)
        for topic, payload in _INITIAL.items():
            client.publish(topic, payload, qos=1, retain=True)

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        payload = msg.payload.decode()
        self.received.append((msg.topic, payload))
        if msg.topic in _ECHO:
            topic, states = _ECHO[msg.topic]
            client.publish(topic, states.get(payload, payload), qos=1, retain=True)


@contextmanager
def bare_mqtt_home(tmp_path: Path) -> Iterator[tuple[Home, Broker, BareDevices]]:
    """A broker, the bare devices and a home over them with HOME_FILE as the overlay."""
    broker = Broker(tmp_path)
    broker.start()
    devices = BareDevices(broker.port)
    devices.start()
    home_file = tmp_path / "home.yaml"
    home_file.write_text(HOME_FILE)
    settings = MqttSettings(port=broker.port, command_timeout_s=1.5, reconnect_min_s=1, reconnect_max_s=2)
    home = create_home(file=home_file, adapter="mqtt", mqtt=settings)
    try:
        wanted = {"cover.garage_door", "lock.front", "switch.gate_relay", "cover.roller", "cover.curtain"}
        wanted |= {"switch.desk_fan", "switch.kettle", "light.shelf"}
        assert wait_for(lambda: wanted <= {e.entity_id for e in home.entities()})
        assert wait_for(lambda: home.entity("switch.kettle").state == "off")  # type: ignore[union-attr]
        yield home, broker, devices
    finally:
        home.close()
        devices.stop()
        broker.stop()


@contextmanager
def frozen(broker: Broker) -> Iterator[None]:
    """The broker process stopped (SIGSTOP): connections stay open, nothing is delivered; resumed afterwards."""
    assert broker.proc is not None
    os.kill(broker.proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(broker.proc.pid, signal.SIGCONT)
