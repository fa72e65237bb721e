"""The Home Assistant adapter following changes over HA's WebSocket API, against a local fake of both APIs."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from contracts.messages import StateChange
from devices import Home, create_home
from devices.adapters.homeassistant import HaRestAdapter, HaSettings, websocket_url
from tests.devices.test_homeassistant import TOKEN, FakeHomeAssistant

pytestmark = pytest.mark.slow


def _now(offset_s: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat()


def _listen(port: int, wait_s: float = 15.0) -> socket.socket:
    """Listen on the same loopback port again after a restart (SO_REUSEADDR). While it was closed, the adapter's
    reconnect attempts, or another process, may briefly hold the port (a loopback connect to a port in the
    ephemeral range can connect to itself): retry until it is free instead of failing the test on a race."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return socket.create_server(("127.0.0.1", port))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class LiveHomeAssistant:
    """FakeHomeAssistant's REST API plus the WebSocket API (/api/websocket) on the same loopback port, as HA serves."""

    def __init__(self) -> None:
        self.rest = FakeHomeAssistant()  # its HTTP handler serves REST requests; we accept connections ourselves
        self.port = self.rest.server.server_address[1]
        self.rest.server.socket.close()
        self.lock = threading.Lock()
        self.connections: set[ServerConnection] = set()
        self.subscriptions: list[tuple[ServerConnection, int]] = []
        self.subscribed = threading.Event()
        self.auth_attempts = 0
        self.pings = 0
        self._listener: socket.socket | None = None
        self._ws: Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def states(self) -> dict[str, dict[str, Any]]:
        return self.rest.states

    # ---- server lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> None:
        self._listener = _listen(self.port)
        self._ws = serve(self._session, sock=self._listener, ping_interval=None, close_timeout=1)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def stop(self) -> None:
        """Go away like a restarting Home Assistant: stop listening and close every WebSocket (going away)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            connection.close(1001, "restarting")

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                sock, addr = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._dispatch, args=(sock, addr), daemon=True).start()

    def _dispatch(self, sock: socket.socket, addr: Any) -> None:
        """WebSocket upgrades on /api/websocket go to the WebSocket server, everything else to the REST handler."""
        head = b""
        deadline = time.monotonic() + 5
        while b"\r\n" not in head and time.monotonic() < deadline:
            head = sock.recv(1024, socket.MSG_PEEK)
            if not head:
                sock.close()
                return
            time.sleep(0.001)
        if head.startswith(b"GET /api/websocket ") and self._ws is not None:
            self._ws.handler(sock, addr)
        else:
            self.rest.server.finish_request(sock, addr)
            self.rest.server.shutdown_request(sock)

    # ---- the documented WebSocket API -----------------------------------------------------------------------------

    def _session(self, ws: ServerConnection) -> None:
        with self.lock:
            self.connections.add(ws)
        try:
            ws.send(json.dumps({"type": "auth_required", "ha_version": "2025.1.0"}))
            auth = json.loads(ws.recv(timeout=5))
            with self.lock:
                self.auth_attempts += 1
            if auth.get("type") != "auth" or auth.get("access_token") != TOKEN:
                ws.send(json.dumps({"type": "auth_invalid", "message": "Invalid access token or password"}))
                return
            ws.send(json.dumps({"type": "auth_ok", "ha_version": "2025.1.0"}))
            for raw in ws:
                msg = json.loads(raw)
                if msg.get("type") == "subscribe_events" and msg.get("event_type") == "state_changed":
                    ws.send(json.dumps({"id": msg["id"], "type": "result", "success": True, "result": None}))
                    with self.lock:
                        self.subscriptions.append((ws, msg["id"]))
                    self.subscribed.set()
                elif msg.get("type") == "ping":
                    self.pings += 1
                    ws.send(json.dumps({"id": msg["id"], "type": "pong"}))
                else:
                    error = {"code": "unknown_command", "message": "Unknown command."}
                    ws.send(json.dumps({"id": msg.get("id"), "type": "result", "success": False, "error": error}))
        except ConnectionClosed:
            pass
        finally:
            with self.lock:
                self.connections.discard(ws)
                self.subscriptions = [(c, i) for c, i in self.subscriptions if c is not ws]

    def _fire(self, entity_id: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        event = {
            "event_type": "state_changed",
            "data": {"entity_id": entity_id, "old_state": old, "new_state": new},
            "origin": "LOCAL",
            "time_fired": _now(),
        }
        with self.lock:
            subscriptions = list(self.subscriptions)
        for ws, sub_id in subscriptions:
            ws.send(json.dumps({"id": sub_id, "type": "event", "event": event}))

    def set_state(
        self, entity_id: str, state: str, attributes: dict[str, Any] | None = None, *, updated: str | None = None
    ) -> None:
        """Change (or create) an entity in HA and push state_changed to subscribers."""
        old = self.states.get(entity_id)
        new = {
            "entity_id": entity_id,
            "state": state,
            "attributes": attributes if attributes is not None else dict(old["attributes"]) if old else {},
            "last_updated": updated or _now(),
        }
        self.states[entity_id] = new
        self._fire(entity_id, old, new)

    def remove(self, entity_id: str) -> None:
        """Remove an entity from HA: state_changed with new_state null."""
        self._fire(entity_id, self.states.pop(entity_id), None)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Wait until condition() is true (events arrive on another thread)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def live() -> Iterator[LiveHomeAssistant]:
    fake = LiveHomeAssistant()
    fake.start()
    yield fake
    fake.stop()


def make_home(live: LiveHomeAssistant, tmp_path: Path, **settings: Any) -> Home:
    path = tmp_path / "home.yaml"
    path.write_text("areas: [{id: garden, name: Garden}]\n")
    defaults: dict[str, Any] = {"poll_interval_s": 0, "reconnect_min_s": 0.05, "reconnect_max_s": 0.2}
    ha = HaSettings(url=live.url, token=TOKEN, **{**defaults, **settings})
    return create_home(file=path, adapter="homeassistant", ha=ha)


def adapter_of(home: Home) -> HaRestAdapter:
    adapter = home.adapter  # type: ignore[attr-defined]
    assert isinstance(adapter, HaRestAdapter)
    return adapter


def state_of(home: Home, entity_id: str) -> str | None:
    entity = home.entity(entity_id)
    return None if entity is None else entity.state


def test_websocket_url_follows_the_base_url() -> None:
    assert websocket_url("http://homeassistant.local:8123") == "ws://homeassistant.local:8123/api/websocket"
    assert websocket_url("https://ha.example.org/") == "wss://ha.example.org/api/websocket"
    assert websocket_url("https://example.org/ha/") == "wss://example.org/ha/api/websocket"


def test_pushed_changes_reach_the_listener_and_the_home(live: LiveHomeAssistant, tmp_path: Path) -> None:
    home = make_home(live, tmp_path)  # poll_interval_s=0: nothing but the WebSocket can bring changes in
    try:
        events: list[StateChange] = []
        home.subscribe(events.append)
        assert live.subscribed.wait(10)
        wait_for(lambda: adapter_of(home).following == "websocket", "the adapter to be live")

        live.set_state("sensor.outside", "13.5")
        wait_for(lambda: any(e.entity_id == "sensor.outside" for e in events), "the pushed change")
        change = next(e for e in events if e.entity_id == "sensor.outside")
        assert change.new_state["state"] == "13.5" and change.old_state is not None
        assert change.old_state["state"] == "11.0" and change.source == "homeassistant"
        assert state_of(home, "sensor.outside") == "13.5"

        # an entity added in Home Assistant appears; one removed (new_state null) disappears
        live.set_state("light.shed", "on", {"friendly_name": "Shed Light", "supported_color_modes": ["onoff"]})
        wait_for(lambda: state_of(home, "light.shed") == "on", "the new entity")
        assert [c.entity_id for c in home.resolve("shed light").candidates] == ["light.shed"]
        live.remove("cover.garage")
        wait_for(lambda: home.entity("cover.garage") is None, "the removed entity to go")

        # an event older than what is already known (a re-read overtook it) does not roll the state back
        live.set_state("sensor.outside", "14.0")
        wait_for(lambda: state_of(home, "sensor.outside") == "14.0", "the second change")
        live.set_state("sensor.outside", "9.0", updated=_now(-60))
        live.set_state("light.shed", "off")  # a later event, so the stale one has surely been handled
        wait_for(lambda: state_of(home, "light.shed") == "off", "the marker change")
        assert state_of(home, "sensor.outside") == "14.0"

        # a service call's confirmed state and the matching pushed event give one state change, not two
        before = len(events)
        [action] = home.call_service("light.turn_on", ["light.porch"])
        assert action.success and action.new_state is not None and action.new_state["state"] == "on"
        live.set_state("light.porch", "on")
        live.set_state("light.shed", "on")  # marker
        wait_for(lambda: state_of(home, "light.shed") == "on", "the marker change")
        assert [e.entity_id for e in events[before:]] == ["light.porch", "light.shed"]
    finally:
        home.close()


def test_heartbeat_ping_keeps_the_connection(live: LiveHomeAssistant, tmp_path: Path) -> None:
    home = make_home(live, tmp_path, heartbeat_s=0.1)
    try:
        assert live.subscribed.wait(10)
        wait_for(lambda: live.pings >= 3, "pings answered by pongs")
        assert live.auth_attempts == 1  # answered pings never force a reconnect
        live.set_state("sensor.outside", "15.0")
        wait_for(lambda: state_of(home, "sensor.outside") == "15.0", "a change after the pings")
    finally:
        home.close()


def test_bad_token_is_reported_and_not_retried(live: LiveHomeAssistant, tmp_path: Path) -> None:
    path = tmp_path / "home.yaml"
    path.write_text("areas: []\n")
    ha = HaSettings(url=live.url, token="wrong", poll_interval_s=0.05, reconnect_min_s=0.01, reconnect_max_s=0.02)
    home = create_home(file=path, adapter="homeassistant", ha=ha)
    try:
        adapter = adapter_of(home)
        wait_for(lambda: adapter.last_error is not None, "the auth error")
        error = adapter.last_error
        assert error is not None and error.code == "device-unavailable" and "token" in error.message
        assert adapter.following == "off"  # neither the socket nor polling keeps hammering HA with a bad token
        time.sleep(0.3)  # many backoff periods: a retrying adapter would have tried again by now
        assert live.auth_attempts == 1
        assert home.entities() == []
        assert home.call_service("light.turn_on", ["light.porch"])[0].error_code == "device-unknown"
    finally:
        home.close()


def test_restart_reconnects_resyncs_and_keeps_following(live: LiveHomeAssistant, tmp_path: Path) -> None:
    home = make_home(live, tmp_path)
    try:
        events: list[StateChange] = []
        home.subscribe(events.append)
        assert live.subscribed.wait(10)
        live.subscribed.clear()

        live.stop()
        wait_for(lambda: adapter_of(home).following != "websocket", "the adapter to notice")
        # changes made while the adapter could not listen
        live.states["sensor.outside"]["state"] = "20.0"
        pump = {"entity_id": "switch.pump", "state": "on", "attributes": {"friendly_name": "Pump"}}
        live.states["switch.pump"] = pump
        del live.states["cover.garage"]
        live.start()

        assert live.subscribed.wait(10), "the adapter did not resubscribe"
        wait_for(lambda: state_of(home, "sensor.outside") == "20.0", "the re-synced state")
        assert any(e.entity_id == "sensor.outside" and e.new_state["state"] == "20.0" for e in events)
        wait_for(lambda: state_of(home, "switch.pump") == "on", "the entity added meanwhile")
        assert home.entity("cover.garage") is None

        live.set_state("light.porch", "on")
        wait_for(lambda: state_of(home, "light.porch") == "on", "a change pushed after the restart")
    finally:
        home.close()


def test_polling_covers_while_the_websocket_is_down(live: LiveHomeAssistant, tmp_path: Path) -> None:
    home = make_home(live, tmp_path, poll_interval_s=0.05, reconnect_min_s=30, reconnect_max_s=30)
    try:
        assert live.subscribed.wait(10)
        with live.lock:
            connections = list(live.connections)
        for connection in connections:  # the socket drops but REST keeps working; the next reconnect is 30 s away
            connection.close(1011, "internal error")
        wait_for(lambda: adapter_of(home).following == "poll", "the fallback to polling")
        live.states["sensor.outside"]["state"] = "3.0"
        wait_for(lambda: state_of(home, "sensor.outside") == "3.0", "the polled change")
    finally:
        home.close()


@pytest.mark.parametrize("connected", [True, False], ids=["connected", "backing-off"])
def test_close_stops_the_thread(live: LiveHomeAssistant, tmp_path: Path, connected: bool) -> None:
    home = make_home(live, tmp_path, heartbeat_s=60, reconnect_min_s=60, reconnect_max_s=60)
    adapter = adapter_of(home)
    assert live.subscribed.wait(10)
    live.set_state("sensor.outside", "1.0")  # once handled, the thread waits for the next message (for 60 s)
    wait_for(lambda: state_of(home, "sensor.outside") == "1.0", "the change")
    if not connected:
        live.stop()
        wait_for(lambda: adapter.following != "websocket", "the disconnect")
    thread = adapter._follower
    assert thread is not None and thread.is_alive()
    home.close()  # stop() joins the thread for at most 2 s: it has to end by itself, not by the join giving up
    assert not thread.is_alive()
