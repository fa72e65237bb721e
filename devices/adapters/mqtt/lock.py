"""MQTT locks: lock/unlock/open by payload, confirmed by the reported state (``LOCKED``, ``UNLOCKED``...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.features import LockEntityFeature
from devices.adapters.mqtt.entity import EchoPlatform, MqttEntity, Predicate, Unsupported, need

__all__ = ["LOCK", "LockPlatform"]

_PAYLOADS = {"lock": ("payload_lock", "LOCK"), "unlock": ("payload_unlock", "UNLOCK"), "open": ("payload_open", "OPEN")}
_CONFIRMS = {
    "lock": ("locked", "locking"),
    "unlock": ("unlocked", "unlocking"),
    "open": ("open", "opening", "unlocked"),
}


class LockPlatform(EchoPlatform):
    name = "lock"

    def attributes(self, cfg: Mapping[str, Any]) -> dict[str, Any]:
        return {"supported_features": int(LockEntityFeature.OPEN) if cfg.get("payload_open") else 0}

    def apply_state(self, ent: MqttEntity, topic: str, payload: str) -> None:
        if topic != ent.config.get("state_topic"):
            return
        value = ent.render("state_value_template", payload, "value_template")
        if value is None:
            return
        table = {
            ent.cfg("state_locked", "LOCKED"): "locked",
            ent.cfg("state_unlocked", "UNLOCKED"): "unlocked",
            ent.cfg("state_locking", "LOCKING"): "locking",
            ent.cfg("state_unlocking", "UNLOCKING"): "unlocking",
            ent.cfg("state_jammed", "JAMMED"): "jammed",
            ent.cfg("state_open", "OPEN"): "open",
            ent.cfg("state_opening", "OPENING"): "opening",
        }
        ent.last_state = table.get(value, "unknown")

    def commands(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> list[tuple[str, str]]:
        if name not in _PAYLOADS:
            raise Unsupported(f"MQTT locks have no {name.replace('_', ' ')}")
        return [(need(ent.config.get("command_topic")), str(ent.cfg(*_PAYLOADS[name])))]

    def predicate(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> Predicate:
        wanted = _CONFIRMS.get(name, ())
        return lambda st, attrs: st in wanted


LOCK = LockPlatform()
