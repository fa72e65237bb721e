"""A small in-memory HomeApi for unit tests of the understanding engine and the home-control skill."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from contracts.home import Area, Entity, Floor, Resolution, RiskTier
from contracts.messages import Action, StateChange

__all__ = ["FakeHome", "fixture_home", "small_home"]

_SENSITIVE = {"lock.unlock", "cover.open_cover:garage", "valve.open_valve", "alarm_control_panel.alarm_disarm"}


class FakeHome:
    """Entities in a dict; services change state the obvious way; every call is recorded."""

    def __init__(self, entities: Sequence[Entity], areas: Sequence[Area], floors: Sequence[Floor] = ()) -> None:
        """Build from entities, areas and floors."""
        self._entities = {e.entity_id: e for e in entities}
        self._areas = list(areas)
        self._floors = list(floors)
        self.calls: list[tuple[str, tuple[str, ...], dict[str, Any]]] = []
        self._subs: list[Callable[[StateChange], None]] = []
        self.fail: set[str] = set()

    def entities(self) -> Sequence[Entity]:
        """All entities."""
        return list(self._entities.values())

    def entity(self, entity_id: str) -> Entity | None:
        """One entity."""
        return self._entities.get(entity_id)

    def areas(self) -> Sequence[Area]:
        """Areas."""
        return list(self._areas)

    def floors(self) -> Sequence[Floor]:
        """Floors."""
        return list(self._floors)

    def states(self) -> dict[str, dict[str, Any]]:
        """States."""
        return {i: {"state": e.state, "attributes": dict(e.attributes)} for i, e in self._entities.items()}

    def resolve(self, phrase: str, *, domain: str | None = None, area: str | None = None) -> Resolution:
        """Exact name lookup."""
        found = tuple(
            e
            for e in self._entities.values()
            if phrase.lower() in (e.name.lower(), *(a.lower() for a in e.aliases))
            and (domain is None or e.domain == domain)
        )
        return Resolution(candidates=found, scores=tuple(1.0 for _ in found), ambiguous=len(found) > 1)

    def risk(self, entity_id: str, service: str) -> RiskTier:
        """Unlock, open valve and open garage door are sensitive."""
        e = self._entities.get(entity_id)
        if service in _SENSITIVE or (e is not None and f"{service}:{e.device_class}" in _SENSITIVE):
            return RiskTier.SENSITIVE
        return RiskTier.NORMAL

    def call_service(
        self, service: str, entity_ids: Sequence[str], data: Mapping[str, Any] | None = None
    ) -> list[Action]:
        """Apply a service to each entity."""
        if not entity_ids:
            raise ValueError("no targets")
        payload = dict(data or {})
        self.calls.append((service, tuple(entity_ids), payload))
        out = []
        for eid in entity_ids:
            e = self._entities[eid]
            if eid in self.fail:
                out.append(Action(eid, service, payload, success=False, error_code="device-unavailable"))
                continue
            state, attrs = _apply(e, service, payload)
            new = dataclasses.replace(e, state=state, attributes=attrs)
            self._entities[eid] = new
            change = StateChange(eid, {"state": e.state}, {"state": state, "attributes": attrs})
            for cb in self._subs:
                cb(change)
            out.append(Action(eid, service, payload, success=True, new_state={"state": state, "attributes": attrs}))
        return out

    def subscribe(self, callback: Callable[[StateChange], None]) -> Callable[[], None]:
        """Subscribe to changes."""
        self._subs.append(callback)
        return lambda: self._subs.remove(callback)


def _apply(e: Entity, service: str, data: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    attrs = dict(e.attributes)
    name = service.split(".", 1)[1]
    state = e.state
    if name == "turn_on":
        state = "on"
        if "brightness_pct" in data:
            attrs["brightness"] = round(255 * data["brightness_pct"] / 100)
        if "color_name" in data:
            attrs["color_name"] = data["color_name"]
    elif name == "turn_off":
        state = "off"
    elif name == "toggle":
        state = "off" if e.state == "on" else "on"
    elif name in ("open_cover", "open_valve"):
        state, attrs["current_position"] = "open", 100
    elif name in ("close_cover", "close_valve"):
        state, attrs["current_position"] = "closed", 0
    elif name in ("set_cover_position", "set_valve_position"):
        attrs["current_position"] = data["position"]
        state = "open" if data["position"] > 0 else "closed"
    elif name == "lock":
        state = "locked"
    elif name == "unlock":
        state = "unlocked"
    elif name == "set_temperature":
        attrs["temperature"] = data["temperature"]
    elif name == "media_pause":
        state = "paused"
    elif name == "media_play":
        state = "playing"
    elif name == "volume_set":
        attrs["volume_level"] = data["volume_level"]
    elif name == "start":
        state = "cleaning"
    elif name == "return_to_base":
        state = "returning"
    elif name == "add_item":
        attrs.setdefault("items", [])
        attrs["items"] = [*attrs["items"], data["item"]]
        state = str(len(attrs["items"]))
    elif name == "set_percentage":
        attrs["percentage"] = data["percentage"]
        state = "on" if data["percentage"] else "off"
    return state, attrs


def small_home() -> FakeHome:
    """Two floors, four rooms, a mix of devices (with a garage-door opener light and a garage door cover)."""
    floors = [Floor("ground", "Ground Floor", ("downstairs",)), Floor("upper", "Upstairs", ("first floor",))]
    areas = [
        Area("kitchen", "Kitchen", (), "ground"),
        Area("living_room", "Living Room", ("lounge",), "ground"),
        Area("bedroom", "Bedroom", (), "upper"),
        Area("garage", "Garage", (), "ground"),
        Area("office", "Office", ("study",), "upper"),
    ]
    E = Entity
    entities = [
        E("light.kitchen", "Kitchen Light", "off", {"brightness": 0}, (), "kitchen"),
        E("light.kitchen_counter", "Counter Lights", "off", {}, ("under cabinet lights",), "kitchen"),
        E("light.living_room", "Living Room Lamp", "on", {"brightness": 200}, ("reading lamp",), "living_room"),
        E("light.bedroom", "Bedroom Light", "off", {}, (), "bedroom"),
        E("light.office", "Desk Lamp", "off", {}, (), "office"),
        E("light.garage_opener", "Garage Door Opener Light", "off", {}, (), "garage"),
        E("cover.garage_door", "Garage Door", "closed", {"device_class": "garage"}, ("garage door opener",),
          "garage", device_class="garage"),
        E("cover.living_room_blinds", "Living Room Blinds", "closed", {"device_class": "blind"}, (), "living_room",
          device_class="blind"),
        E("cover.bedroom_curtains", "Bedroom Curtains", "open", {"device_class": "curtain"}, (), "bedroom",
          device_class="curtain"),
        E("lock.front_door", "Front Door", "locked", {}, ("main door",), "living_room"),
        E("lock.back_door", "Back Door", "locked", {}, ("back entrance",), "kitchen"),
        E("fan.bedroom", "Bedroom Fan", "off", {}, ("ceiling fan",), "bedroom"),
        E("switch.coffee_maker", "Coffee Maker", "off", {}, ("coffee machine",), "kitchen"),
        E("climate.thermostat", "Thermostat", "heat", {"temperature": 20, "current_temperature": 19.5},
          ("heating",), "living_room"),
        E("media_player.living_room_tv", "Living Room TV", "playing", {"volume_level": 0.3}, ("telly",),
          "living_room"),
        E("media_player.kitchen_speaker", "Kitchen Speaker", "idle", {"volume_level": 0.5}, (), "kitchen"),
        E("vacuum.robot", "Robot Vacuum", "docked", {}, ("roomba",), "living_room"),
        E("todo.shopping_list", "Shopping List", "0", {}, ("groceries",), None),
        E("sensor.outside_temperature", "Outside Temperature", "12.5", {"unit_of_measurement": "°C",
          "device_class": "temperature"}, (), None, device_class="temperature"),
        E("binary_sensor.kitchen_window", "Kitchen Window", "off", {"device_class": "window"}, (), "kitchen",
          device_class="window"),
        E("scene.movie_night", "Movie Night", "scening", {}, (), "living_room"),
    ]  # fmt: skip
    return FakeHome(entities, areas, floors)


def fixture_home(path: Path, local: Mapping[str, Any] | None = None) -> FakeHome:
    """A FakeHome from Home Assistant's test fixtures (``fixtures.json`` or one ``local_fixtures.json`` entry)."""
    data: Mapping[str, Any] = local if local is not None else json.loads(path.read_text(encoding="utf-8"))
    floors = [Floor(f.get("id", f["name"]), f["name"]) for f in data.get("floors", [])]
    areas = [Area(a.get("id", a["name"]), a["name"], (), a.get("floor")) for a in data.get("areas", [])]
    entities = []
    for i, raw in enumerate(data.get("entities", [])):
        domain = raw.get("domain") or raw["id"].split(".")[0]
        eid = raw.get("id") or f"{domain}.e{i}"
        state = raw.get("state", "")
        if isinstance(state, dict):
            state = state.get("out", "")
        attrs = dict(raw.get("attributes") or {})
        entities.append(
            Entity(
                eid, raw["name"], str(state or ""), attrs, (), raw.get("area"), device_class=attrs.get("device_class")
            )
        )
    return FakeHome(entities, areas, floors)
