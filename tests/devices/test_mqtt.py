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

from contracts.messages import StateChange
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


# ---- climate, valve, vacuum ------------------------------------------------------------------------------------------


class FakeAppliances:
    """A thermostat, two valves and two robot vacuums that speak HA MQTT discovery and echo like their firmware."""

    configs: ClassVar[dict[str, dict[str, Any]]] = {
        "homeassistant/climate/hall/config": {  # abbreviated keys, one JSON state topic read through templates
            "~": "appl/hall",
            "name": "Hall Thermostat",
            "mode_cmd_t": "~/mode/set",
            "mode_stat_t": "~/state",
            "mode_stat_tpl": "{{ value_json.mode }}",
            "temp_cmd_t": "~/target/set",
            "temp_stat_t": "~/state",
            "temp_stat_tpl": "{{ value_json.target }}",
            "curr_temp_t": "~/state",
            "curr_temp_tpl": "{{ value_json.current }}",
            "act_t": "~/action",
            "modes": ["off", "heat", "cool"],
            "min_temp": 10,
            "max_temp": 28,
            "temp_step": 0.5,
            "temp_unit": "C",
        },
        "homeassistant/climate/attic/config": {  # no state topics: Home Assistant is optimistic
            "name": "Attic Heater",
            "mode_command_topic": "appl/attic/mode/set",
            "temperature_command_topic": "appl/attic/target/set",
            "temperature_command_template": '{"target": {{ value }}}',
            "modes": ["off", "heat"],
        },
        "homeassistant/climate/den/config": {  # mode reported, target temperature not: HA assumes the target
            "name": "Den AC",
            "mode_command_topic": "appl/den/mode/set",
            "mode_state_topic": "appl/den/mode",
            "temperature_command_topic": "appl/den/target/set",
            "fan_mode_command_topic": "appl/den/fan/set",
            "fan_mode_command_template": "{% if value == 'auto' %}0{% else %}{{ value }}{% endif %}",
            "modes": ["off", "cool"],
        },
        "homeassistant/valve/water_main/config": {
            "name": "Water Main",
            "cmd_t": "appl/water/set",
            "stat_t": "appl/water/state",
            "pl_stop": "STOP",
            "dev_cla": "water",
        },
        "homeassistant/valve/irrigation/config": {
            "name": "Garden Irrigation",
            "command_topic": "appl/irrigation/set",
            "state_topic": "appl/irrigation/state",
            "reports_position": True,
            "position_closed": 0,
            "position_open": 255,
        },
        "homeassistant/vacuum/robo/config": {
            "name": "Robo Vacuum",
            "cmd_t": "appl/robo/cmd",
            "stat_t": "appl/robo/state",
            "sup_feat": ["start", "pause", "stop", "return_home", "battery", "status", "fan_speed"],
            "fanspd_lst": ["quiet", "normal", "turbo"],
            "set_fan_spd_t": "appl/robo/fan/set",
        },
        "homeassistant/vacuum/basic/config": {"name": "Basic Vacuum", "command_topic": "appl/basic/cmd"},
    }

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[str, str]] = []
        self.echo = True
        self.hall: dict[str, Any] = {"mode": "off", "target": 19.0, "current": 18.2}
        self.water = "closed"
        self.irrigation = 0
        self.robo: dict[str, Any] = {"state": "docked", "battery_level": 90, "fan_speed": "normal"}
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="fake-appliances")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def start(self) -> None:
        self.client.connect_async("127.0.0.1", self.port)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _pub(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, qos=1, retain=True)

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        for topic in ("appl/+/set", "appl/+/+/set", "appl/+/cmd"):
            client.subscribe(topic, qos=1)
        for topic, cfg in self.configs.items():
            self._pub(topic, json.dumps(cfg))
        self._pub("appl/hall/state", json.dumps(self.hall))
        self._pub("appl/hall/action", "idle")
        self._pub("appl/den/mode", "off")
        self._pub("appl/water/state", self.water)
        self._pub("appl/irrigation/state", json.dumps({"position": self.irrigation}))
        self._pub("appl/robo/state", json.dumps(self.robo))

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        payload = msg.payload.decode()
        self.received.append((msg.topic, payload))
        if not self.echo:
            return
        if msg.topic == "appl/hall/mode/set":
            self.hall["mode"] = payload
            self._pub("appl/hall/state", json.dumps(self.hall))
        elif msg.topic == "appl/hall/target/set":
            self.hall["target"] = float(payload)
            self._pub("appl/hall/state", json.dumps(self.hall))
        elif msg.topic == "appl/den/mode/set":
            self._pub("appl/den/mode", payload)
        elif msg.topic == "appl/water/set":
            if payload in ("OPEN", "CLOSE"):
                self._pub("appl/water/state", "opening" if payload == "OPEN" else "closing")
                self.water = "open" if payload == "OPEN" else "closed"
            self._pub("appl/water/state", self.water)
        elif msg.topic == "appl/irrigation/set":
            self.irrigation = int(payload)
            self._pub("appl/irrigation/state", json.dumps({"position": self.irrigation}))
        elif msg.topic == "appl/robo/cmd":
            after = {"start": "cleaning", "pause": "paused", "stop": "idle", "return_to_base": "returning"}
            self.robo["state"] = after[payload]
            self._pub("appl/robo/state", json.dumps(self.robo))
        elif msg.topic == "appl/robo/fan/set":
            self.robo["fan_speed"] = payload
            self._pub("appl/robo/state", json.dumps(self.robo))


