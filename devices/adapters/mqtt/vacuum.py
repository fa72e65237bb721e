"""MQTT vacuums (the ``state`` schema): a JSON state topic and the ``supported_features`` list.

Home Assistant is not optimistic for vacuums: without a state topic a command is only reported as sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from contracts.features import VacuumEntityFeature
from devices.adapters.base import ServiceCall
from devices.adapters.mqtt.entity import MqttEntity, Plan, Platform, Unsupported, need

__all__ = ["VACUUM", "VacuumPlatform"]

_LOG = logging.getLogger(__name__)
_STATES = frozenset({"cleaning", "docked", "idle", "paused", "returning", "error"})
_FEATURES = {
    "start": VacuumEntityFeature.START,
    "pause": VacuumEntityFeature.PAUSE,
    "stop": VacuumEntityFeature.STOP,
    "return_home": VacuumEntityFeature.RETURN_HOME,
    "fan_speed": VacuumEntityFeature.FAN_SPEED,
    "battery": VacuumEntityFeature.BATTERY,
    "status": VacuumEntityFeature.STATUS,
    "send_command": VacuumEntityFeature.SEND_COMMAND,
    "locate": VacuumEntityFeature.LOCATE,
    "clean_spot": VacuumEntityFeature.CLEAN_SPOT,
}
_DEFAULT_FEATURES = ("start", "stop", "return_home", "battery", "clean_spot")
_COMMANDS = {
    # service -> (feature, payload key, default payload)
    "start": (VacuumEntityFeature.START, "payload_start", "start"),
    "pause": (VacuumEntityFeature.PAUSE, "payload_pause", "pause"),
    "stop": (VacuumEntityFeature.STOP, "payload_stop", "stop"),
    "return_to_base": (VacuumEntityFeature.RETURN_HOME, "payload_return_to_base", "return_to_base"),
    "clean_spot": (VacuumEntityFeature.CLEAN_SPOT, "payload_clean_spot", "clean_spot"),
    "locate": (VacuumEntityFeature.LOCATE, "payload_locate", "locate"),
}
_EXPECT = {
    "start": ("cleaning",),
    "clean_spot": ("cleaning",),
    "pause": ("paused",),
    "stop": ("idle", "docked"),
    "return_to_base": ("returning", "docked"),
}


class VacuumPlatform(Platform):
    name = "vacuum"

    def attributes(self, cfg: Mapping[str, Any]) -> dict[str, Any]:
        feats = self.features(cfg)
        attrs: dict[str, Any] = {"supported_features": int(feats)}
        if feats & VacuumEntityFeature.FAN_SPEED:
            attrs["fan_speed_list"] = [str(s) for s in cfg.get("fan_speed_list") or []]
        return attrs

    @staticmethod
    def features(cfg: Mapping[str, Any]) -> VacuumEntityFeature:
        """The ``supported_features`` list, less the commands the device announced no topic for."""
        names = cfg.get("supported_features")
        listed = [str(n) for n in names] if isinstance(names, list) else list(_DEFAULT_FEATURES)
        feats = VacuumEntityFeature.STATE
        commands = {spec[0] for spec in _COMMANDS.values()}
        needs = {
            VacuumEntityFeature.FAN_SPEED: "set_fan_speed_topic",
            VacuumEntityFeature.SEND_COMMAND: "send_command_topic",
            **dict.fromkeys(commands, "command_topic"),
        }
        for name in listed:
            flag = _FEATURES.get(name)
            if flag is None:
                _LOG.warning("Unknown vacuum feature %r in an MQTT discovery payload", name)
                continue
            topic = needs.get(flag)
            if topic is None or cfg.get(topic):
                feats |= flag
        return feats

    def apply_state(self, ent: MqttEntity, topic: str, payload: str) -> None:
        if topic != ent.config.get("state_topic"):
            return
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        if "state" in data:
            if data["state"] in _STATES:
                ent.last_state = str(data["state"])
            elif data["state"] is None:
                ent.last_state = "unknown"
        battery = data.get("battery_level")
        if isinstance(battery, int | float) and not isinstance(battery, bool):
            ent.attributes["battery_level"] = int(max(0, min(100, battery)))
        if isinstance(data.get("fan_speed"), str):
            ent.attributes["fan_speed"] = data["fan_speed"]

    def plan(self, ent: MqttEntity, call: ServiceCall, state: str) -> Plan:
        cfg, name, data = ent.config, call.name, call.data
        features = ent.attributes.get("supported_features")
        feats = features if isinstance(features, int) else 0
        wanted: Any = None
        if name in _COMMANDS:
            flag, key, default = _COMMANDS[name]
            if not feats & flag:
                raise Unsupported(f"{ent.entity.name} does not support {name.replace('_', ' ')}")
            messages = [(need(cfg.get("command_topic")), str(ent.cfg(key, default)))]
        elif name == "set_fan_speed":
            wanted = str(data["fan_speed"])
            if not feats & VacuumEntityFeature.FAN_SPEED or wanted not in ent.attributes.get("fan_speed_list", ()):
                raise Unsupported(f"{ent.entity.name} has no fan speed '{wanted}'")
            messages = [(need(cfg.get("set_fan_speed_topic")), wanted)]
        elif name == "send_command":
            if not feats & VacuumEntityFeature.SEND_COMMAND:
                raise Unsupported(f"{ent.entity.name} takes no raw commands")
            params = data.get("params")
            command = str(data["command"])
            payload = json.dumps({"command": command, **params}) if isinstance(params, Mapping) else command
            messages = [(need(cfg.get("send_command_topic")), payload)]
        else:
            raise Unsupported(f"MQTT vacuums have no {name.replace('_', ' ')}")
        expected = _EXPECT.get(name)

        def check(st: str, at: Mapping[str, Any]) -> bool:
            if name == "set_fan_speed":
                return at.get("fan_speed") == wanted
            return expected is None or st in expected

        confirmable = bool(cfg.get("state_topic")) and (expected is not None or name == "set_fan_speed")
        return Plan(messages, "wait" if confirmable else "sent", check, name, data)


VACUUM = VacuumPlatform()
