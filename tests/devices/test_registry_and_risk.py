"""Name resolution (exact, area, fuzzy, ambiguity), area/floor lookups, and risk tiers with overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.home import Entity, RiskTier
from contracts.messages import AssistantError
from devices import Home, create_home
from devices.registry import Registry
from tests.devices.conftest import DEFAULT_HOME, HA_FIXTURES, need


def ids(home: Home, phrase: str, **kw: str) -> list[str]:
    return [c.entity_id for c in home.resolve(phrase, **kw).candidates]


def test_lookup_ignores_case_accents_apostrophes_and_articles() -> None:
    kids = Entity(entity_id="light.kids", name="Kid’s Room Lamp", state="off")
    cafe = Entity(entity_id="light.cafe", name="Café", state="off")
    registry = Registry([kids, cafe], [], [])
    assert [e.entity_id for e in registry.resolve("the kids room lamp").candidates] == ["light.kids"]
    assert [e.entity_id for e in registry.resolve("My CAFE!").candidates] == ["light.cafe"]


def test_exact_alias_and_case_insensitive(home: Home) -> None:
    assert ids(home, "Kitchen Light") == ["light.kitchen"]
    assert ids(home, "the KITCHEN lights") == ["light.kitchen"]  # alias
    assert ids(home, "telly") == ["media_player.living_room_tv"]
    res = home.resolve("hue go lamp")
    assert not res.ambiguous and res.scores == (1.0,)


def test_same_name_in_two_domains_is_ambiguous_until_the_domain_is_given(home: Home) -> None:
    res = home.resolve("Garage Door Opener")
    assert res.ambiguous and {c.entity_id for c in res.candidates} == {
        "cover.garage_door_opener",
        "light.garage_door_opener",
    }
    cover = home.resolve("garage door opener", domain="cover")
    assert not cover.ambiguous and [c.entity_id for c in cover.candidates] == ["cover.garage_door_opener"]
    assert ids(home, "garage door opener", domain="light") == ["light.garage_door_opener"]


def test_area_phrases(home: Home) -> None:
    res = home.resolve("lounge", domain="light")
    assert res.matched_area is not None and res.matched_area.id == "living_room"
    assert {c.entity_id for c in res.candidates} == {"light.living_room_lamps", "light.floor_lamp", "light.hue_go_lamp"}
    assert ids(home, "bedroom fan") == ["fan.bedroom_ceiling_fan"]
    assert ids(home, "ceiling fan in the bedroom") == ["fan.bedroom_ceiling_fan"]
    assert ids(home, "light", area="hallway") == []  # no entity is called just "light"
    assert ids(home, "hallway light", area="hall") == ["light.hallway"]
    assert home.resolve("Hallway Light", area="Kitchen").candidates == ()


def test_fuzzy_and_no_guessing(home: Home) -> None:
    res = home.resolve("kitchen lite")
    assert res.candidates and res.candidates[0].entity_id == "light.kitchen" and 0.8 < res.scores[0] < 1.0
    assert home.resolve("spaceship").candidates == ()
    res = home.resolve("bedroom temperatures")
    assert res.candidates[0].entity_id == "sensor.bedroom_temperature"


def test_area_and_floor_lookup(home: Home) -> None:
    area = home.find_area("backyard")
    assert area is not None and area.id == "garden"
    assert home.find_area("kitchen") is not None and home.find_area("attic") is None
    floor = home.find_floor("downstairs")
    assert floor is not None and floor.id == "ground_floor"
    assert {e.entity_id for e in home.entities_in_area("garage", "cover")} == {
        "cover.garage_door",
        "cover.garage_door_opener",
    }
    upstairs_lights = {e.entity_id for e in home.entities_on_floor("upstairs", "light")}
    assert upstairs_lights == {"light.bedroom", "light.bedside_lamp", "light.office", "light.bathroom"}


def test_ha_fixture_duplicates_are_ambiguous(tmp_path: Path) -> None:
    home = create_home(file=need(HA_FIXTURES), persist=False)
    try:
        phone = home.resolve("Phone")
        assert phone.ambiguous and len(phone.candidates) > 3
        assert all(i.startswith("binary_sensor.") for i in ids(home, "phone", domain="binary_sensor"))
        assert ids(home, "my phone", domain="sensor") == ["sensor.my_phone_battery"]
        assert ids(home, "Trader Joes") == ["todo.trader_joes"]
    finally:
        home.close()


def test_default_risk_tiers(home: Home) -> None:
    assert home.risk("lock.front_door", "lock.unlock") is RiskTier.SENSITIVE
    assert home.risk("lock.front_door", "lock.open") is RiskTier.SENSITIVE
    assert home.risk("lock.front_door", "lock.lock") is RiskTier.NORMAL
    assert home.risk("cover.garage_door", "cover.open_cover") is RiskTier.SENSITIVE
    assert home.risk("cover.garage_door", "homeassistant.turn_on") is RiskTier.SENSITIVE
    assert home.risk("cover.garage_door", "cover.close_cover") is RiskTier.NORMAL
    assert home.risk("cover.living_room_blinds", "cover.open_cover") is RiskTier.NORMAL
    assert home.risk("alarm_control_panel.home_alarm", "alarm_control_panel.alarm_disarm") is RiskTier.SENSITIVE
    assert home.risk("valve.garden_watering", "valve.open_valve") is RiskTier.SENSITIVE
    assert home.risk("light.kitchen", "light.turn_on") is RiskTier.NORMAL


def test_risk_overrides_config_and_home_file(tmp_path: Path) -> None:
    path = tmp_path / "home.yaml"
    path.write_text(
        "entities:\n"
        "  - {id: light.porch, name: Porch}\n"
        "  - {id: lock.shed, name: Shed, risk: normal}\n"
        "  - {id: switch.heater, name: Heater, risk: {turn_on: sensitive}}\n"
        "  - {id: cover.gate, name: Gate, attributes: {device_class: gate}}\n"
        "  - {id: cover.shutter, name: Shutter, attributes: {device_class: shutter}}\n"
    )
    home = create_home(
        file=path,
        persist=False,
        risk={
            "light.porch": "blocked",
            "cover@shutter": "sensitive",
            "lock.shed:lock.open": "blocked",
            "switch": "normal",
        },
    )
    try:
        assert home.risk("light.porch", "light.turn_on") is RiskTier.BLOCKED
        assert home.risk("lock.shed", "lock.unlock") is RiskTier.NORMAL  # file beats the default
        assert home.risk("lock.shed", "lock.open") is RiskTier.BLOCKED  # entity:service beats the file
        assert home.risk("switch.heater", "switch.turn_on") is RiskTier.SENSITIVE
        assert home.risk("switch.heater", "switch.turn_off") is RiskTier.NORMAL
        assert home.risk("cover.gate", "cover.open_cover") is RiskTier.SENSITIVE
        assert home.risk("cover.shutter", "cover.close_cover") is RiskTier.SENSITIVE
        [blocked] = home.call_service("light.turn_on", ["light.porch"])
        assert not blocked.success and blocked.error_code == "permission-denied"
        assert home.entity("light.porch").state == "off"  # type: ignore[union-attr]
        home.set_risk("light.porch", RiskTier.NORMAL)
        assert home.call_service("light.turn_on", ["light.porch"])[0].success
    finally:
        home.close()


def test_bad_risk_value_is_a_config_error() -> None:
    with pytest.raises(AssistantError) as err:
        create_home(file=DEFAULT_HOME, persist=False, risk={"lock.unlock": "scary"})
    assert err.value.code == "config-invalid" and "lock.unlock" in err.value.message