@pytest.fixture
def appliance_home(tmp_path: Path) -> Iterator[tuple[Home, FakeAppliances]]:
    broker = Broker(tmp_path)
    broker.start()
    devices = FakeAppliances(broker.port)
    devices.start()
    home_file = tmp_path / "home.yaml"
    home_file.write_text("areas:\n  - {id: hall, name: Hall}\n")
    settings = MqttSettings(port=broker.port, command_timeout_s=1.0, reconnect_min_s=1, reconnect_max_s=2)
    home = create_home(file=home_file, adapter="mqtt", mqtt=settings)
    ids = [f"climate.{n}" for n in ("hall", "attic", "den")]
    ids += ["valve.water_main", "valve.irrigation", "vacuum.robo", "vacuum.basic"]
    try:
        assert wait_for(lambda: all(home.entity(i) is not None for i in ids))
        assert wait_for(lambda: home.entity("vacuum.robo").state == "docked")  # type: ignore[union-attr]
        assert wait_for(lambda: home.entity("climate.hall").attributes.get("hvac_action") == "idle")  # type: ignore[union-attr]
        yield home, devices
    finally:
        home.close()
        devices.stop()
        broker.stop()


def _entity(home: Home, entity_id: str) -> Any:
    entity = home.entity(entity_id)
    assert entity is not None, entity_id
    return entity


def test_expand_discovery_climate_valve_vacuum_abbreviations() -> None:
    cfg = expand_discovery(
        {"~": "t", "mode_cmd_t": "~/m", "temp_stat_tpl": "{{ value }}", "sup_feat": ["start"], "set_fan_spd_t": "~/f"}
    )
    assert cfg == {
        "mode_command_topic": "t/m",
        "temperature_state_template": "{{ value }}",
        "supported_features": ["start"],
        "set_fan_speed_topic": "t/f",
    }


