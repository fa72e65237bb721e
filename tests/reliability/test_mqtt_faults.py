"""Fault: the MQTT broker stops and returns. While it is down a command replies device-unavailable (no phantom
success, nothing delivered later); after it returns the same command works. Real mosquitto on a free port."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.reliability.helpers import Broker, build_assistant, wait_for

pytestmark = pytest.mark.slow

HOME = """
areas:
  - {id: kitchen, name: Kitchen}
entities:
  - {id: switch.kettle, name: Kettle Plug, aliases: [kettle], area: kitchen}
"""


class KettlePlug:
    """A plug on the broker: announces itself by discovery and echoes commands as firmware does."""

    def __init__(self, port: int) -> None:
        self.state = "OFF"
        self.received: list[str] = []
        self._lock = threading.Lock()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="kettle-plug")
        self.client.reconnect_delay_set(1, 2)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.port = port

    def start(self) -> None:
        self.client.connect_async("127.0.0.1", self.port)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _announce(self) -> None:
        config = {"name": "Kettle Plug", "command_topic": "home/kettle/set", "state_topic": "home/kettle/state"}
        self.client.publish("homeassistant/switch/kettle/config", json.dumps(config), qos=1, retain=True)
        self.client.publish("home/kettle/state", self.state, qos=1, retain=True)

    def _on_connect(self, client: paho.Client, *_: Any) -> None:
        client.subscribe("home/kettle/set", qos=1)
        client.subscribe("homeassistant/status", qos=1)
        self._announce()

    def _on_message(self, client: paho.Client, _userdata: Any, msg: paho.MQTTMessage) -> None:
        payload = msg.payload.decode()
        if msg.topic == "homeassistant/status":
            if payload == "online":
                self._announce()
            return
        with self._lock:
            self.received.append(payload)
            self.state = payload
        client.publish("home/kettle/state", payload, qos=1, retain=True)


@pytest.fixture
def setup(tmp_path: Path, broker: Broker) -> Iterator[tuple[Any, Broker, KettlePlug]]:
    plug = KettlePlug(broker.port)
    plug.start()
    home_file = tmp_path / "home.yaml"
    home_file.write_text(HOME, encoding="utf-8")
    assistant = build_assistant(
        tmp_path / "data",
        home_file=home_file,
        home={"adapter": "mqtt", "mqtt_port": broker.port},
        nlu={"semantic": False},
        sentiment={"engine": "vader"},
    )
    try:
        assert wait_for(lambda: (assistant.home.entity("switch.kettle") or _Off).state == "off", timeout=20)
        yield assistant, broker, plug
    finally:
        assistant.close()
        plug.stop()


class _Off:
    state = "missing"


def test_broker_down_gives_device_unavailable_then_recovers(setup: tuple[Any, Broker, KettlePlug]) -> None:
    assistant, broker, plug = setup
    conversation = assistant.db.conversations.create_conversation()
    first = assistant.handle_text("turn on the kettle plug", conversation_id=conversation)
    assert first.error is None, first.reply
    assert [(a.entity_id, a.success) for a in first.actions] == [("switch.kettle", True)]
    assert plug.state == "ON"

    broker.stop()
    assert wait_for(lambda: not assistant.home.available, timeout=15)
    sent_before = len(plug.received)
    down = assistant.handle_text("turn off the kettle plug", conversation_id=conversation)
    assert down.error == "device-unavailable", (down.error, down.reply)
    assert all(not a.success for a in down.actions)
    assert down.changes == ()
    assert not any(word in down.reply.lower() for word in ("turned off", "done", "ok,")), down.reply
    stored = assistant.db.conversations.turns(conversation)[-1]
    assert stored.error_code == "device-unavailable" and not stored.success

    broker.start()
    assert wait_for(lambda: assistant.home.available, timeout=40)
    assert wait_for(lambda: (assistant.home.entity("switch.kettle") or _Off).state == "on", timeout=20)
    # the command refused while the broker was down was not queued and delivered later (no phantom action)
    assert plug.received[sent_before:] == [] and plug.state == "ON"

    again = assistant.handle_text("turn off the kettle plug", conversation_id=conversation)
    assert again.error is None, again.reply
    assert [(a.entity_id, a.success) for a in again.actions] == [("switch.kettle", True)]
    assert plug.state == "OFF" and assistant.home.states()["switch.kettle"]["state"] == "off"
