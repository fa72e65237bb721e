"""Home Assistant REST adapter: entities and state from a running Home Assistant, services called through it.

Uses Home Assistant's documented REST API (https://developers.home-assistant.io/docs/api/rest/) with a long-lived
access token (Profile -> Security -> Long-lived access tokens):

- ``GET /api/states`` -> ``[{"entity_id", "state", "attributes", "last_changed", "last_updated", ...}]``
- ``GET /api/states/<entity_id>`` -> one state object (404 when unknown)
- ``POST /api/services/<domain>/<service>`` with ``{"entity_id": ..., **data}`` -> the list of states that changed
  while the service ran (``?return_response`` for services that return data, e.g. ``todo.get_items``)

Every request carries ``Authorization: Bearer <token>``. State changes made elsewhere are picked up by polling
``/api/states`` every ``poll_interval_s`` (0 disables polling). Errors map to stable codes: connection refused or
5xx -> device-unavailable, timeout -> device-timeout, 400 -> device-invalid-params, 401/403 -> device-unavailable
(with a message about the token).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assistant.messages import AssistantError, ErrorCode, StateChange
from devices.adapters.base import AdapterListener, CallResult, ServiceCall, state_dict
from devices.api import Entity
from devices.loader import make_entity

__all__ = ["HaRestAdapter", "HaSettings"]

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HaSettings:
    """Where Home Assistant is and how to talk to it."""

    url: str
    """Base URL, e.g. http://homeassistant.local:8123."""
    token: str
    """A long-lived access token."""
    timeout_s: float = 10.0
    """Per-request timeout."""
    poll_interval_s: float = 5.0
    """How often to poll /api/states for outside changes (0 = never)."""