def test_climate_round_trips(appliance_home: tuple[Home, FakeAppliances]) -> None:
    home, devices = appliance_home
    hall = _entity(home, "climate.hall")
    assert hall.state == "off"
    assert hall.attributes["hvac_modes"] == ["off", "heat", "cool"]
    assert (hall.attributes["min_temp"], hall.attributes["max_temp"], hall.attributes["target_temp_step"]) == (
        10.0,
        28.0,
        0.5,
    )
    assert hall.attributes["current_temperature"] == 18.2 and hall.attributes["temperature"] == 19.0
    assert {"climate.set_temperature", "climate.set_hvac_mode", "climate.turn_on", "climate.turn_off"} <= hall.services
    assert "climate.set_fan_mode" not in hall.services and "climate.set_humidity" not in hall.services

    [temp] = home.call_service("climate.set_temperature", ["climate.hall"], {"temperature": 21.5})
    assert temp.success, temp
    assert temp.new_state is not None and temp.new_state["attributes"]["temperature"] == 21.5
    assert ("appl/hall/target/set", "21.5") in devices.received
    [heat] = home.call_service("climate.set_hvac_mode", ["climate.hall"], {"hvac_mode": "heat"})
    assert heat.success and _entity(home, "climate.hall").state == "heat"
    [off] = home.call_service("climate.turn_off", ["climate.hall"])
    assert off.success and _entity(home, "climate.hall").state == "off"
    [on] = home.call_service("homeassistant.turn_on", ["climate.hall"])
    assert on.success and _entity(home, "climate.hall").state == "heat"  # the last mode it was in
    assert devices.received[-1] == ("appl/hall/mode/set", "heat")

    # validation against the announced capabilities, before anything is sent
    sent = len(devices.received)
    [too_hot] = home.call_service("climate.set_temperature", ["climate.hall"], {"temperature": 40})
    assert too_hot.error_code == "device-invalid-params"
    [dry] = home.call_service("climate.set_hvac_mode", ["climate.hall"], {"hvac_mode": "dry"})
    assert dry.error_code == "device-invalid-params"
    [fan] = home.call_service("climate.set_fan_mode", ["climate.hall"], {"fan_mode": "low"})
    assert fan.error_code == "device-unsupported"
    [ranged] = home.call_service("climate.set_temperature", ["climate.hall"], {"target_temp_low": 18})
    assert ranged.error_code == "device-unsupported"
    assert len(devices.received) == sent

    # the device does not answer: no phantom success
    devices.echo = False
    [silent] = home.call_service("climate.set_temperature", ["climate.hall"], {"temperature": 23})
    assert not silent.success and silent.error_code == "device-timeout"
    assert _entity(home, "climate.hall").attributes["temperature"] == 21.5

    # a device without state topics is optimistic in HA: success assumed and said so; command template rendered
    [attic] = home.call_service("climate.set_temperature", ["climate.attic"], {"temperature": 20})
    assert attic.success and attic.new_state is not None
    assert attic.new_state["attributes"]["temperature"] == 20.0 and attic.new_state["attributes"]["assumed_state"]
    assert wait_for(lambda: ("appl/attic/target/set", '{"target": 20.0}') in devices.received)
    [attic_on] = home.call_service("climate.turn_on", ["climate.attic"])
    assert attic_on.success and _entity(home, "climate.attic").state == "heat"


def test_valve_round_trips(appliance_home: tuple[Home, FakeAppliances]) -> None:
    home, devices = appliance_home
    water = _entity(home, "valve.water_main")
    assert water.device_class == "water" and water.state == "closed"
    assert water.attributes["supported_features"] == 1 | 2 | 8  # open, close, stop
    assert {"valve.open_valve", "valve.close_valve", "valve.stop_valve"} <= water.services
    assert "valve.set_valve_position" not in water.services
    assert home.risk("valve.water_main", "valve.open_valve").value == "sensitive"
    irrigation = _entity(home, "valve.irrigation")
    assert irrigation.attributes["supported_features"] == 1 | 2 | 4 and irrigation.state == "closed"

    [opened] = home.call_service("valve.open_valve", ["valve.water_main"], confirmed=True)
    assert opened.success and opened.new_state is not None and opened.new_state["state"] in ("opening", "open")
    assert wait_for(lambda: _entity(home, "valve.water_main").state == "open")
    [closed] = home.call_service("valve.toggle", ["valve.water_main"])
    assert closed.success and ("appl/water/set", "CLOSE") in devices.received
    assert wait_for(lambda: _entity(home, "valve.water_main").state == "closed")
    [stopped] = home.call_service("valve.stop_valve", ["valve.water_main"])
    assert stopped.success and devices.received[-1] == ("appl/water/set", "STOP")
    [no_pos] = home.call_service("valve.set_valve_position", ["valve.water_main"], {"position": 50})
    assert no_pos.error_code == "device-unsupported"

    # position valves: positions are scaled to position_open and confirmed by the reported position
    [half] = home.call_service("valve.set_valve_position", ["valve.irrigation"], {"position": 40}, confirmed=True)
    assert half.success and half.new_state is not None
    assert half.new_state["attributes"]["current_position"] == 40 and half.new_state["state"] == "open"
    assert devices.received[-1] == ("appl/irrigation/set", "102")
    [shut] = home.call_service("valve.close_valve", ["valve.irrigation"])
    assert shut.success and devices.received[-1] == ("appl/irrigation/set", "0")
    assert _entity(home, "valve.irrigation").state == "closed"
    [stop] = home.call_service("valve.stop_valve", ["valve.irrigation"])
    assert stop.error_code == "device-unsupported"

    devices.echo = False
    [silent] = home.call_service("valve.open_valve", ["valve.water_main"], confirmed=True)
    assert not silent.success and silent.error_code == "device-timeout"
    assert _entity(home, "valve.water_main").state == "closed"


