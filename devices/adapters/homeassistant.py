"""Home Assistant adapter: entities and state from a running Home Assistant, live over its WebSocket API.

Uses Home Assistant's documented REST API (https://developers.home-assistant.io/docs/api/rest/) with a long-lived
access token (Profile -> Security -> Long-lived access tokens):

- ``GET /api/states`` -> ``[{"entity_id", "state", "attributes", "last_changed", "last_updated", ...}]``
- ``GET /api/states/<entity_id>`` -> one state object (404 when unknown)
- ``POST /api/services/<domain>/<service>`` with ``{"entity_id": ..., **data}`` -> the list of states that changed
  while the service ran (``?return_response`` for services that return data, e.g. ``todo.get_items``)

A call succeeds for an entity whose new state HA returns. When HA returns none (it accepted the call but saw no
change), the state is read back: if it already shows what was asked ("close" on a closed cover) the call succeeded;
otherwise the command was sent but nothing confirms it (a slow device, or one that ignored it), and the result is
``optimistic`` (the assistant says it cannot confirm). So is a state HA itself marks ``assumed_state: true``.

Every request carries ``Authorization: Bearer <token>``. Errors map to stable codes: connection refused or 5xx ->
device-unavailable, timeout -> device-timeout, 400 -> device-invalid-params, 401/403 -> device-unavailable (with a
message about the token).

State changes made elsewhere are followed according to ``follow``:

- ``"websocket"`` (default): the WebSocket API (https://developers.home-assistant.io/docs/api/websocket/) at
  ``ws(s)://<host>/api/websocket`` (derived from ``url``), in a daemon thread: ``auth_required`` -> ``{"type":
  "auth", "access_token"}`` -> ``auth_ok`` | ``auth_invalid``; ``{"id", "type": "subscribe_events", "event_type":
  "state_changed"}`` -> ``result``, then ``event`` messages whose ``data`` has ``entity_id``, ``new_state`` (null:
  the entity was removed) and ``old_state``. An idle connection is checked with ``ping`` -> ``pong``. After every
  (re)connection all states are fetched again (changes may have been missed) and the subscription is renewed;
  disconnects are retried with exponential backoff (``reconnect_min_s`` .. ``reconnect_max_s``). While the socket
  is down, ``/api/states`` is polled every ``poll_interval_s`` (0: no fallback). ``auth_invalid`` stops following
  (retrying a refused token only invites an IP ban) and is kept in ``last_error`` as device-unavailable.
- ``"poll"``: only poll ``/api/states`` every ``poll_interval_s`` (0 = never), as before.
- ``"off"``: state is only read at start, on ``refresh()`` and from service-call answers.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from websockets.exceptions import InvalidStatus, InvalidURI, WebSocketException
from websockets.sync.client import ClientConnection, connect

from contracts.home import Entity
from contracts.messages import AssistantError, ErrorCode, StateChange
from devices.adapters.base import AdapterListener, CallResult, ServiceCall, state_dict
from devices.loader import make_entity
from devices.simulate import apply_service

__all__ = ["FollowMode", "HaRestAdapter", "HaSettings", "websocket_url"]

_LOG = logging.getLogger(__name__)

FollowMode = Literal["websocket", "poll", "off"]
"""How changes made outside the assistant are followed."""

_MAX_MESSAGE = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HaSettings:
    """Where Home Assistant is and how to talk to it."""

    url: str
    """Base URL, e.g. http://homeassistant.local:8123."""
    token: str
    """A long-lived access token."""
    timeout_s: float = 10.0
    """Per-request timeout (also for opening the WebSocket and each step of its handshake)."""
    poll_interval_s: float = 5.0
    """How often to poll /api/states: in "poll" mode, and in "websocket" mode while the socket is down (0 = never)."""
    follow: FollowMode = "websocket"
    """How outside changes are followed: "websocket" (push, polling as the fallback), "poll" or "off"."""
    reconnect_min_s: float = 1.0
    """First wait before reconnecting the WebSocket; doubled after each failed attempt."""
    reconnect_max_s: float = 60.0
    """Longest wait between reconnection attempts."""
    heartbeat_s: float = 30.0
    """After this long without a message a ping is sent; no pong within as long again -> reconnect."""


