"""MQTT integration against a real mosquitto broker: discovery, commands, state round trips, broker restart."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from assistant.messages import StateChange
from devices import Home, create_home
from devices.adapters.mqtt import MqttSettings, expand_discovery

MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto is not installed (make setup installs it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A mosquitto process on a loopback port that can be stopped and started again."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.conf = tmp / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.log = tmp / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert MOSQUITTO is not None
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


class FakeDevices:
    """Devices on the broker: announce themselves by discovery and answer commands like real firmware would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[str, str]] = []
        self.echo = True
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="fake-devices")
        self.client.reconnect_delay_set(1, 2)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.state = {"desk": "OFF", "desk_bri": "0", "plug": "OFF", "lock": "LOCKED", "blind_pos": "0", "fan": "OFF"}
        self.strip: dict[str, Any] = {"state": "OFF"}
        self.announced = 0

    configs: ClassVar[dict[str, dict[str, Any]]] = {
        "homeassistant/light/desk/config": {
            "~": "home/desk",
            "name": "Desk Light",
            "uniq_id": "desk01",
            "cmd_t": "~/set",
            "stat_t": "~/state",
            "bri_cmd_t": "~/brightness/set",
            "bri_stat_t": "~/brightness",
            "avty_t": "~/status",
            "dev": {"ids": ["desk-dev"], "name": "Desk Lamp", "sa": "Office"},
        },
        "homeassistant/light/strip/config": {
            "name": "LED Strip",
            "schema": "json",
            "command_topic": "home/strip/set",
            "state_topic": "home/strip/state",
            "supported_color_modes": ["rgb"],
            "brightness": True,
        },
        "homeassistant/switch/plug/config": {
            "name": "Kettle Plug",
            "command_topic": "home/plug/set",
            "state_topic": "home/plug/state",
        },
        "homeassistant/switch/blind_relay/config": {"name": "Porch Relay", "command_topic": "home/relay/set"},
        "homeassistant/switch/dead/config": {
            "name": "Dead Plug",
            "command_topic": "home/dead/set",
            "state_topic": "home/dead/state",
        },
        "homeassistant/cover/blind/config": {
            "name": "Office Blind",
            "command_topic": "home/blind/set",
            "state_topic": "home/blind/state",
            "position_topic": "home/blind/position",
            "set_position_topic": "home/blind/position/set",
            "device_class": "blind",
        },
        "homeassistant/lock/door/config": {
            "name": "Shed Lock",
            "command_topic": "home/door/set",
            "state_topic": "home/door/state",
        },
        "homeassistant/fan/fan/config": {
            "name": "Desk Fan",
            "command_topic": "home/fan/set",
            "state_topic": "home/fan/state",
            "percentage_command_topic": "home/fan/pct/set",
            "percentage_state_topic": "home/fan/pct",
        },
        "homeassistant/sensor/temp/config": {
            "name": "Shed Temperature",
            "state_topic": "home/temp",
            "unit_of_measurement": "°C",
            "device_class": "temperature",
            "value_template": "{{ value_json.temperature }}",
        },
    }

    def start(self) -> None:
        self.client.connect_async("127.0.0.1", self.port)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _pub(self, topic: str, payload: str, retain: bool = True) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain)

    def announce(self) -> None:
        for topic, cfg in self.configs.items():
            self._pub(topic, json.dumps(cfg))
        self._pub("home/desk/status", "online")
        self._pub("home/desk/state", self.state["desk"])
        self._pub("home/desk/brightness", self.state["desk_bri"])
        self._pub("home/plug/state", self.state["plug"])
        self._pub("home/door/state", self.state["lock"])
        self._pub("home/blind/position", self.state["blind_pos"])
        self._pub("home/blind/state", "closed" if self.state["blind_pos"] == "0" else "open")
        self._pub("home/fan/state", self.state["fan"])
        self._pub("home/strip/state", json.dumps(self.strip))
        self._pub("home/temp", json.dumps({"temperature": 17.5}))
        self.announced += 1

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        client.subscribe("home/+/set", qos=1)
        client.subscribe("home/+/+/set", qos=1)
        client.subscribe("homeassistant/status", qos=1)
        self.announce()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        payload = msg.payload.decode()
        if msg.topic == "homeassistant/status":
            if payload == "online":
                self.announce()
            return
        self.received.append((msg.topic, payload))
        if not self.echo or msg.topic.startswith("home/dead"):
            return
        if msg.topic == "home/desk/set":
            self.state["desk"] = payload
            self._pub("home/desk/state", payload)
        elif msg.topic == "home/desk/brightness/set":
            self.state["desk_bri"] = payload
            self._pub("home/desk/brightness", payload)
        elif msg.topic == "home/plug/set":
            self.state["plug"] = payload
            self._pub("home/plug/state", payload)
        elif msg.topic == "home/door/set":
            self.state["lock"] = {"LOCK": "LOCKED", "UNLOCK": "UNLOCKED"}[payload]
            self._pub("home/door/state", self.state["lock"])
        elif msg.topic == "home/blind/position/set":
            self.state["blind_pos"] = payload
            self._pub("home/blind/position", payload)
            self._pub("home/blind/state", "closed" if payload == "0" else "open")
        elif msg.topic == "home/fan/set":
            self.state["fan"] = payload
            self._pub("home/fan/state", payload)
        elif msg.topic == "home/fan/pct/set":
            self._pub("home/fan/pct", payload)
            self._pub("home/fan/state", "ON" if payload != "0" else "OFF")
        elif msg.topic == "home/strip/set":
            cmd = json.loads(payload)
            self.strip.update(cmd)
            self._pub("home/strip/state", json.dumps(self.strip))


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def mqtt_home(tmp_path: Path) -> Iterator[tuple[Home, Broker, FakeDevices]]:
    broker = Broker(tmp_path)
    broker.start()
    devices = FakeDevices(broker.port)
    devices.start()
    home_file = tmp_path / "home.yaml"
    home_file.write_text(
        "areas:\n  - {id: office, name: Office, aliases: [study]}\n"
        "entities:\n  - {id: light.desk, name: Desk Light, aliases: [desk lamp], area: office}\n"
    )
    settings = MqttSettings(port=broker.port, command_timeout_s=1.5, reconnect_min_s=1, reconnect_max_s=2)
    home = create_home(file=home_file, adapter="mqtt", mqtt=settings)
    try:
        assert wait_for(lambda: home.entity("sensor.temp") is not None and home.entity("light.desk") is not None)
        assert wait_for(lambda: home.entity("light.desk").state == "off")  # type: ignore[union-attr]
        yield home, broker, devices
    finally:
        home.close()
        devices.stop()
        broker.stop()


