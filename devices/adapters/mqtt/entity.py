"""What every MQTT component shares: the discovered-entity record, the command plan, and the platform interface."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.home import Entity
from devices.adapters.base import ServiceCall
from devices.adapters.mqtt.templates import render_command, render_value

__all__ = [
    "STATE_TOPIC_KEYS",
    "MqttEntity",
    "Plan",
    "Platform",
    "Predicate",
    "Unsupported",
    "close_to",
    "need",
    "number",
    "on_off_state",
]

Predicate = Callable[[str, Mapping[str, Any]], bool]
"""True when the reported (state, attributes) show that a command took effect."""

STATE_TOPIC_KEYS = (
    "state_topic",
    "position_topic",
    "current_temperature_topic",
    "current_humidity_topic",
    "action_topic",
    "json_attributes_topic",
)
"""Topics the adapter follows besides every ``*_state_topic``."""


class Unsupported(Exception):
    """The device announced no way to carry out this command."""


@dataclass
class MqttEntity:
    """One discovered entity and what the adapter knows about it (mutable; guarded by the adapter lock)."""

    component: str
    object_id: str
    config: dict[str, Any]
    entity: Entity
    last_state: str
    attributes: dict[str, Any]
    availability: dict[str, bool] = field(default_factory=dict)
    last_on_mode: str | None = None
    """Climate: the last HVAC mode other than off (what ``turn_on`` restores)."""

    @property
    def entity_id(self) -> str:
        return self.entity.entity_id

    def cfg(self, key: str, default: Any = None) -> Any:
        value = self.config.get(key)
        return default if value is None else value

    def availability_topics(self) -> list[dict[str, Any]]:
        topics: list[dict[str, Any]] = []
        if isinstance(self.config.get("availability_topic"), str):
            topics.append(
                {
                    "topic": self.config["availability_topic"],
                    "payload_available": self.cfg("payload_available", "online"),
                    "payload_not_available": self.cfg("payload_not_available", "offline"),
                }
            )
        for item in self.config.get("availability") or []:
            if isinstance(item, Mapping) and isinstance(item.get("topic"), str):
                topics.append(
                    {
                        "topic": item["topic"],
                        "payload_available": item.get("payload_available") or "online",
                        "payload_not_available": item.get("payload_not_available") or "offline",
                    }
                )
        return topics

    def is_available(self) -> bool:
        topics = self.availability_topics()
        if not topics:
            return True
        mode = self.cfg("availability_mode", "latest")
        values = [self.availability.get(t["topic"]) for t in topics]
        if mode == "all":
            return all(v is True for v in values)
        if mode == "any":
            return any(v is True for v in values)
        return self.availability.get("__latest__", False)

    @property
    def json_schema(self) -> bool:
        return self.component == "light" and self.cfg("schema", "default") == "json"

    def state_topics(self) -> list[str]:
        keys = [k for k in self.config if k.endswith("_state_topic") or k in STATE_TOPIC_KEYS]
        topics = [self.config[k] for k in keys if isinstance(self.config.get(k), str)]
        return list(dict.fromkeys(topics))

    def optimistic(self) -> bool:
        if self.cfg("optimistic", False):
            return True
        if self.component == "cover":
            return not (self.config.get("state_topic") or self.config.get("position_topic"))
        return not self.config.get("state_topic")

    def render(self, template_key: str | None, payload: str, fallback_key: str | None = None) -> str | None:
        """``payload`` through the value template under ``template_key`` (or ``fallback_key``); None if it fails."""
        template = self.config.get(template_key) if template_key else None
        if not template and fallback_key:
            template = self.config.get(fallback_key)
        return render_value(template, payload, entity_id=self.entity_id)

    def command(self, template_key: str | None, value: Any, variables: Mapping[str, Any] | None = None) -> str:
        """``value`` through the command template under ``template_key`` (raises ``TemplateError``)."""
        template = self.config.get(template_key) if template_key else None
        return render_command(template, value, variables, entity_id=self.entity_id)


@dataclass(frozen=True)
class Plan:
    """What a call publishes and how its outcome is known."""

    messages: list[tuple[str, str]]
    """(topic, payload) to publish, in order."""
    mode: str
    """'wait' for the device to confirm, 'assume' success (HA is optimistic), or 'sent' (nothing can confirm it)."""
    predicate: Predicate
    """True when the reported (state, attributes) show the command took effect."""
    service: str
    """The service as carried out (e.g. climate.turn_off sent as set_hvac_mode), for the optimistic model."""
    data: Mapping[str, Any]
    """Its data."""
    assumed: dict[str, Any] = field(default_factory=dict)
    """Changes applied on confirmation without being reported ('state' or attributes)."""
    unreported: bool = False
    """True when part of what the call changes has no state topic: a confirmation covers only the rest."""


class Platform:
    """One discovery component: its capabilities, how it reads state messages, and how it carries out calls."""

    name = ""

    def attributes(self, cfg: Mapping[str, Any]) -> dict[str, Any]:
        """Component attributes derived from the discovery config (supported features, modes...)."""
        return {}

    def initial_state(self, cfg: Mapping[str, Any]) -> str:
        """A new entity's state before the device reports one."""
        return "unknown"

    def apply_state(self, ent: MqttEntity, topic: str, payload: str) -> None:
        """Update ``ent`` from a message on one of its state topics."""

    def plan(self, ent: MqttEntity, call: ServiceCall, state: str) -> Plan:
        """What to publish for ``call`` and how to know it worked; raises ``Unsupported``."""
        raise Unsupported(f"{self.name} entities take no commands")


