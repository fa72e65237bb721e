"""Loading homes: Home Assistant's intent fixtures (JSON), the speech fixtures, and synthetic-home YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.features import CoverEntityFeature, MediaPlayerEntityFeature
from contracts.messages import AssistantError
from devices.loader import expand_name, load_home_data, load_home_file
from tests.devices.conftest import DEFAULT_HOME, HA_FIXTURES, HA_LOCAL_FIXTURES, SPEECH_FIXTURES, need


def test_ha_intent_fixtures_load_with_floors_areas_and_states() -> None:
    spec = load_home_file(need(HA_FIXTURES))
    assert len(spec.floors) == 5 and len(spec.areas) == 8 and len(spec.entities) == 107
    by_id = {e.entity_id: e for e in spec.entities}
    kitchen = next(a for a in spec.areas if a.name == "Kitchen")
    assert kitchen.floor_id == "first_floor_id"
    assert by_id["light.bedroom_lamp"].area_id == "bedroom_id" and by_id["light.bedroom_lamp"].state == "off"
    # {"in": spoken, "out": state} states keep both
    co = by_id["binary_sensor.co"]
    assert co.state == "off" and co.attributes["spoken_state"] == "clear" and co.device_class == "carbon_monoxide"
    # string numbers become numbers, unknown attributes are kept, volume in percent becomes 0..1
    assert by_id["cover.bedroom"].attributes["current_position"] == 0
    assert by_id["media_player.tv"].attributes["volume_level"] == 0.5
    assert by_id["sensor.outside_temperature"].attributes["unit_of_measurement"] == "°F"
    # hassil optional syntax in names becomes aliases
    trader = by_id["todo.trader_joes"]
    assert trader.name == "Trader Joe's" and "Trader Joes" in trader.aliases
    # entities without state get the domain's default; read-only domains offer no services
    assert by_id["scene.party_mode"].state == "unknown" and by_id["scene.party_mode"].services == {"scene.turn_on"}
    assert by_id["sensor.outside_temperature"].services == frozenset()
    assert spec.extra["media"][0]["title"] == "The Office"


def test_ha_local_fixtures_merge_or_pick_a_section() -> None:
    path = need(HA_LOCAL_FIXTURES)
    merged = load_home_file(path)
    assert {e.entity_id for e in merged.entities} >= {"light.overhead_light", "cover.sliding_door", "media_player.tv"}
    one = load_home_file(path, section="tests/en/HassGetState/name_only.yaml")
    [humidity] = one.entities
    assert humidity.entity_id == "sensor.outside_humidity" and humidity.state == "20"
    assert humidity.attributes["state_with_unit"] == "20 degrees"
    with pytest.raises(AssistantError) as err:
        load_home_file(path, section="nope")
    assert err.value.code == "home-invalid"


def test_speech_fixtures_light_capabilities() -> None:
    spec = load_home_file(need(SPEECH_FIXTURES))
    by_name = {e.name: e for e in spec.entities}
    assert by_name["Bed Light"].attributes["supported_color_modes"] == ["rgb"]
    assert by_name["Standing Light"].attributes["supported_color_modes"] == ["onoff"]
    assert by_name["EcoBee"].entity_id == "climate.ecobee"
    assert {a.id for a in spec.areas} == {"kitchen", "office"}


def test_default_home_is_complete() -> None:
    spec = load_home_file(DEFAULT_HOME)
    domains = {e.domain for e in spec.entities}
    assert {
        "light",
        "switch",
        "fan",
        "cover",
        "valve",
        "lock",
        "climate",
        "media_player",
        "vacuum",
        "todo",
        "sensor",
        "binary_sensor",
        "scene",
        "script",
        "alarm_control_panel",
        "weather",
        "input_boolean",
    } <= domains
    assert len(spec.entities) >= 40 and len(spec.areas) == 8 and len(spec.floors) == 2
    blinds = next(e for e in spec.entities if e.entity_id == "cover.living_room_blinds")
    assert blinds.device_class == "blind"
    assert blinds.attributes["supported_features"] == int(
        CoverEntityFeature.OPEN | CoverEntityFeature.CLOSE | CoverEntityFeature.SET_POSITION | CoverEntityFeature.STOP
    )
    tv = next(e for e in spec.entities if e.entity_id == "media_player.living_room_tv")
    assert tv.attributes["supported_features"] & MediaPlayerEntityFeature.SELECT_SOURCE
    vacuum = next(e for e in spec.entities if e.entity_id == "vacuum.robot_vacuum")
    assert vacuum.area_id == "living_room" and vacuum.device_id == "robot_vacuum"  # area through the device


def test_synthetic_home_enum_strings_and_devices() -> None:
    spec = load_home_data(
        {
            "areas": [{"name": "Garage", "floor": "Ground"}],
            "devices": [{"name": "Door Opener", "area": "garage", "entities": [{"id": "cover.door"}]}],
            "entities": [
                {
                    "id": "cover.gate",
                    "name": "Gate",
                    "device": "door_opener",
                    "state": "closed",
                    "attributes": {
                        "device_class": "cover.CoverDeviceClass.GATE",
                        "supported_features": "cover.CoverEntityFeature.OPEN | cover.CoverEntityFeature.CLOSE",
                        "custom_thing": {"a": 1},
                    },
                }
            ],
        }
    )
    gate = next(e for e in spec.entities if e.entity_id == "cover.gate")
    assert gate.device_class == "gate" and gate.attributes["supported_features"] == 3
    assert gate.area_id == "garage" and gate.attributes["custom_thing"] == {"a": 1}
    assert gate.services == {"cover.open_cover", "cover.close_cover", "cover.toggle"}
    door = next(e for e in spec.entities if e.entity_id == "cover.door")
    assert door.name == "Door Opener" and door.area_id == "garage"
    assert spec.floors[0].name == "Ground" and spec.areas[0].floor_id == spec.floors[0].id


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("areas: [1, 2]\n", "areas[0]"),
        ("entities:\n  - id: lightkitchen\n    name: X\n", "line 2"),
        ("entities:\n  - id: light.a\n    area: nowhere\n", "unknown area 'nowhere'"),
        ("entities:\n  - {id: light.a}\n  - {id: light.a}\n", "duplicate entity id"),
        ("entities:\n  - id: cover.a\n    attributes: {supported_features: cover.CoverEntityFeature.FLY}\n", "FLY"),
        ("entities: [\n", "not valid YAML (line"),
        ("entities:\n  - id: lock.a\n    risk: extreme\n", "risk must be one of"),
    ],
)
def test_bad_home_files_name_the_key_or_line(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "home.yaml"
    path.write_text(text)
    with pytest.raises(AssistantError) as err:
        load_home_file(path)
    assert err.value.code == "home-invalid"
    assert fragment in err.value.message


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "home.json"
    path.write_text('{"entities": [\n  {"id": "light.a",}\n]}')
    with pytest.raises(AssistantError) as err:
        load_home_file(path)
    assert "line 2" in err.value.message


def test_expand_name() -> None:
    assert expand_name("Trader Joe[']s") == ("Trader Joe's", ["Trader Joes", "Trader Joe's"])
    assert expand_name("(TV|Television) Light")[1] == ["TV Light", "Television Light"]