def websocket_url(base_url: str) -> str:
    """The WebSocket API URL for a Home Assistant base URL: http -> ws, https -> wss, plus /api/websocket."""
    parts = urllib.parse.urlsplit(base_url.strip())
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme.lower(), parts.scheme.lower())
    return urllib.parse.urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/api/websocket", "", ""))


class _AuthRejected(Exception):
    """Home Assistant answered auth_invalid."""


class _ProtocolError(Exception):
    """Home Assistant sent something the WebSocket API does not describe (or stopped answering)."""


def _stamp(obj: Mapping[str, Any]) -> datetime | None:
    raw = obj.get("last_updated")
    if not isinstance(raw, str):
        return None
    try:
        stamp = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


_DATA_ATTRIBUTES = {"position": "current_position", "tilt_position": "current_tilt_position"}


def _already(entity: Entity, call: ServiceCall) -> bool:
    """Whether ``entity``'s state already shows what ``call`` asks: its state, and the attributes its data sets."""
    try:
        outcome = apply_service(call.domain, entity.state, entity.attributes, call.name, call.data)
    except Exception:  # a service the state model does not know: nothing shows it took effect
        return False
    if outcome.state != entity.state:
        return False
    keys = {_DATA_ATTRIBUTES.get(k, k) for k in call.data}
    return all(entity.attributes.get(k) == outcome.attributes.get(k) for k in keys if k in outcome.attributes)


def _messages(raw: str | bytes) -> list[Mapping[str, Any]]:
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise _ProtocolError("Home Assistant sent a WebSocket message that is not JSON") from exc
    items = payload if isinstance(payload, list) else [payload]  # coalesced messages arrive as a list
    return [m for m in items if isinstance(m, Mapping)]