class HaRestAdapter:
    """Entities of a Home Assistant instance over its REST API."""

    name = "homeassistant"

    def __init__(self, settings: HaSettings) -> None:
        self.settings = settings
        self._base = settings.url.rstrip("/")
        self._lock = threading.RLock()
        self._entities: dict[str, Entity] = {}
        self._listener: AdapterListener | None = None
        self._available = False
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    @property
    def available(self) -> bool:
        """True when the last request reached Home Assistant."""
        return self._available

    # ---- HTTP -----------------------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self._base}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.settings.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.settings.timeout_s) as resp:
                raw = resp.read()
            self._available = True
        except urllib.error.HTTPError as exc:
            self._available = exc.code < 500
            detail = exc.read().decode("utf-8", errors="replace")[:200]
            if exc.code in (401, 403):
                raise AssistantError(
                    ErrorCode.DEVICE_UNAVAILABLE,
                    "Home Assistant refused the access token",
                    details={"status": exc.code},
                ) from exc
            if exc.code == 400:
                raise AssistantError(
                    ErrorCode.DEVICE_INVALID_PARAMS,
                    f"Home Assistant rejected the call: {detail}",
                    details={"status": 400},
                ) from exc
            if exc.code == 404:
                raise AssistantError(
                    ErrorCode.DEVICE_UNKNOWN, f"Home Assistant does not know {path}", details={"status": 404}
                ) from exc
            raise AssistantError(
                ErrorCode.DEVICE_UNAVAILABLE,
                f"Home Assistant answered {exc.code}: {detail}",
                details={"status": exc.code},
            ) from exc
        except TimeoutError as exc:
            raise AssistantError(ErrorCode.DEVICE_TIMEOUT, "Home Assistant did not answer in time") from exc
        except (urllib.error.URLError, OSError) as exc:
            self._available = False
            raise AssistantError(ErrorCode.DEVICE_UNAVAILABLE, f"Home Assistant is unreachable: {exc}") from exc
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise AssistantError(
                ErrorCode.DEVICE_UNAVAILABLE, "Home Assistant sent something that is not JSON"
            ) from exc

    # ---- lifecycle ------------------------------------------------------------------------------------------------

    def start(self, listener: AdapterListener) -> None:
        """Fetch all states (a failure leaves the home empty but running) and start polling."""
        self._listener = listener
        try:
            self.refresh()
        except AssistantError as exc:
            _LOG.warning("Home Assistant not reachable at start: %s", exc.message)
        if self.settings.poll_interval_s > 0 and self._poller is None:
            self._poller = threading.Thread(target=self._poll, name="ha-rest-poll", daemon=True)
            self._poller.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=self.settings.timeout_s + 1)
            self._poller = None
        self._listener = None

    def _poll(self) -> None:
        while not self._stop.wait(self.settings.poll_interval_s):
            try:
                self.refresh()
            except AssistantError as exc:
                _LOG.debug("Polling Home Assistant failed: %s", exc.message)

    def refresh(self) -> None:
        """GET /api/states and report what changed."""
        payload = self._request("GET", "/api/states")
        if not isinstance(payload, list):
            raise AssistantError(ErrorCode.DEVICE_UNAVAILABLE, "Home Assistant's /api/states is not a list")
        changes: list[StateChange] = []
        with self._lock:
            before = self._entities
            fresh: dict[str, Entity] = {}
            for obj in payload:
                entity = self._to_entity(obj)
                if entity is None:
                    continue
                fresh[entity.entity_id] = entity
                old = before.get(entity.entity_id)
                if old is not None and (old.state, old.attributes) != (entity.state, entity.attributes):
                    changes.append(
                        StateChange(
                            entity.entity_id,
                            state_dict(old.state, old.attributes),
                            state_dict(entity.state, entity.attributes),
                            "homeassistant",
                        )
                    )
            set_changed = set(fresh) != set(before) or any(
                fresh[i].name != before[i].name or fresh[i].services != before[i].services for i in fresh if i in before
            )
            self._entities = fresh
        listener = self._listener
        if listener is None:
            return
        if set_changed:
            listener.on_entities()
        for change in changes:
            listener.on_state(change)

    @staticmethod
    def _to_entity(obj: Any) -> Entity | None:
        if not isinstance(obj, Mapping) or not isinstance(obj.get("entity_id"), str) or "." not in obj["entity_id"]:
            return None
        raw_attrs = obj.get("attributes")
        attrs: Mapping[str, Any] = raw_attrs if isinstance(raw_attrs, Mapping) else {}
        entity_id = obj["entity_id"]
        name = attrs.get("friendly_name") or entity_id.split(".", 1)[1].replace("_", " ").title()
        return make_entity(entity_id, str(name), state=str(obj.get("state", "unknown")), attributes=dict(attrs))

    def entities(self) -> list[Entity]:
        """Entities as last fetched."""
        with self._lock:
            return list(self._entities.values())

    # ---- services -------------------------------------------------------------------------------------------------

    def execute(self, call: ServiceCall) -> list[CallResult]:
        """POST the service for the listed entities; results from the changed states HA returns."""
        body = {"entity_id": list(call.entity_ids), **dict(call.data)}
        path = f"/api/services/{call.domain}/{call.name}"
        wants_response = call.service == "todo.get_items"
        try:
            answer = self._request("POST", path + ("?return_response" if wants_response else ""), body)
        except AssistantError as exc:
            return [CallResult(i, False, exc.code, exc.message) for i in call.entity_ids]
        changed: dict[str, Mapping[str, Any]] = {}
        response: Mapping[str, Any] | None = None
        states = answer
        if isinstance(answer, Mapping):  # {"changed_states": [...], "service_response": {...}}
            states = answer.get("changed_states", [])
            sr = answer.get("service_response")
            response = sr if isinstance(sr, Mapping) else None
        for obj in states if isinstance(states, list) else []:
            if isinstance(obj, Mapping) and obj.get("entity_id") in call.entity_ids:
                changed[obj["entity_id"]] = obj
        results: list[CallResult] = []
        for entity_id in call.entity_ids:
            obj = changed.get(entity_id)
            if obj is None:  # accepted, but the state did not change (already so): read it back
                try:
                    obj = self._request("GET", f"/api/states/{entity_id}")
                except AssistantError as exc:
                    results.append(CallResult(entity_id, False, exc.code, exc.message))
                    continue
            entity = self._to_entity(obj)
            if entity is None:
                results.append(CallResult(entity_id, False, ErrorCode.DEVICE_NOT_CONFIRMED, "No state came back"))
                continue
            self._update(entity)
            per_entity = response.get(entity_id) if isinstance(response, Mapping) else None
            results.append(
                CallResult(
                    entity_id,
                    entity.state != "unavailable",
                    None if entity.state != "unavailable" else ErrorCode.DEVICE_UNAVAILABLE,
                    new_state=state_dict(entity.state, entity.attributes),
                    response=per_entity if isinstance(per_entity, Mapping) else None,
                )
            )
        return results

    def _update(self, entity: Entity) -> None:
        with self._lock:
            old = self._entities.get(entity.entity_id)
            self._entities[entity.entity_id] = entity
        listener = self._listener
        if (
            listener is not None
            and old is not None
            and (old.state, old.attributes) != (entity.state, entity.attributes)
        ):
            listener.on_state(
                StateChange(
                    entity.entity_id,
                    state_dict(old.state, old.attributes),
                    state_dict(entity.state, entity.attributes),
                    "homeassistant",
                )
            )
