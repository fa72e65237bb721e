"""MQTT valves: open/close/stop by payload, or positions (``reports_position``) scaled to ``position_open``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from contracts.features import ValveEntityFeature
from devices.adapters.base import ServiceCall
from devices.adapters.mqtt.entity import MqttEntity, Plan, Platform, Unsupported, need, number

__all__ = ["VALVE", "ValvePlatform"]

_LOG = logging.getLogger(__name__)
_FLAGS = {
    "open_valve": ValveEntityFeature.OPEN,
    "close_valve": ValveEntityFeature.CLOSE,
    "stop_valve": ValveEntityFeature.STOP,
    "set_valve_position": ValveEntityFeature.SET_POSITION,
}
_PAYLOADS = {
    "open_valve": ("payload_open", "OPEN"),
    "close_valve": ("payload_close", "CLOSE"),
    "stop_valve": ("payload_stop", "STOP"),
}


class ValvePlatform(Platform):
    name = "valve"

    def attributes(self, cfg: Mapping[str, Any]) -> dict[str, Any]:
        """Open/close when there is a command topic (and the payload is not null), position with reports_position."""
        feats = ValveEntityFeature(0)
        if cfg.get("command_topic"):
            positional = bool(cfg.get("reports_position"))
            if positional or "payload_open" not in cfg or cfg["payload_open"] is not None:
                feats |= ValveEntityFeature.OPEN
            if positional or "payload_close" not in cfg or cfg["payload_close"] is not None:
                feats |= ValveEntityFeature.CLOSE
            if positional:
                feats |= ValveEntityFeature.SET_POSITION
            if cfg.get("payload_stop") is not None:
                feats |= ValveEntityFeature.STOP
        return {"supported_features": int(feats)}

    # ---- state ----------------------------------------------------------------------------------------------------

    def apply_state(self, ent: MqttEntity, topic: str, payload: str) -> None:
        if topic != ent.config.get("state_topic"):
            return
        value = ent.render("value_template", payload)
        if not value:
            return
        positional = bool(ent.config.get("reports_position"))
        state_value: Any = value
        position_value: Any = value
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if isinstance(data, dict):
            if ("position" if positional else "state") not in data:
                _LOG.warning("%s: JSON valve state without %s", ent.entity_id, "position" if positional else "state")
                return
            state_value, position_value = data.get("state"), data.get("position")
        moving = {ent.cfg("state_opening", "opening"): "opening", ent.cfg("state_closing", "closing"): "closing"}
        if not positional:
            table = {ent.cfg("state_open", "open"): "open", ent.cfg("state_closed", "closed"): "closed", **moving}
            if state_value == "None":
                ent.last_state = "unknown"
            elif isinstance(state_value, str) and state_value in table:
                ent.last_state = table[state_value]
            return
        motion = moving.get(state_value) if isinstance(state_value, str) else None
        self._apply_position(ent, state_value, position_value, motion)

    @staticmethod
    def _apply_position(ent: MqttEntity, state_value: Any, position_value: Any, motion: str | None) -> None:
        if state_value == "None":
            ent.attributes["current_position"] = None
            return
        pct: int | None = None
        if motion is None or position_value != state_value:
            value = number(str(position_value)) if position_value is not None else None
            if value is not None:
                lo, hi = float(ent.cfg("position_closed", 0)), float(ent.cfg("position_open", 100))
                pct = max(0, min(100, round((value - lo) * 100 / (hi - lo)))) if hi != lo else 0
                ent.attributes["current_position"] = pct
            elif motion is None:
                return
        if motion is not None:
            ent.last_state = motion
        elif pct is not None and (pct in (0, 100) or ent.last_state not in ("opening", "closing")):
            ent.last_state = "closed" if pct == 0 else "open"

    # ---- commands -------------------------------------------------------------------------------------------------

    def plan(self, ent: MqttEntity, call: ServiceCall, state: str) -> Plan:
        cfg, name = ent.config, call.name
        if name == "toggle":
            name = "close_valve" if state in ("open", "opening") else "open_valve"
        flag = _FLAGS.get(name)
        features = ent.attributes.get("supported_features")
        if flag is None or not isinstance(features, int) or not features & flag:
            raise Unsupported(f"{ent.entity.name} cannot {name.replace('_', ' ')}")
        topic = need(cfg.get("command_topic"))
        target: int | None = None
        if cfg.get("reports_position") and name != "stop_valve":
            target = {"open_valve": 100, "close_valve": 0}.get(name)
            target = int(call.data["position"]) if target is None else target
            lo, hi = int(ent.cfg("position_closed", 0)), int(ent.cfg("position_open", 100))
            scaled = round(lo + (hi - lo) * target / 100)
            variables = {"position": target, "position_open": hi, "position_closed": lo}
            payload = ent.command("command_template", scaled, variables)
        else:
            payload = ent.command("command_template", ent.cfg(*_PAYLOADS[name]))
        moving = {"open_valve": "opening", "close_valve": "closing"}.get(name)

        def check(st: str, at: Mapping[str, Any]) -> bool:
            if name == "stop_valve":
                return True
            if target is None:
                return st in (("open", "opening") if name == "open_valve" else ("closed", "closing"))
            pos = at.get("current_position")
            return st == moving or (isinstance(pos, int | float) and abs(pos - target) <= 1)

        if ent.cfg("optimistic", False) or not cfg.get("state_topic"):
            mode = "sent" if name == "stop_valve" else "assume"
        else:
            mode = "wait"
        return Plan([(topic, payload)], mode, check, name, call.data)


VALVE = ValvePlatform()