class HaRestAdapter:
    """Entities of a Home Assistant instance over its REST API, followed live over its WebSocket API."""

    name = "homeassistant"

    def __init__(self, settings: HaSettings) -> None:
        self.settings = settings
        self._base = settings.url.rstrip("/")
        self._lock = threading.RLock()
        self._entities: dict[str, Entity] = {}
        self._stamps: dict[str, datetime] = {}
        self._listener: AdapterListener | None = None
        self._available = False
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._follower: threading.Thread | None = None
        self._ws: ClientConnection | None = None
        self._live = threading.Event()
        self._auth_rejected = False
        self._last_error: AssistantError | None = None
        self._next_id = 0

    @property
    def available(self) -> bool:
        """True when the last request reached Home Assistant."""
        return self._available

    @property
    def following(self) -> str:
        """How outside changes are followed right now: "websocket", "poll" or "off"."""
        if self._live.is_set():
            return "websocket"
        if self._poller is not None and not self._auth_rejected:
            return "poll"
        return "off"

    @property
    def last_error(self) -> AssistantError | None:
        """Why following changes over the WebSocket API failed last (None while it works)."""
        return self._last_error

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
        """Fetch all states (a failure leaves the home empty but running) and start following changes."""
        self._listener = listener
        try:
            self.refresh()
        except AssistantError as exc:
            _LOG.warning("Home Assistant not reachable at start: %s", exc.message)
        follow = self.settings.follow
        if follow == "websocket" and self._follower is None:
            self._follower = threading.Thread(target=self._follow, name="ha-websocket", daemon=True)
            self._follower.start()
        if follow in ("websocket", "poll") and self.settings.poll_interval_s > 0 and self._poller is None:
            self._poller = threading.Thread(target=self._poll, name="ha-rest-poll", daemon=True)
            self._poller.start()

    def stop(self) -> None:
        """Stop following changes: close the WebSocket, end both threads. Idempotent."""
        self._stop.set()
        with self._lock:
            ws = self._ws
        if ws is not None:
            try:
                ws.close()
            except (OSError, WebSocketException) as exc:  # already gone
                _LOG.debug("Closing the Home Assistant WebSocket: %s", exc)
        if self._follower is not None:
            self._follower.join(timeout=2.0)
            self._follower = None
        if self._poller is not None:
            self._poller.join(timeout=self.settings.timeout_s + 1)
            self._poller = None
        self._listener = None

    def _poll(self) -> None:
        while not self._stop.wait(self.settings.poll_interval_s):
            if self._live.is_set() or self._auth_rejected:
                continue  # the WebSocket reports changes as they happen / the token was refused
            try:
                self.refresh()
            except AssistantError as exc:
                _LOG.debug("Polling Home Assistant failed: %s", exc.message)

    # ---- WebSocket ------------------------------------------------------------------------------------------------

    def _follow(self) -> None:
        url = websocket_url(self._base)
        delay = self.settings.reconnect_min_s
        while not self._stop.is_set():
            try:
                with connect(
                    url,
                    open_timeout=self.settings.timeout_s,
                    close_timeout=1.0,
                    ping_interval=None,  # Home Assistant's own ping/pong is used instead
                    max_size=_MAX_MESSAGE,
                ) as ws:
                    with self._lock:
                        self._ws = ws
                    if self._stop.is_set():
                        return
                    self._session(ws)
            except _AuthRejected as exc:
                self._auth_rejected = True
                self._last_error = AssistantError(
                    ErrorCode.DEVICE_UNAVAILABLE,
                    f"Home Assistant refused the access token on its WebSocket API ({exc}); "
                    "live updates are off until the token is replaced",
                    details={"url": url},
                )
                _LOG.error("%s", self._last_error.message)
                return
            except InvalidURI as exc:
                self._last_error = AssistantError(
                    ErrorCode.DEVICE_UNAVAILABLE, f"Bad Home Assistant WebSocket URL {url}: {exc}"
                )
                _LOG.error("%s", self._last_error.message)
                return
            except InvalidStatus as exc:  # e.g. a proxy that does not pass WebSockets on
                status = exc.response.status_code
                self._record(f"Home Assistant's WebSocket API answered HTTP {status} at {url}", status=status)
            except (OSError, TimeoutError, WebSocketException, _ProtocolError) as exc:
                if isinstance(exc, OSError) and not isinstance(exc, TimeoutError):
                    self._available = False  # connection refused / host unreachable
                self._record(f"Home Assistant's WebSocket API at {url} is not reachable: {exc}")
            except Exception:  # a bug must not end live updates for good: log it and reconnect
                _LOG.exception("Following Home Assistant over its WebSocket API failed")
            finally:
                with self._lock:
                    self._ws = None
                if self._live.is_set():
                    delay = self.settings.reconnect_min_s  # it worked: start the backoff afresh
                    self._live.clear()
            if self._stop.wait(delay):
                return
            _LOG.debug("Reconnecting to Home Assistant's WebSocket API")
            delay = min(delay * 2, self.settings.reconnect_max_s)

    def _record(self, message: str, **details: Any) -> None:
        if self._stop.is_set():
            return
        repeated = self._last_error is not None and self._last_error.message == message
        self._last_error = AssistantError(ErrorCode.DEVICE_UNAVAILABLE, message, details=details)
        _LOG.log(logging.DEBUG if repeated else logging.WARNING, "%s", message)

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _receive(self, ws: ClientConnection, timeout: float | None) -> list[Mapping[str, Any]]:
        return _messages(ws.recv(timeout=timeout))

    def _session(self, ws: ClientConnection) -> None:
        """Authenticate, subscribe to state_changed, re-sync, then apply events until the connection ends."""
        timeout = self.settings.timeout_s
        hello = self._receive(ws, timeout)
        if not hello or hello[0].get("type") != "auth_required":
            raise _ProtocolError(f"expected auth_required, got {hello[:1]}")
        ws.send(json.dumps({"type": "auth", "access_token": self.settings.token}))
        [answer, *_] = self._receive(ws, timeout) or [{}]
        if answer.get("type") == "auth_invalid":
            raise _AuthRejected(str(answer.get("message") or "auth_invalid"))
        if answer.get("type") != "auth_ok":
            raise _ProtocolError(f"expected auth_ok, got {answer.get('type')!r}")
        sub_id = self._id()
        ws.send(json.dumps({"id": sub_id, "type": "subscribe_events", "event_type": "state_changed"}))
        subscribed = False
        while not subscribed:
            for msg in self._receive(ws, timeout):
                if msg.get("id") == sub_id and msg.get("type") == "result":
                    if not msg.get("success"):
                        raise _ProtocolError(f"subscribe_events failed: {msg.get('error')}")
                    subscribed = True
        self._available = True
        self._last_error = None
        self._live.set()
        try:  # changes made while we were not subscribed
            self.refresh()
        except AssistantError as exc:
            _LOG.warning("Re-reading Home Assistant's states failed: %s", exc.message)
        ping_id: int | None = None
        while not self._stop.is_set():
            try:
                messages = self._receive(ws, self.settings.heartbeat_s)
            except TimeoutError:
                if ping_id is not None:
                    raise _ProtocolError("no pong from Home Assistant") from None
                ping_id = self._id()
                ws.send(json.dumps({"id": ping_id, "type": "ping"}))
                continue
            for msg in messages:
                if msg.get("type") == "event" and msg.get("id") == sub_id:
                    event = msg.get("event")
                    if isinstance(event, Mapping):
                        self._on_event(event)
                elif msg.get("type") == "pong" and msg.get("id") == ping_id:
                    ping_id = None

    def _on_event(self, event: Mapping[str, Any]) -> None:
        data = event.get("data")
        if event.get("event_type") != "state_changed" or not isinstance(data, Mapping):
            return
        entity_id = data.get("entity_id")
        new = data.get("new_state")
        if not isinstance(entity_id, str):
            return
        if new is None:
            self._remove(entity_id)
            return
        entity = self._to_entity(new)
        if entity is not None and entity.entity_id == entity_id:
            self._update(entity, _stamp(new))

    # ---- state ----------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """GET /api/states and report what changed."""
        payload = self._request("GET", "/api/states")
        if not isinstance(payload, list):
            raise AssistantError(ErrorCode.DEVICE_UNAVAILABLE, "Home Assistant's /api/states is not a list")
        changes: list[StateChange] = []
        with self._lock:
            before = self._entities
            fresh: dict[str, Entity] = {}
            stamps: dict[str, datetime] = {}
            for obj in payload:
                entity = self._to_entity(obj)
                if entity is None:
                    continue
                fresh[entity.entity_id] = entity
                stamp = _stamp(obj)
                if stamp is not None:
                    stamps[entity.entity_id] = stamp
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
            self._stamps = stamps
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
            read_back = obj is None
            if obj is None:  # accepted, but the state did not change (already so, or not yet): read it back
                try:
                    obj = self._request("GET", f"/api/states/{entity_id}")
                except AssistantError as exc:
                    results.append(CallResult(entity_id, False, exc.code, exc.message))
                    continue
            entity = self._to_entity(obj)
            if entity is None:
                results.append(CallResult(entity_id, False, ErrorCode.DEVICE_NOT_CONFIRMED, "No state came back"))
                continue
            self._update(entity, _stamp(obj))
            per_entity = response.get(entity_id) if isinstance(response, Mapping) else None
            has_response = isinstance(per_entity, Mapping)
            unconfirmed = entity.attributes.get("assumed_state") is True or (
                read_back and not has_response and not _already(entity, call)
            )
            results.append(
                CallResult(
                    entity_id,
                    entity.state != "unavailable",
                    None if entity.state != "unavailable" else ErrorCode.DEVICE_UNAVAILABLE,
                    "Sent; Home Assistant reports no change that confirms it" if unconfirmed else "",
                    new_state=state_dict(entity.state, entity.attributes),
                    optimistic=unconfirmed,
                    response=per_entity if has_response else None,
                )
            )
        return results

    def _update(self, entity: Entity, stamp: datetime | None = None) -> None:
        """Store one entity's new state (older than what is known: ignored) and tell the listener."""
        with self._lock:
            known = self._stamps.get(entity.entity_id)
            if stamp is not None and known is not None and stamp < known:
                return  # an event that a re-read already overtook
            if stamp is not None:
                self._stamps[entity.entity_id] = stamp
            old = self._entities.get(entity.entity_id)
            self._entities[entity.entity_id] = entity
        listener = self._listener
        if listener is None:
            return
        if old is None or old.name != entity.name or old.services != entity.services:
            listener.on_entities()
        if old is not None and (old.state, old.attributes) != (entity.state, entity.attributes):
            listener.on_state(
                StateChange(
                    entity.entity_id,
                    state_dict(old.state, old.attributes),
                    state_dict(entity.state, entity.attributes),
                    "homeassistant",
                )
            )

    def _remove(self, entity_id: str) -> None:
        """Forget an entity Home Assistant removed and tell the listener."""
        with self._lock:
            gone = self._entities.pop(entity_id, None)
            self._stamps.pop(entity_id, None)
        listener = self._listener
        if gone is not None and listener is not None:
            listener.on_entities()