def test_expand_discovery_abbreviations_and_base_topic() -> None:
    cfg = expand_discovery({"~": "home/x", "cmd_t": "~/set", "stat_t": "~/state", "dev": {"sa": "Kitchen"}})
    assert cfg == {
        "command_topic": "home/x/set",
        "state_topic": "home/x/state",
        "device": {"suggested_area": "Kitchen"},
    }


def test_discovery_commands_and_state_round_trip(mqtt_home: tuple[Home, Broker, FakeDevices]) -> None:
    home, _, devices = mqtt_home
    ids = {e.entity_id for e in home.entities()}
    assert {"light.desk", "light.strip", "switch.plug", "cover.blind", "lock.door", "fan.fan", "sensor.temp"} <= ids
    desk = home.entity("light.desk")
    assert desk is not None and desk.area_id == "office" and "desk lamp" in desk.aliases
    assert home.resolve("desk lamp").candidates[0].entity_id == "light.desk"
    assert wait_for(lambda: home.entity("sensor.temp").state == "17.5")  # type: ignore[union-attr]

    events: list[StateChange] = []
    home.subscribe(events.append)
    [action] = home.call_service("light.turn_on", ["light.desk"], {"brightness_pct": 50})
    assert action.success, action
    assert action.new_state is not None and action.new_state["state"] == "on"
    assert abs(action.new_state["attributes"]["brightness"] - 128) <= 3
    assert ("home/desk/brightness/set", "128") in devices.received and ("home/desk/set", "ON") in devices.received
    assert any(e.entity_id == "light.desk" and e.new_state["state"] == "on" for e in events)

    [strip] = home.call_service("light.turn_on", ["light.strip"], {"rgb_color": [255, 0, 0], "brightness": 100})
    assert strip.success and strip.new_state is not None
    assert strip.new_state["attributes"]["rgb_color"] == [255, 0, 0]
    assert json.loads(next(p for t, p in devices.received if t == "home/strip/set"))["color"] == {
        "r": 255,
        "g": 0,
        "b": 0,
    }
    [bad] = home.call_service("light.turn_on", ["light.strip"], {"color_temp_kelvin": 3000})
    assert not bad.success and bad.error_code == "device-unsupported"

    [blind] = home.call_service("cover.set_cover_position", ["cover.blind"], {"position": 40})
    assert blind.success and blind.new_state is not None and blind.new_state["attributes"]["current_position"] == 40
    # the confirmed state reaches the registry through the state topic: eventually consistent
    assert wait_for(lambda: home.entity("cover.blind").state == "open")  # type: ignore[union-attr]
    [unlock] = home.call_service("lock.unlock", ["lock.door"])
    assert unlock.success and home.entity("lock.door").state == "unlocked"  # type: ignore[union-attr]
    [fan] = home.call_service("fan.set_percentage", ["fan.fan"], {"percentage": 60})
    assert fan.success and home.entity("fan.fan").attributes["percentage"] == 60  # type: ignore[union-attr]
    [plug_on, plug_off] = [
        home.call_service("switch.turn_on", ["switch.plug"])[0],
        home.call_service("switch.toggle", ["switch.plug"])[0],
    ]
    assert plug_on.success and plug_off.success and home.entity("switch.plug").state == "off"  # type: ignore[union-attr]

    # optimistic device: no state topic, success assumed and said so
    [relay] = home.call_service("switch.turn_on", ["switch.blind_relay"])
    assert relay.success and relay.new_state is not None and relay.new_state["attributes"]["assumed_state"] is True
    # a device that never answers: no phantom success
    [dead] = home.call_service("switch.turn_on", ["switch.dead"])
    assert not dead.success and dead.error_code == "device-timeout"
    # read-only sensors
    [ro] = home.call_service("homeassistant.turn_on", ["sensor.temp"])
    assert ro.error_code == "device-read-only"

    # a change made at the device is followed
    events.clear()
    devices._pub("home/desk/state", "OFF")
    assert wait_for(lambda: home.entity("light.desk").state == "off")  # type: ignore[union-attr]
    assert any(e.entity_id == "light.desk" and e.new_state["state"] == "off" for e in events)
    # availability
    devices._pub("home/desk/status", "offline")
    assert wait_for(lambda: home.entity("light.desk").state == "unavailable")  # type: ignore[union-attr]
    [offline] = home.call_service("light.turn_on", ["light.desk"])
    assert offline.error_code == "device-unavailable"
    devices._pub("home/desk/status", "online")
    assert wait_for(lambda: home.entity("light.desk").state == "off")  # type: ignore[union-attr]