class EchoPlatform(Platform):
    """Components confirmed by their state echo, optimistic without a state topic (light, switch, fan, cover, lock)."""

    def plan(self, ent: MqttEntity, call: ServiceCall, state: str) -> Plan:
        name = self.resolve(call.name, state)
        messages = self.commands(ent, name, call.data, state)
        mode = "assume" if ent.optimistic() else "wait"
        predicate = self.predicate(ent, name, call.data, state)
        unreported = self.unreported(ent, call.name, call.data)
        return Plan(messages, mode, predicate, call.name, call.data, unreported=unreported)

    def resolve(self, name: str, state: str) -> str:
        """``toggle`` as the call it stands for in ``state``."""
        if name == "toggle":
            return "turn_off" if state == "on" else "turn_on"
        return name

    def commands(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> list[tuple[str, str]]:
        raise Unsupported(f"{self.name} entities take no commands")

    def predicate(self, ent: MqttEntity, name: str, data: Mapping[str, Any], state: str) -> Predicate:
        return lambda st, attrs: True

    def unreported(self, ent: MqttEntity, name: str, data: Mapping[str, Any]) -> bool:
        """Whether the call sets something the echo cannot show (no state topic for it, or not checked)."""
        return False


def need(topic: Any) -> str:
    """The command topic, or ``Unsupported`` when the device announced none."""
    if not isinstance(topic, str) or not topic:
        raise Unsupported("The device announced no topic for this command")
    return topic


def number(value: str | None) -> float | None:
    """A numeric payload as a float, or None."""
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def close_to(attrs: Mapping[str, Any], key: str, want: Any, tol: float) -> bool:
    """Whether the reported attribute (a number or a list of numbers) is within ``tol`` of ``want``."""
    have = attrs.get(key)
    if isinstance(want, list):
        return isinstance(have, list) and all(abs(a - b) <= tol for a, b in zip(have, want, strict=False))
    return isinstance(have, int | float) and abs(float(have) - float(want)) <= tol


def on_off_state(ent: MqttEntity, value: str) -> str:
    """An on/off payload (``state_on``/``payload_on``...) as ``on``/``off``; other text lower-cased."""
    if value in (ent.cfg("state_on"), ent.cfg("payload_on", "ON")):
        return "on"
    if value in (ent.cfg("state_off"), ent.cfg("payload_off", "OFF")):
        return "off"
    return "unknown" if value in ("None", "") else value.lower()