def test_vacuum_round_trips(appliance_home: tuple[Home, FakeAppliances]) -> None:
    home, devices = appliance_home
    robo = _entity(home, "vacuum.robo")
    assert robo.attributes["battery_level"] == 90 and robo.attributes["fan_speed"] == "normal"
    assert robo.attributes["fan_speed_list"] == ["quiet", "normal", "turbo"]
    assert {"vacuum.start", "vacuum.pause", "vacuum.stop", "vacuum.return_to_base", "vacuum.set_fan_speed"} <= (
        robo.services
    )
    assert "vacuum.clean_spot" not in robo.services and "vacuum.locate" not in robo.services

    [start] = home.call_service("vacuum.start", ["vacuum.robo"])
    assert start.success and start.new_state is not None and start.new_state["state"] == "cleaning"
    assert devices.received[-1] == ("appl/robo/cmd", "start")
    [pause] = home.call_service("vacuum.pause", ["vacuum.robo"])
    assert pause.success and _entity(home, "vacuum.robo").state == "paused"
    [speed] = home.call_service("vacuum.set_fan_speed", ["vacuum.robo"], {"fan_speed": "turbo"})
    assert speed.success and _entity(home, "vacuum.robo").attributes["fan_speed"] == "turbo"
    [dock] = home.call_service("homeassistant.turn_off", ["vacuum.robo"])  # -> vacuum.return_to_base
    assert dock.success and _entity(home, "vacuum.robo").state == "returning"
    [spot] = home.call_service("vacuum.clean_spot", ["vacuum.robo"])
    assert spot.error_code == "device-unsupported"

    devices.echo = False
    [silent] = home.call_service("vacuum.start", ["vacuum.robo"])
    assert not silent.success and silent.error_code == "device-timeout"

    # no state topic: HA is not optimistic for vacuums, so the command is only reported as sent
    basic = _entity(home, "vacuum.basic")
    assert "vacuum.clean_spot" in basic.services and "vacuum.pause" not in basic.services  # HA's default features
    [sent] = home.call_service("vacuum.start", ["vacuum.basic"])
    assert sent.success and sent.new_state is not None and sent.new_state["state"] == "unknown"
    assert wait_for(lambda: ("appl/basic/cmd", "start") in devices.received)


def test_climate_partly_reported_and_full_templates(appliance_home: tuple[Home, FakeAppliances]) -> None:
    home, devices = appliance_home
    assert wait_for(lambda: _entity(home, "climate.den").state == "off")
    # the mode is confirmed by the device; the target temperature, which it does not report, is assumed as HA does
    data = {"temperature": 24, "hvac_mode": "cool"}
    [both] = home.call_service("climate.set_temperature", ["climate.den"], data)
    assert both.success and both.new_state is not None
    assert both.new_state["state"] == "cool" and both.new_state["attributes"]["temperature"] == 24.0
    assert devices.received[-2:] == [("appl/den/mode/set", "cool"), ("appl/den/target/set", "24.0")]
    # full Home Assistant command templates are rendered ({% if %}...); the fan mode is not reported: assumed
    [fan] = home.call_service("climate.set_fan_mode", ["climate.den"], {"fan_mode": "low"})
    assert fan.success and fan.assumed, fan
    assert wait_for(lambda: ("appl/den/fan/set", "low") in devices.received)
    [auto] = home.call_service("climate.set_fan_mode", ["climate.den"], {"fan_mode": "auto"})
    assert auto.success and wait_for(lambda: ("appl/den/fan/set", "0") in devices.received)
    # the mode is reported, so a silent device is not taken at its word
    devices.echo = False
    [silent] = home.call_service("climate.turn_off", ["climate.den"])
    assert silent.error_code == "device-timeout" and _entity(home, "climate.den").state == "cool"
