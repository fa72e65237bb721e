"""The MQTT adapter: one broker connection, Home Assistant discovery, state following, and confirmed commands.

What each component announces, reports and accepts is in its own module (``light``, ``climate``...); this module
owns the connection, the entity table and the command round trip:

- Commands: a call succeeds only when the device echoes the expected state within ``command_timeout_s``
  (otherwise ``device-timeout`` or ``device-not-confirmed``). Where Home Assistant is optimistic (no state topic for
  what was changed, or ``optimistic``) success is assumed and said so (``assumed_state: true``). Commands with nothing
  to confirm are reported as sent (``optimistic``), the state unchanged. Every success not wholly confirmed by a
  state report has ``optimistic=True``: ``Home`` marks its ``Action`` ``assumed`` and the reply says the state cannot
  be confirmed. A command the device announced no way to carry out, or whose command template cannot be rendered,
  is ``device-unsupported`` and nothing is sent.
- Broker down: every call fails at once with ``device-unavailable``; entities show ``unavailable``; paho reconnects
  with exponential backoff and the adapter resubscribes and announces itself (``<prefix>/status`` = ``online``).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from contracts.home import Entity
from contracts.messages import ErrorCode, StateChange
from devices.adapters.base import AdapterListener, CallResult, ServiceCall, state_dict
from devices.adapters.mqtt.binary_sensor import BINARY_SENSOR
from devices.adapters.mqtt.climate import CLIMATE
from devices.adapters.mqtt.cover import COVER
from devices.adapters.mqtt.discovery import COMPONENTS, base_attributes, identify, parse_payload, parse_topic
from devices.adapters.mqtt.entity import MqttEntity, Plan, Platform, Predicate, Unsupported
from devices.adapters.mqtt.fan import FAN
from devices.adapters.mqtt.light import LIGHT
from devices.adapters.mqtt.lock import LOCK
from devices.adapters.mqtt.sensor import SENSOR
from devices.adapters.mqtt.settings import MqttSettings
from devices.adapters.mqtt.switch import SWITCH
from devices.adapters.mqtt.templates import TemplateError
from devices.adapters.mqtt.vacuum import VACUUM
from devices.adapters.mqtt.valve import VALVE
from devices.loader import make_entity
from devices.simulate import apply_service

__all__ = ["PLATFORMS", "MqttAdapter"]

_LOG = logging.getLogger(__name__)
PLATFORMS: Mapping[str, Platform] = {
    p.name: p for p in (LIGHT, SWITCH, COVER, LOCK, FAN, SENSOR, BINARY_SENSOR, CLIMATE, VALVE, VACUUM)
}
"""Each discovery component's platform."""
assert tuple(PLATFORMS) == COMPONENTS, "every discovery component has a platform"


@dataclass
class _Waiter:
    entity_id: str
    predicate: Predicate
    event: threading.Event = field(default_factory=threading.Event)
    saw_update: bool = False


