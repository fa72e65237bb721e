"""The Home Assistant REST adapter against a local server speaking HA's documented request/response shapes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from contracts.messages import StateChange
from devices import Home, create_home
from devices.adapters.homeassistant import HaSettings

TOKEN = "long-lived-token"


class FakeHomeAssistant:
    """A few lines of HA's REST API: GET /api/states[/<id>], POST /api/services/<domain>/<service>."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {
            "light.porch": {
                "entity_id": "light.porch",
                "state": "off",
                "attributes": {
                    "friendly_name": "Porch Light",
                    "supported_color_modes": ["brightness"],
                    "supported_features": 40,
                },
            },
            "cover.garage": {
                "entity_id": "cover.garage",
                "state": "closed",
                "attributes": {"friendly_name": "Garage Door", "device_class": "garage", "supported_features": 3},
            },
            "sensor.outside": {
                "entity_id": "sensor.outside",
                "state": "11.0",
                "attributes": {"friendly_name": "Outside", "unit_of_measurement": "°C"},
            },
        }
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._send(401, {"message": "Unauthorized"})
                    return False
                return True

            def do_GET(self) -> None:
                if not self._authorized():
                    return
                if self.path == "/api/states":
                    self._send(200, list(fake.states.values()))
                elif self.path.startswith("/api/states/"):
                    obj = fake.states.get(self.path.rsplit("/", 1)[1])
                    self._send(200, obj) if obj else self._send(404, {"message": "Entity not found."})
                else:
                    self._send(404, {"message": "Not found"})

            def do_POST(self) -> None:
                if not self._authorized():
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                parts = self.path.split("?")[0].split("/")  # /api/services/<domain>/<service>
                service = f"{parts[3]}.{parts[4]}"
                fake.calls.append((service, body, self.headers.get("Authorization")))
                if "brightness" in body and not isinstance(body["brightness"], int):
                    self._send(400, {"message": "expected int for dictionary value @ data['brightness']"})
                    return
                changed = []
                ids = body["entity_id"] if isinstance(body["entity_id"], list) else [body["entity_id"]]
                for eid in ids:
                    obj = fake.states[eid]
                    new = {
                        "light.turn_on": "on",
                        "light.turn_off": "off",
                        "cover.open_cover": "open",
                        "cover.close_cover": "closed",
                    }.get(service, obj["state"])
                    if new != obj["state"] or "brightness" in body:
                        obj["state"] = new
                        if "brightness" in body:
                            obj["attributes"]["brightness"] = body["brightness"]
                        changed.append(obj)
                self._send(200, changed)

        return Handler

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ha() -> Iterator[FakeHomeAssistant]:
    fake = FakeHomeAssistant()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def ha_home(ha: FakeHomeAssistant, tmp_path: Path) -> Iterator[Home]:
    path = tmp_path / "home.yaml"
    path.write_text(
        "areas: [{id: garden, name: Garden}]\n"
        "entities:\n  - {id: light.porch, name: Porch Light, aliases: [front light], area: garden}\n"
    )
    home = create_home(file=path, adapter="homeassistant", ha=HaSettings(url=ha.url, token=TOKEN, poll_interval_s=0))
    yield home
    home.close()


@pytest.mark.slow
def test_states_and_services_round_trip(ha: FakeHomeAssistant, ha_home: Home) -> None:
    assert {e.entity_id for e in ha_home.entities()} == {"light.porch", "cover.garage", "sensor.outside"}
    porch = ha_home.entity("light.porch")
    assert porch is not None and porch.area_id == "garden" and "front light" in porch.aliases
    assert [c.entity_id for c in ha_home.resolve("garage door").candidates] == ["cover.garage"]
    assert ha_home.risk("cover.garage", "cover.open_cover").value == "sensitive"

    events: list[StateChange] = []
    ha_home.subscribe(events.append)
    [action] = ha_home.call_service("light.turn_on", ["light.porch"], {"brightness_pct": 50})
    assert action.success and action.new_state is not None and action.new_state["attributes"]["brightness"] == 128
    service, body, auth = ha.calls[-1]
    assert service == "light.turn_on" and body == {"entity_id": ["light.porch"], "brightness": 128}
    assert auth == f"Bearer {TOKEN}"
    assert events and events[-1].entity_id == "light.porch" and events[-1].source == "homeassistant"

    # state already as asked: HA returns no changed states; the adapter reads the state back
    [again] = ha_home.call_service("cover.close_cover", ["cover.garage"])
    assert again.success and again.new_state is not None and again.new_state["state"] == "closed"
    # validated before HA is asked: unsupported and read-only never reach the server
    calls = len(ha.calls)
    assert ha_home.call_service("cover.set_cover_position", ["cover.garage"], {"position": 3})[0].error_code == (
        "device-unsupported"
    )
    assert ha_home.call_service("homeassistant.turn_on", ["sensor.outside"])[0].error_code == "device-read-only"
    assert len(ha.calls) == calls

    # a change made in Home Assistant is picked up by a refresh (the poller calls the same)
    ha.states["sensor.outside"]["state"] = "12.5"
    ha_home.adapter.refresh()  # type: ignore[attr-defined]
    assert ha_home.entity("sensor.outside").state == "12.5"  # type: ignore[union-attr]
    assert events[-1].entity_id == "sensor.outside"


@pytest.mark.slow
def test_errors_map_to_stable_codes(ha: FakeHomeAssistant, tmp_path: Path) -> None:
    path = tmp_path / "home.yaml"
    path.write_text("areas: []\n")
    bad = create_home(file=path, adapter="homeassistant", ha=HaSettings(url=ha.url, token="wrong", poll_interval_s=0))
    try:
        assert bad.entities() == []
        assert bad.call_service("light.turn_on", ["light.porch"])[0].error_code == "device-unknown"
    finally:
        bad.close()
    home = create_home(file=path, adapter="homeassistant", ha=HaSettings(url=ha.url, token=TOKEN, poll_interval_s=0))
    try:
        ha.stop()  # Home Assistant goes away
        [down] = home.call_service("light.turn_on", ["light.porch"])
        assert not down.success and down.error_code == "device-unavailable"
    finally:
        home.close()
