"""MQTT covers: open/close/stop by payload, positions scaled between ``position_closed`` and ``position_open``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contracts.features import CoverEntityFeature
from devices.adapters.mqtt.entity import EchoPlatform, MqttEntity, Predicate, close_to, need

__all__ = ["COVER", "CoverPlatform"]


class CoverPlatform(EchoPlatform):
    name = "cover"

    def attributes(self, cfg: Mapping[str, Any]) -> dict[str, Any]:
        feats = 0
        if cfg.get("command_topic"):
            feats |= CoverEntityFeature.OPEN | CoverEntityFeature.CLOSE
            if "payload_stop" not in cfg or cfg.get("payload_stop") is not None:
                feats |= CoverEntityFeature.STOP
        if cfg.get("set_position_topic"):
            feats |= CoverEntityFeature.SET_POSITION
        return {"supported_features": int(feats)}

    # ---- state ----------------------------------------------------------------------------------------------------

    def apply_state(self, ent: MqttEntity, topic: str, payload: str) -> None:
        cfg, attrs = ent.config, ent.attributes
        if topic == cfg.get("state_topic"):
            value = ent.render("state_value_template", payload, "value_template")
            if value is not None:
                ent.last_state = self._state(ent, value)
        if topic == cfg.get("position_topic"):
            value = ent.render("position_template", payload)
            if value is not None and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
                lo, hi = float(ent.cfg("position_closed", 0)), float(ent.cfg("position_open", 100))
                pos = round((float(value) - lo) * 100 / (hi - lo)) if hi != lo else 0
                attrs["current_position"] = max(0, min(100, pos))
                if not cfg.get("state_topic"):
                    ent.last_state = "closed" if attrs["current_position"] == 0 else "open"

    @staticmethod
    def _state(ent: MqttEntity, value: str) -> str:
        table = {
            ent.cfg("state_open", "open"): "open",
            ent.cfg("state_opening", "opening"): "opening",
            ent.cfg("state_closed", "closed"): "closed",
            ent.cfg("state_closing", "closing"): "closing",
        }
        if value == ent.cfg("state_stopped", "stopped"):
            return "closed" if ent.attributes.get("current_position") == 0 else "open"
        return table.get(value, "unknown")

    # ---- commands -------------------------------------------------------------------------------------------------

    def resolve(self, name: str, state: str) -> str:
        if name == "toggle":
            return "close_cover" if state in ("open", "opening") else "open_cover"
        return name

    def commands(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> list[tuple[str, str]]:
        cmd = ent.config.get("command_topic")
        payload = {
            "open_cover": ("payload_open", "OPEN"),
            "close_cover": ("payload_close", "CLOSE"),
            "stop_cover": ("payload_stop", "STOP"),
        }.get(name)
        if payload is not None:
            return [(need(cmd), str(ent.cfg(*payload)))]
        if name == "set_cover_position":
            lo, hi = float(ent.cfg("position_closed", 0)), float(ent.cfg("position_open", 100))
            value = round(lo + (hi - lo) * int(data["position"]) / 100)
            return [(need(ent.config.get("set_position_topic")), str(value))]
        return []

    def predicate(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> Predicate:
        if name == "open_cover":
            return lambda st, attrs: st in ("open", "opening")
        if name == "close_cover":
            return lambda st, attrs: st in ("closed", "closing")
        if name == "set_cover_position":
            pos = int(data["position"])
            if ent.config.get("position_topic"):
                return lambda st, attrs: close_to(attrs, "current_position", pos, 1)
            return lambda st, attrs: st in ("open", "opening", "closed", "closing")
        return lambda st, attrs: True

    def unreported(self, ent: MqttEntity, name: str, data: Mapping[str, Any]) -> bool:
        return name == "set_cover_position" and not ent.config.get("position_topic")


COVER = CoverPlatform()
