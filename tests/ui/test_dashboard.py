"""The Home tab's formatting: states read as Home Assistant reads them, controls on each row, checked row events."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, asdict
from types import MappingProxyType, SimpleNamespace
from typing import Any

import pytest

from contracts.home import Entity
from tests.ui.conftest import FakeHome
from ui import dashboard
from ui.records import AreaView, EntityView, FloorView


def _e(entity_id: str, state: str, attributes: dict[str, Any] | None = None, **kw: Any) -> Entity:
    return Entity(entity_id, kw.pop("name", entity_id.split(".", 1)[1].replace("_", " ").title()), state,
                  attributes or {}, **kw)  # fmt: skip


@pytest.mark.parametrize(
    ("device_class", "on", "off"),
    [
        ("door", "Open", "Closed"),
        ("window", "Open", "Closed"),
        ("garage_door", "Open", "Closed"),
        ("opening", "Open", "Closed"),
        ("motion", "Detected", "Clear"),
        ("occupancy", "Detected", "Clear"),
        ("presence", "Home", "Away"),
        ("moisture", "Wet", "Dry"),
        ("binary_sensor.BinarySensorDeviceClass.MOTION", "Detected", "Clear"),  # HA's enum spelling
        (None, "On", "Off"),
    ],
)
def test_binary_sensors_read_by_device_class(device_class: str | None, on: str, off: str) -> None:
    assert dashboard.state_text(_e("binary_sensor.x", "on", device_class=device_class)) == on
    assert dashboard.state_text(_e("binary_sensor.x", "off", device_class=device_class)) == off
    # the class may also sit in the attributes only
    assert dashboard.state_text(_e("binary_sensor.x", "on", {"device_class": device_class})) == on


def test_warnings_are_red_and_activity_is_highlighted() -> None:
    assert dashboard.state_class(_e("binary_sensor.leak", "on", device_class="moisture")) == "alert"
    assert dashboard.state_class(_e("binary_sensor.leak", "off", device_class="moisture")) == "off"
    assert dashboard.state_class(_e("binary_sensor.door", "on", device_class="door")) == "on"
    assert dashboard.state_class(_e("lock.front", "jammed")) == "alert"
    assert dashboard.state_class(_e("scene.movie", "unknown")) == "off"  # never alarm red
    assert dashboard.state_class(_e("sensor.t", "21.4", {"unit_of_measurement": "°C"})) == "value"


def test_states_by_domain() -> None:
    assert dashboard.state_text(_e("lock.front_door", "locked")) == "Locked"
    assert dashboard.state_text(_e("lock.front_door", "unlocked")) == "Unlocked"
    for state, shown in (("open", "Open"), ("closed", "Closed"), ("opening", "Opening"), ("closing", "Closing")):
        assert dashboard.state_text(_e("cover.garage_door", state)) == shown
    blinds = _e("cover.blinds", "open", {"current_position": 60}, services=frozenset({"cover.set_cover_position"}))
    assert dashboard.state_text(blinds) == "Open · 60%"
    assert dashboard.state_text(_e("sensor.kitchen", "21.4", {"unit_of_measurement": "°C"})) == "21.4 °C"
    assert dashboard.state_text(_e("sensor.humidity", "46", {"unit_of_measurement": "%"})) == "46%"
    weather = _e("weather.home", "partlycloudy", {"temperature": 13, "temperature_unit": "°C", "humidity": 71})
    assert dashboard.state_text(weather) == "Partly cloudy · 13 °C"
    assert "target" not in dashboard.state_text(weather)
    assert dashboard.state_text(_e("todo.shopping", "2")) == "2 to do"
    assert dashboard.state_text(_e("alarm_control_panel.home", "armed_away")) == "Armed away"
    assert dashboard.state_text(_e("media_player.tv", "off", {"volume_level": 0.3})) == "Off"
    assert dashboard.state_text(_e("vacuum.robot", "docked", {"battery_level": 100})) == "Docked · battery 100%"
    assert dashboard.state_text(_e("light.x", "unavailable")) == "Unavailable"


def test_lights_climate_and_media_show_their_values() -> None:
    home = FakeHome()
    home.call_service("light.turn_on", ["light.kitchen"], {"brightness_pct": 40})
    assert dashboard.state_text(home.entity("light.kitchen")) == "On · 40%"
    assert dashboard.state_text(home.entity("light.hall_lamp")) == "Off"
    assert dashboard.state_text(home.entity("climate.hall")) == "Heat · 19.5 ° → 20 °"
    thermostat = _e(
        "climate.t",
        "heat",
        {"temperature": 21, "current_temperature": 20.5, "temperature_unit": "°C"},
        services=frozenset({"climate.set_temperature"}),
    )
    assert dashboard.state_text(thermostat) == "Heat · 20.5 °C → 21 °C"
    tv = _e("media_player.tv", "playing", {"volume_level": 0.3}, services=frozenset({"media_player.volume_set"}))
    assert dashboard.state_text(tv) == "Playing · volume 30%"


def test_row_buttons_follow_the_state() -> None:
    home = FakeHome()
    assert dashboard.plan_controls(home.entity("light.kitchen")).buttons == (("Turn on", "light.turn_on"),)
    home.call_service("light.turn_on", ["light.kitchen"])
    assert dashboard.plan_controls(home.entity("light.kitchen")).buttons == (("Turn off", "light.turn_off"),)
    assert dashboard.plan_controls(home.entity("lock.front_door")).buttons == (("Unlock", "lock.unlock"),)
    home.call_service("lock.unlock", ["lock.front_door"])
    assert dashboard.plan_controls(home.entity("lock.front_door")).buttons == (("Lock", "lock.lock"),)
    assert [s for _, s in dashboard.plan_controls(home.entity("cover.bedroom_blinds")).buttons] == [
        "cover.open_cover",
        "cover.close_cover",
    ]  # no stop service on this cover
    assert dashboard.plan_controls(home.entity("scene.evening")).buttons == (("Activate", "scene.turn_on"),)
    script = _e("script.good_night", "off", services=frozenset({"script.turn_on", "script.turn_off"}))
    assert dashboard.plan_controls(script).buttons == (("Run", "script.turn_on"),)
    assert dashboard.plan_controls(home.entity("sensor.outside")).buttons == ()


def test_sliders_per_domain() -> None:
    home = FakeHome()
    light = dashboard.plan_controls(home.entity("light.kitchen"))
    assert light.brightness == 0.0 and [s.kind for s in light.sliders()] == ["brightness"]
    assert dashboard.plan_controls(home.entity("light.hall_lamp")).sliders() == ()  # on/off only
    cover = dashboard.plan_controls(home.entity("cover.bedroom_blinds"))
    assert cover.position == 0.0 and cover.position_service == "cover.set_cover_position"
    climate = dashboard.plan_controls(home.entity("climate.hall"))
    (spec,) = climate.sliders()
    assert (spec.kind, spec.value, spec.minimum, spec.maximum, spec.step) == ("temperature", 20.0, 10.0, 30.0, 0.5)


def test_slider_service_maps_controls_to_services() -> None:
    plan = dashboard.plan_controls(FakeHome().entity("cover.bedroom_blinds"))
    assert dashboard.slider_service(plan, "position", 55.4) == ("cover.set_cover_position", {"position": 55})
    assert dashboard.slider_service(plan, "brightness", 30) == ("light.turn_on", {"brightness_pct": 30})
    assert dashboard.slider_service(plan, "volume", 35) == ("media_player.volume_set", {"volume_level": 0.35})
    assert dashboard.slider_service(plan, "temperature", 21.5) == ("climate.set_temperature", {"temperature": 21.5})
    with pytest.raises(ValueError):
        dashboard.slider_service(plan, "colour", 1)


def test_row_requests_are_checked_against_the_entity() -> None:
    home = FakeHome()
    lock = home.entity("lock.front_door")
    assert dashboard.row_request(lock, {"entity": "lock.front_door", "service": "lock.unlock"}) == ("lock.unlock", {})
    assert dashboard.row_request(lock, {"entity": "lock.front_door", "service": "light.turn_on"}) is None
    assert dashboard.row_request(lock, {"entity": "light.kitchen", "service": "lock.unlock"}) is None  # other row
    assert dashboard.row_request(lock, {"entity": "lock.front_door", "service": "lock.open"}) is None  # unsupported
    assert dashboard.row_request(None, {"entity": "x.y", "service": "x.z"}) is None
    assert dashboard.row_request(lock, "lock.unlock") is None
    light = home.entity("light.kitchen")
    slide = {"entity": "light.kitchen", "kind": "brightness", "value": 40}
    assert dashboard.row_request(light, slide) == ("light.turn_on", {"brightness_pct": 40})
    assert dashboard.row_request(light, {**slide, "value": 400}) == ("light.turn_on", {"brightness_pct": 100})
    assert dashboard.row_request(light, {**slide, "value": "nan"}) is None
    assert dashboard.row_request(light, {**slide, "kind": "position"}) is None  # no such slider on a light
    climate = home.entity("climate.hall")
    assert dashboard.row_request(climate, {"entity": "climate.hall", "kind": "temperature", "value": 3}) == (
        "climate.set_temperature",
        {"temperature": 10.0},
    )  # clamped to min_temp


def test_dashboard_groups_by_floor_then_area_with_controls_on_each_row() -> None:
    home = FakeHome()
    out = dashboard.dashboard_html(home.entities(), home.areas(), home.floors(), highlight={"light.kitchen"})
    ground, first = out.index("Ground floor"), out.index("First floor")
    assert ground < out.index("Kitchen Light") < first < out.index("Bedroom Blinds")
    assert "Outside &lt;Temp&gt;" in out and "<Temp>" not in out
    assert "Unassigned" in out and "12 °C" in out
    assert '<div class="entity changed" data-entity="light.kitchen" data-domain="light">' in out
    kitchen = out[out.index('data-entity="light.kitchen"') : out.index('data-entity="light.kitchen"') + 1200]
    assert 'data-service="light.turn_on"' in kitchen and 'data-kind="brightness"' in kitchen
    assert 'class="state off" data-state="off">Off<' in kitchen
    evening = out[out.index('data-entity="scene.evening"') :]
    evening = evening[: evening.index('data-entity="', 20)]
    assert "Activate" in evening and 'class="state' not in evening and "nknown" not in evening
    door = out[out.index('data-entity="binary_sensor.hall_door"') :]
    assert 'data-state="on">Open</span>' in door[:400]
    assert "<script" not in out and "onclick" not in out.lower()


def test_hostile_names_stay_text() -> None:
    evil = _e(
        "light.evil",
        "on",
        {"brightness": 128, "unit_of_measurement": "<b>"},
        name='"><img src=x onerror=alert(1)>',
        services=frozenset({"light.turn_on", "light.turn_off"}),
    )
    out = dashboard.dashboard_html([evil], [], [])
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert 'aria-label="Turn off &quot;&gt;&lt;img' in out


def test_entities_areas_and_floors_convert_once_from_a_dataclass_or_a_mapping_alike() -> None:
    home = FakeHome()
    light = home.entity("light.kitchen")
    assert light is not None
    as_dict = asdict(light)
    view = EntityView.from_any(light)
    assert view == EntityView.from_any(as_dict) == EntityView.from_any(MappingProxyType(as_dict))
    assert EntityView.from_any(view) is view  # a record passes through unconverted
    assert view.domain == "light" and "light.turn_on" in view.services and isinstance(view.services, frozenset)
    with pytest.raises(FrozenInstanceError):
        view.state = "on"  # type: ignore[misc]
    # the device class is read from the field, else from the attributes
    sensor = EntityView.from_any(
        {"entity_id": "binary_sensor.x", "state": "on", "attributes": {"device_class": "door"}}
    )
    assert sensor.device_class_raw == "door" and dashboard.state_text(sensor) == "Open"
    assert EntityView.from_any(SimpleNamespace(entity_id="sensor.t")).state == ""  # missing fields read as empty
    # every public formatter shows the same for the engine's record, a plain mapping and the view record
    for given in (light, as_dict, view):
        assert dashboard.state_text(given) == dashboard.state_text(light)
        assert dashboard.state_class(given) == dashboard.state_class(light)
        assert dashboard.plan_controls(given) == dashboard.plan_controls(light)
        assert dashboard.row_request(given, {"entity": "light.kitchen", "service": "light.turn_on"}) == (
            "light.turn_on",
            {},
        )
    entities, areas, floors = home.entities(), home.areas(), home.floors()
    expected = dashboard.dashboard_html(entities, areas, floors, highlight={"light.kitchen"})
    assert (
        dashboard.dashboard_html(
            [asdict(e) for e in entities],
            [AreaView.from_any(asdict(a)) for a in areas],
            [FloorView.from_any(f) for f in floors],
            highlight={"light.kitchen"},
        )
        == expected
    )