class MqttAdapter:
    """Home Assistant MQTT discovery devices on one broker."""

    name = "mqtt"

    def __init__(self, settings: MqttSettings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._devices: dict[str, MqttEntity] = {}
        self._by_config_topic: dict[str, str] = {}
        self._topic_index: dict[str, set[str]] = {}
        self._subscribed: set[str] = set()
        self._waiters: list[_Waiter] = []
        self._listener: AdapterListener | None = None
        self._connected = threading.Event()
        self._started = False
        prefix = settings.discovery_prefix.rstrip("/")
        self._status_topic = f"{prefix}/status"
        self._discovery_topics = (f"{prefix}/+/+/config", f"{prefix}/+/+/+/config")
        client_id = settings.client_id or f"assistant-{uuid.uuid4().hex[:8]}"
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        if settings.username:
            self._client.username_pw_set(settings.username, settings.password)
        if settings.birth:
            self._client.will_set(self._status_topic, "offline", qos=1, retain=False)
        self._client.reconnect_delay_set(min_delay=settings.reconnect_min_s, max_delay=settings.reconnect_max_s)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    # ---- lifecycle ------------------------------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """True while connected to the broker."""
        return self._connected.is_set() and self._client.is_connected()

    def start(self, listener: AdapterListener) -> None:
        """Connect in the background (the broker may be down: paho keeps retrying with backoff)."""
        self._listener = listener
        if self._started:
            return
        self._started = True
        self._client.connect_async(self.settings.host, self.settings.port, keepalive=self.settings.keepalive_s)
        self._client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected (True) or the timeout passes (False)."""
        return self._connected.wait(timeout)

    def stop(self) -> None:
        """Say goodbye and disconnect."""
        if not self._started:
            return
        self._started = False
        try:
            if self.available and self.settings.birth:
                self._client.publish(self._status_topic, "offline", qos=0).wait_for_publish(1.0)
        except Exception:  # disconnecting anyway
            pass
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()
        self._listener = None

    # ---- paho callbacks (network thread) --------------------------------------------------------------------------

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if getattr(reason_code, "is_failure", False):
            _LOG.warning("MQTT broker refused the connection: %s", reason_code)
            return
        _LOG.info("Connected to MQTT broker %s:%s", self.settings.host, self.settings.port)
        with self._lock:
            topics = set(self._discovery_topics)
            for dev in self._devices.values():
                topics.update(dev.state_topics())
                topics.update(t["topic"] for t in dev.availability_topics())
            self._subscribed = set(topics)
        for topic in sorted(topics):
            client.subscribe(topic, qos=self.settings.qos)
        if self.settings.birth:
            client.publish(self._status_topic, "online", qos=1)
        self._connected.set()
        self._restore_all()

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        if was:
            _LOG.warning("Lost the MQTT broker (%s); reconnecting with backoff", reason_code)
        with self._lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            waiter.event.set()  # wake callers: they see the broker is gone
        self._mark_all_unavailable()

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        try:
            payload = message.payload.decode("utf-8", errors="replace")
            topic = message.topic
            if topic.endswith("/config") and topic.startswith(self.settings.discovery_prefix.rstrip("/") + "/"):
                self._on_discovery(topic, payload)
                return
            with self._lock:
                ids = list(self._topic_index.get(topic, ()))
            for entity_id in ids:
                self._on_device_message(entity_id, topic, payload)
        except Exception:  # never kill paho's thread
            _LOG.exception("Bad MQTT message on %s", message.topic)

    # ---- discovery ------------------------------------------------------------------------------------------------

    def _on_discovery(self, topic: str, payload: str) -> None:
        found = parse_topic(self.settings.discovery_prefix, topic)
        if found is None:
            return
        if not payload.strip():
            self._forget(topic)
            return
        cfg = parse_payload(payload)
        if cfg is None:
            _LOG.warning("Discovery payload on %s is not a JSON object", topic)
            return
        platform = PLATFORMS[found.component]
        who = identify(found.component, found.object_id, cfg)
        attrs = {**base_attributes(cfg), **platform.attributes(cfg)}
        with self._lock:
            previous = self._devices.get(who.entity_id)
            state = previous.last_state if previous else platform.initial_state(cfg)
            if previous:
                attrs = {**previous.attributes, **attrs}
            entity = make_entity(
                who.entity_id, who.name, state=state, attributes=attrs, area_id=who.area_id, device_id=who.device_id
            )
            dev = MqttEntity(found.component, who.object_id, cfg, entity, state, dict(entity.attributes))
            if previous:
                dev.availability = previous.availability
                dev.last_on_mode = previous.last_on_mode
            self._devices[who.entity_id] = dev
            self._by_config_topic[topic] = who.entity_id
            self._reindex()
            new_topics = [t for t in self._topic_index if t not in self._subscribed]
            self._subscribed.update(new_topics)
        if self.available:
            for t in new_topics:
                self._client.subscribe(t, qos=self.settings.qos)
        _LOG.info("MQTT discovered %s (%s)", who.entity_id, who.name)
        self._publish_entity(who.entity_id, previous_state=None)
        self._entities_changed()

    def _forget(self, config_topic: str) -> None:
        """An empty config payload: the entity is removed."""
        with self._lock:
            entity_id = self._by_config_topic.pop(config_topic, None)
            removed = self._devices.pop(entity_id, None) if entity_id else None
            self._reindex()
        if removed:
            _LOG.info("MQTT entity %s removed", removed.entity_id)
            self._entities_changed()

    def _reindex(self) -> None:
        index: dict[str, set[str]] = {}
        for dev in self._devices.values():
            for topic in dev.state_topics() + [t["topic"] for t in dev.availability_topics()]:
                index.setdefault(topic, set()).add(dev.entity_id)
        self._topic_index = index

    def _entities_changed(self) -> None:
        listener = self._listener
        if listener is not None:
            listener.on_entities()

    # ---- state ----------------------------------------------------------------------------------------------------

    def _visible(self, dev: MqttEntity) -> tuple[str, dict[str, Any]]:
        if not self.available or not dev.is_available():
            return "unavailable", dict(dev.attributes)
        return dev.last_state, dict(dev.attributes)

    def _publish_entity(self, entity_id: str, previous_state: tuple[str, dict[str, Any]] | None) -> None:
        with self._lock:
            dev = self._devices.get(entity_id)
            if dev is None:
                return
            state, attrs = self._visible(dev)
            old_entity = dev.entity
            dev.entity = Entity(
                entity_id=old_entity.entity_id,
                name=old_entity.name,
                state=state,
                attributes=attrs,
                aliases=old_entity.aliases,
                area_id=old_entity.area_id,
                device_id=old_entity.device_id,
                device_class=old_entity.device_class,
                services=old_entity.services,
            )
            for waiter in self._waiters:
                if waiter.entity_id == entity_id and previous_state is not None:
                    waiter.saw_update = True
                    if state != "unavailable" and waiter.predicate(state, attrs):
                        waiter.event.set()
        if previous_state is not None and previous_state != (state, attrs):
            listener = self._listener
            if listener is not None:
                listener.on_state(
                    StateChange(entity_id, state_dict(*previous_state), state_dict(state, attrs), source="mqtt")
                )

    def _mark_all_unavailable(self) -> None:
        with self._lock:
            ids = list(self._devices)
        for entity_id in ids:
            with self._lock:
                dev = self._devices.get(entity_id)
                if dev is None:
                    continue
                before = (dev.entity.state, dict(dev.entity.attributes))
            self._publish_entity(entity_id, before)

    def _restore_all(self) -> None:
        self._mark_all_unavailable()  # same mechanics: re-evaluate visibility now that we are connected

    def _on_device_message(self, entity_id: str, topic: str, payload: str) -> None:
        with self._lock:
            dev = self._devices.get(entity_id)
            if dev is None:
                return
            before = (dev.entity.state, dict(dev.entity.attributes))
            for av in dev.availability_topics():
                if av["topic"] == topic:
                    if payload == av["payload_available"]:
                        dev.availability[topic] = True
                        dev.availability["__latest__"] = True
                    elif payload == av["payload_not_available"]:
                        dev.availability[topic] = False
                        dev.availability["__latest__"] = False
            if topic in dev.state_topics():
                self._apply_state(dev, topic, payload)
        self._publish_entity(entity_id, before)

    def _apply_state(self, dev: MqttEntity, topic: str, payload: str) -> None:
        if topic == dev.config.get("json_attributes_topic"):
            try:
                extra = json.loads(payload)
            except ValueError:
                return
            if isinstance(extra, dict):
                dev.attributes.update(extra)
            return
        PLATFORMS[dev.component].apply_state(dev, topic, payload)

    # ---- commands -------------------------------------------------------------------------------------------------

    def entities(self) -> list[Entity]:
        """Discovered entities with their current state."""
        with self._lock:
            return [dev.entity for dev in self._devices.values()]

    def execute(self, call: ServiceCall) -> list[CallResult]:
        """Publish the commands and wait for each device to confirm."""
        return [self._execute_one(call, entity_id) for entity_id in call.entity_ids]

    def _execute_one(self, call: ServiceCall, entity_id: str) -> CallResult:
        prepared = self._prepare(call, entity_id)
        if isinstance(prepared, CallResult):
            return prepared
        dev, plan, waiter, (state, attrs) = prepared
        try:
            for topic, payload in plan.messages:
                info = self._client.publish(
                    topic, payload, qos=self.settings.qos, retain=bool(dev.cfg("retain", False))
                )
                if info.rc != paho.MQTT_ERR_SUCCESS:
                    return CallResult(entity_id, False, ErrorCode.DEVICE_UNAVAILABLE, "The command could not be sent")
            if plan.mode == "assume":
                return self._assume(dev, plan.service, plan.data, state, attrs)
            if plan.mode == "sent":
                return CallResult(
                    entity_id,
                    True,
                    message="Sent; the device reports nothing to confirm this command by",
                    new_state=state_dict(state, attrs),
                    optimistic=True,
                )
            confirmed = waiter.event.wait(self.settings.command_timeout_s)
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        if not self.available:
            return CallResult(entity_id, False, ErrorCode.DEVICE_UNAVAILABLE, "The MQTT broker went away")
        return self._outcome(dev, plan, waiter, confirmed)

    def _prepare(
        self, call: ServiceCall, entity_id: str
    ) -> CallResult | tuple[MqttEntity, Plan, _Waiter, tuple[str, dict[str, Any]]]:
        """The entity, its plan, a registered waiter and the state planned from; or why the call cannot be made."""
        if not self.available:
            return CallResult(entity_id, False, ErrorCode.DEVICE_UNAVAILABLE, "The MQTT broker is not connected")
        with self._lock:
            dev = self._devices.get(entity_id)
            if dev is None:
                return CallResult(entity_id, False, ErrorCode.DEVICE_UNKNOWN, "Not discovered on MQTT")
            if not dev.is_available():
                return CallResult(entity_id, False, ErrorCode.DEVICE_UNAVAILABLE, f"{dev.entity.name} is offline")
            state, attrs = dev.last_state, dict(dev.attributes)
            try:
                plan = PLATFORMS[dev.component].plan(dev, call, state)
            except Unsupported as exc:
                return CallResult(entity_id, False, ErrorCode.DEVICE_UNSUPPORTED, str(exc))
            except TemplateError as exc:  # logged by the template module
                message = f"{dev.entity.name}'s command template could not be rendered ({exc})"
                return CallResult(entity_id, False, ErrorCode.DEVICE_UNSUPPORTED, message)
            waiter = _Waiter(entity_id, plan.predicate)
            if plan.mode == "wait":
                self._waiters.append(waiter)
            return dev, plan, waiter, (state, attrs)

    def _outcome(self, dev: MqttEntity, plan: Plan, waiter: _Waiter, confirmed: bool) -> CallResult:
        """The result of a call that waited for the device."""
        entity_id = dev.entity_id
        with self._lock:
            dev = self._devices.get(entity_id, dev)  # a re-announcement replaces the record
            new_state, new_attrs = self._visible(dev)
        if confirmed and plan.predicate(new_state, new_attrs):
            if plan.unreported:
                return CallResult(
                    entity_id,
                    True,
                    message="Partly confirmed; the device does not report all of what was changed",
                    new_state=state_dict(new_state, new_attrs),
                    optimistic=True,
                )
            if plan.assumed:  # parts HA sets optimistically because the device reports no state for them
                return self._confirm_assumed(dev, plan.assumed)
            return CallResult(entity_id, True, new_state=state_dict(new_state, new_attrs))
        if waiter.saw_update:
            return CallResult(
                entity_id,
                False,
                ErrorCode.DEVICE_NOT_CONFIRMED,
                f"{dev.entity.name} reported a different state",
                new_state=state_dict(new_state, new_attrs),
            )
        return CallResult(entity_id, False, ErrorCode.DEVICE_TIMEOUT, f"{dev.entity.name} did not confirm in time")

    def _confirm_assumed(self, dev: MqttEntity, assumed: Mapping[str, Any]) -> CallResult:
        """Confirmed in part: apply the unreported rest as assumed."""
        with self._lock:
            before = (dev.entity.state, dict(dev.entity.attributes))
            for key, value in assumed.items():
                if key == "state":
                    dev.last_state = str(value)
                else:
                    dev.attributes[key] = value
        self._publish_entity(dev.entity_id, before)
        with self._lock:
            new_state, new_attrs = self._visible(dev)
        return CallResult(
            dev.entity_id,
            True,
            message="Partly confirmed; the device reports no state for the rest, so that part is assumed",
            new_state=state_dict(new_state, new_attrs),
            optimistic=True,
        )

    def _assume(
        self, dev: MqttEntity, service: str, data: Mapping[str, Any], state: str, attrs: dict[str, Any]
    ) -> CallResult:
        outcome = apply_service(dev.component, state, attrs, service, data)
        with self._lock:
            dev = self._devices.get(dev.entity_id, dev)
            before = (dev.entity.state, dict(dev.entity.attributes))
            dev.last_state = outcome.state
            dev.attributes = {**outcome.attributes, "assumed_state": True}
        self._publish_entity(dev.entity_id, before)
        return CallResult(
            dev.entity_id,
            True,
            message="Sent; the device reports no state, so success is assumed",
            new_state=state_dict(outcome.state, {**outcome.attributes, "assumed_state": True}),
            optimistic=True,
        )