def test_broker_restart_is_survived(mqtt_home: tuple[Home, Broker, FakeDevices]) -> None:
    home, broker, devices = mqtt_home
    assert home.call_service("switch.turn_on", ["switch.plug"])[0].success
    sent_before = len(devices.received)

    broker.stop()
    assert wait_for(lambda: not home.available, timeout=10)
    [down] = home.call_service("switch.turn_off", ["switch.plug"])
    assert not down.success and down.error_code == "device-unavailable"
    assert home.entity("switch.plug").state == "unavailable"  # type: ignore[union-attr]
    assert len(devices.received) == sent_before  # nothing was sent, nothing claimed

    announced = devices.announced
    broker.start()
    assert wait_for(lambda: home.available, timeout=20)
    assert wait_for(lambda: devices.client.is_connected() and devices.announced > announced, timeout=20)
    assert wait_for(lambda: home.entity("switch.plug").state == "on", timeout=20)  # type: ignore[union-attr]
    [again] = home.call_service("switch.turn_off", ["switch.plug"])
    assert again.success, again
    assert home.entity("switch.plug").state == "off"  # type: ignore[union-attr]


def test_broker_down_at_start_fails_cleanly(tmp_path: Path) -> None:
    home_file = tmp_path / "home.yaml"
    home_file.write_text("areas: []\n")
    port = _free_port()
    home = create_home(file=home_file, adapter="mqtt", mqtt=MqttSettings(port=port, reconnect_max_s=1))
    try:
        assert not home.available
        assert home.entities() == []
        with pytest.raises(Exception) as err:
            home.call_service("switch.turn_on", [])
        assert "device-invalid-params" in str(err.value)
        [unknown] = home.call_service("switch.turn_on", ["switch.nothing"])
        assert unknown.error_code == "device-unknown"
    finally:
        home.close()


def test_threads_are_released(mqtt_home: tuple[Home, Broker, FakeDevices]) -> None:
    home, _, _ = mqtt_home
    before = threading.active_count()
    home.close()
    assert wait_for(lambda: threading.active_count() < before, timeout=5)
