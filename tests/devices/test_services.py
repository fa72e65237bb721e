"""Every domain's services on the simulated default home, including refusals (unsupported, read-only, bad data)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.messages import Action, AssistantError
from devices import Home


def run(home: Home, service: str, entity_id: str, data: dict[str, Any] | None = None) -> Action:
    [action] = home.call_service(service, [entity_id], data)
    return action


def ok(home: Home, service: str, entity_id: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    action = run(home, service, entity_id, data)
    assert action.success, action
    assert action.new_state is not None
    entity = home.entity(entity_id)
    assert entity is not None and entity.state == action.new_state["state"]
    return dict(action.new_state)


def refused(home: Home, service: str, entity_id: str, data: dict[str, Any] | None, code: str) -> None:
    before = home.entity(entity_id)
    action = run(home, service, entity_id, data)
    assert not action.success and action.error_code == code, action
    assert home.entity(entity_id) == before  # nothing changed


def test_light(home: Home) -> None:
    s = ok(home, "light.turn_on", "light.kitchen", {"brightness_pct": 40, "color_name": "blue"})
    assert s["state"] == "on" and s["attributes"]["brightness"] == 102 and s["attributes"]["rgb_color"] == [0, 0, 255]
    s = ok(home, "light.turn_on", "light.kitchen", {"color_temp_kelvin": 9000})
    assert s["attributes"]["color_temp_kelvin"] == 6500 and s["attributes"]["color_mode"] == "color_temp"  # clamped
    s = ok(home, "light.turn_on", "light.kitchen", {"brightness_step_pct": -10})
    assert s["attributes"]["brightness"] == 76
    assert ok(home, "light.turn_off", "light.kitchen")["attributes"]["brightness"] is None
    assert ok(home, "light.turn_on", "light.kitchen")["attributes"]["brightness"] == 76  # remembered
    assert ok(home, "light.toggle", "light.kitchen")["state"] == "off"
    assert ok(home, "light.turn_on", "light.hue_go_lamp", {"effect": "candle"})["attributes"]["effect"] == "candle"
    refused(home, "light.turn_on", "light.floor_lamp", {"brightness": 10}, "device-unsupported")  # on/off only
    refused(home, "light.turn_on", "light.bedroom", {"rgb_color": [1, 2, 3]}, "device-unsupported")  # white only
    refused(home, "light.turn_on", "light.living_room_lamps", {"effect": "x"}, "device-unsupported")
    refused(home, "light.turn_on", "light.kitchen", {"brightness": 300}, "device-invalid-params")
    refused(home, "light.turn_on", "light.kitchen", {"color_name": "ultraviolet"}, "device-invalid-params")
    refused(home, "light.turn_on", "light.kitchen", {"rgb_color": [1, 2]}, "device-invalid-params")
    refused(home, "light.turn_on", "light.kitchen", {"bogus": 1}, "device-invalid-params")
    refused(
        home,
        "light.turn_on",
        "light.kitchen",
        {"rgb_color": [1, 2, 3], "color_temp_kelvin": 3000},
        "device-invalid-params",
    )
    refused(home, "light.turn_on", "light.hue_go_lamp", {"effect": "disco"}, "device-invalid-params")
    refused(home, "light.turn_on", "light.kitchen", {"entity_id": "light.hallway"}, "device-invalid-params")


def test_switch_and_input_boolean(home: Home) -> None:
    assert ok(home, "switch.turn_on", "switch.coffee_maker")["state"] == "on"
    assert ok(home, "switch.toggle", "switch.coffee_maker")["state"] == "off"
    assert ok(home, "input_boolean.turn_on", "input_boolean.guest_mode")["state"] == "on"
    assert ok(home, "homeassistant.turn_off", "input_boolean.guest_mode")["state"] == "off"
    refused(home, "light.turn_on", "switch.coffee_maker", None, "device-unsupported")  # wrong domain


def test_fan(home: Home) -> None:
    fan = "fan.bedroom_ceiling_fan"
    assert ok(home, "fan.turn_on", fan, {"percentage": 50})["attributes"]["percentage"] == 50
    assert ok(home, "fan.increase_speed", fan)["attributes"]["percentage"] == 75
    assert ok(home, "fan.oscillate", fan, {"oscillating": True})["attributes"]["oscillating"] is True
    assert ok(home, "fan.set_direction", fan, {"direction": "reverse"})["attributes"]["direction"] == "reverse"
    assert ok(home, "fan.set_preset_mode", fan, {"preset_mode": "Sleep"})["attributes"]["preset_mode"] == "sleep"
    s = ok(home, "fan.set_percentage", fan, {"percentage": 0})
    assert s["state"] == "off"
    refused(home, "fan.set_preset_mode", fan, {"preset_mode": "turbo"}, "device-invalid-params")
    refused(home, "fan.set_direction", "fan.office_fan", {"direction": "forward"}, "device-unsupported")
    refused(home, "fan.set_percentage", "fan.bathroom_extractor", {"percentage": 20}, "device-unsupported")
    refused(home, "fan.turn_on", "fan.bathroom_extractor", {"percentage": 20}, "device-unsupported")
    refused(home, "fan.oscillate", fan, None, "device-invalid-params")  # missing oscillating
    assert ok(home, "fan.turn_on", "fan.bathroom_extractor")["state"] == "on"


def test_cover(home: Home) -> None:
    blinds = "cover.living_room_blinds"
    s = ok(home, "cover.set_cover_position", blinds, {"position": 30})
    assert s["state"] == "open" and s["attributes"]["current_position"] == 30
    s = ok(home, "cover.close_cover", blinds)
    assert s["state"] == "closed" and s["attributes"]["current_position"] == 0
    assert ok(home, "homeassistant.turn_on", blinds)["state"] == "open"  # maps to open_cover
    assert ok(home, "cover.toggle", blinds)["state"] == "closed"
    assert ok(home, "cover.stop_cover", blinds)["state"] == "closed"
    refused(home, "cover.set_cover_position", "cover.garage_door", {"position": 50}, "device-unsupported")
    refused(home, "cover.stop_cover", "cover.garage_door_opener", None, "device-unsupported")
    refused(home, "cover.set_cover_position", blinds, {"position": 101}, "device-invalid-params")
    refused(home, "cover.open_cover_tilt", blinds, None, "device-unsupported")
    assert ok(home, "cover.open_cover", "cover.garage_door")["state"] == "open"


def test_valve(home: Home) -> None:
    valve = "valve.garden_watering"
    s = ok(home, "valve.set_valve_position", valve, {"position": 25})
    assert s["state"] == "open" and s["attributes"]["current_position"] == 25
    assert ok(home, "valve.close_valve", valve)["state"] == "closed"
    refused(home, "valve.stop_valve", valve, None, "device-unsupported")


def test_lock(home: Home) -> None:
    assert ok(home, "lock.unlock", "lock.front_door")["state"] == "unlocked"
    assert ok(home, "lock.lock", "lock.front_door", {"code": "1234"})["state"] == "locked"
    assert ok(home, "lock.open", "lock.front_door")["state"] == "open"
    refused(home, "lock.open", "lock.back_door", None, "device-unsupported")  # no OPEN feature
    refused(home, "lock.turn_on", "lock.back_door", None, "device-unsupported")


def test_climate(home: Home) -> None:
    t = "climate.thermostat"
    s = ok(home, "climate.set_temperature", t, {"temperature": 22.5})
    assert s["attributes"]["temperature"] == 22.5 and s["state"] == "heat"
    assert ok(home, "climate.set_temperature", t, {"temperature": 19, "hvac_mode": "cool"})["state"] == "cool"
    assert ok(home, "climate.turn_off", t)["state"] == "off"
    assert ok(home, "climate.turn_on", t)["state"] == "cool"  # back to the last mode
    assert ok(home, "climate.set_hvac_mode", t, {"hvac_mode": "auto"})["state"] == "auto"
    assert ok(home, "climate.set_preset_mode", t, {"preset_mode": "eco"})["attributes"]["preset_mode"] == "eco"
    refused(home, "climate.set_temperature", t, {"temperature": 45}, "device-invalid-params")  # max 30
    refused(home, "climate.set_temperature", t, {}, "device-invalid-params")
    refused(home, "climate.set_hvac_mode", t, {"hvac_mode": "dry"}, "device-invalid-params")  # not in hvac_modes
    refused(home, "climate.set_temperature", t, {"target_temp_low": 18, "target_temp_high": 22}, "device-unsupported")
    refused(home, "climate.set_fan_mode", t, {"fan_mode": "low"}, "device-unsupported")


def test_media_player(home: Home) -> None:
    tv = "media_player.living_room_tv"
    assert ok(home, "media_player.turn_on", tv)["state"] == "idle"
    assert ok(home, "media_player.volume_set", tv, {"volume_level": 0.55})["attributes"]["volume_level"] == 0.55
    assert ok(home, "media_player.volume_up", tv)["attributes"]["volume_level"] == 0.65
    assert ok(home, "media_player.volume_mute", tv, {"is_volume_muted": True})["attributes"]["is_volume_muted"] is True
    s = ok(home, "media_player.play_media", tv, {"media_content_id": "The Office", "media_content_type": "tvshow"})
    assert s["state"] == "playing" and s["attributes"]["media_title"] == "The Office"
    assert ok(home, "media_player.media_pause", tv)["state"] == "paused"
    assert ok(home, "media_player.media_play", tv)["state"] == "playing"
    assert ok(home, "media_player.media_next_track", tv)["attributes"]["media_track"] == 2
    assert ok(home, "media_player.media_previous_track", tv)["attributes"]["media_track"] == 1
    assert ok(home, "media_player.select_source", tv, {"source": "netflix"})["attributes"]["source"] == "Netflix"
    assert ok(home, "media_player.media_stop", tv)["state"] == "idle"
    assert ok(home, "media_player.turn_off", tv)["state"] == "off"
    refused(home, "media_player.volume_set", tv, {"volume_level": 1.5}, "device-invalid-params")
    refused(home, "media_player.select_source", "media_player.kitchen_speaker", {"source": "x"}, "device-unsupported")
    refused(home, "media_player.shuffle_set", tv, {"shuffle": True}, "device-unsupported")


def test_vacuum(home: Home) -> None:
    v = "vacuum.robot_vacuum"
    assert ok(home, "vacuum.start", v)["state"] == "cleaning"
    assert ok(home, "vacuum.pause", v)["state"] == "paused"
    assert ok(home, "vacuum.set_fan_speed", v, {"fan_speed": "turbo"})["attributes"]["fan_speed"] == "turbo"
    assert ok(home, "vacuum.return_to_base", v)["state"] == "docked"
    assert ok(home, "homeassistant.turn_on", v)["state"] == "cleaning"
    assert ok(home, "vacuum.stop", v)["state"] == "idle"
    refused(home, "vacuum.clean_spot", v, None, "device-unsupported")
    refused(home, "vacuum.set_fan_speed", v, {"fan_speed": "hurricane"}, "device-invalid-params")


def test_todo(home: Home) -> None:
    todo = "todo.shopping_list"
    s = ok(home, "todo.add_item", todo, {"item": "Apples"})
    assert s["state"] == "3" and [i["summary"] for i in s["attributes"]["items"]][-1] == "Apples"
    s = ok(home, "todo.update_item", todo, {"item": "apples", "status": "completed"})
    assert s["state"] == "2"
    s = ok(home, "todo.remove_item", todo, {"item": ["Milk", "Eggs"]})
    assert s["state"] == "0"
    s = ok(home, "todo.remove_completed_items", todo)
    assert s["attributes"]["items"] == []
    refused(home, "todo.remove_item", todo, {"item": "Caviar"}, "device-invalid-params")
    refused(home, "todo.add_item", todo, {"item": ""}, "device-invalid-params")
    refused(home, "todo.update_item", todo, {"item": "x"}, "device-invalid-params")


def test_read_only_domains(home: Home) -> None:
    refused(home, "sensor.turn_on", "sensor.kitchen_temperature", None, "device-read-only")
    refused(home, "homeassistant.turn_on", "binary_sensor.living_room_motion", None, "device-read-only")
    refused(home, "weather.get_forecasts", "weather.home", None, "device-read-only")


def test_scene_script_alarm(home: Home) -> None:
    ok(home, "scene.turn_on", "scene.movie_night")
    lamps = home.entity("light.living_room_lamps")
    blinds = home.entity("cover.living_room_blinds")
    assert lamps is not None and lamps.attributes["brightness"] == 40
    assert blinds is not None and blinds.state == "closed"
    s = ok(home, "script.turn_on", "script.good_night")
    assert s["attributes"]["last_triggered"]
    alarm = "alarm_control_panel.home_alarm"
    assert ok(home, "alarm_control_panel.alarm_arm_away", alarm)["state"] == "armed_away"
    assert ok(home, "alarm_control_panel.alarm_disarm", alarm, {"code": "1234"})["state"] == "disarmed"
    refused(home, "alarm_control_panel.alarm_arm_custom_bypass", alarm, None, "device-unsupported")


def test_targets_are_explicit(home: Home) -> None:
    with pytest.raises(AssistantError) as err:
        home.call_service("light.turn_on", [])
    assert err.value.code == "device-invalid-params"
    actions = home.call_service("light.turn_on", ["light.kitchen", "light.nope", "light.floor_lamp"], {"brightness": 9})
    assert [(a.entity_id, a.success, a.error_code) for a in actions] == [
        ("light.kitchen", True, None),
        ("light.nope", False, "device-unknown"),
        ("light.floor_lamp", False, "device-unsupported"),
    ]
    initial = {e.entity_id: e.state for e in home.spec.entities}
    changed = [e.entity_id for e in home.entities() if e.state != initial[e.entity_id]]
    assert changed == ["light.kitchen"]  # nothing else was touched


def test_confirmed_flag_is_recorded(home: Home) -> None:
    [action] = home.call_service("lock.unlock", ["lock.front_door"], confirmed=True)
    assert action.success and action.confirmed_by_user
