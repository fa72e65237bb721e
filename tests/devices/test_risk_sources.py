"""Risk from the merged entity: every source's device class, the most cautious tier, classes inferred from names.

Issue 12: an MQTT cover discovered without ``device_class`` opened as "garage door" with no confirmation, because
the overlay dropped the home file's ``device_class: garage``. Each adapter is checked: simulated, MQTT (real
mosquitto) and Home Assistant (the fake REST server).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts.home import RiskTier
from devices import Home, create_home
from devices.adapters.homeassistant import HaSettings
from devices.loader import make_entity
from devices.risk import RiskPolicy, device_classes, infer_opening_classes
from tests.devices.test_homeassistant import TOKEN, FakeHomeAssistant
from tests.devices.test_mqtt import MOSQUITTO

SENSITIVE, NORMAL, BLOCKED = RiskTier.SENSITIVE, RiskTier.NORMAL, RiskTier.BLOCKED


# ---- the mechanism ---------------------------------------------------------------------------------------------


def test_opening_classes_are_inferred_from_whole_words() -> None:
    assert infer_opening_classes("cover", ["Garage Door"]) == ("garage", "door")
    assert infer_opening_classes("switch", ["Driveway Gates"]) == ("gate",)
    assert infer_opening_classes("switch", ["Main water shutoff"]) == ("water",)
    assert infer_opening_classes("button", ["Front deadbolt"]) == ("lock",)
    assert infer_opening_classes("cover", ["Blind", "garage_door"]) == ("garage", "door")  # any name counts
    # something else near an opening, or a word only inside another word: nothing inferred
    assert infer_opening_classes("switch", ["Garage Light"]) == ()
    assert infer_opening_classes("switch", ["Door bell"]) == ()
    assert infer_opening_classes("switch", ["Outdoor plug"]) == ()
    assert infer_opening_classes("switch", ["Water heater"]) == ()
    # only opening-type domains
    assert infer_opening_classes("light", ["Garage Door Opener"]) == ()


def test_device_classes_prefer_what_sources_give() -> None:
    named = make_entity("cover.garage_door", "Garage Door")
    assert device_classes(named) == ("garage", "door")
    blind = make_entity("cover.garage_door", "Garage Door", attributes={"device_class": "blind"})
    assert device_classes(blind) == ("blind",)  # a source's class is not second-guessed by the name
    assert device_classes(blind, ["garage"]) == ("blind", "garage")
    generic = make_entity("switch.gate", "Gate", attributes={"device_class": "switch"})
    assert device_classes(generic) == ("switch", "gate")  # a generic class says nothing: still inferred


def test_policy_takes_the_most_cautious_class_and_keeps_explicit_overrides() -> None:
    policy = RiskPolicy({"cover@garage": "normal"})
    curtain = make_entity("cover.c", "Curtain", attributes={"device_class": "curtain"})
    assert policy.tier(curtain, "cover.open_cover") is NORMAL
    assert policy.tier(curtain, "cover.open_cover", classes=["door"]) is SENSITIVE  # door beats curtain
    assert policy.tier(curtain, "cover.open_cover", classes=["garage"]) is NORMAL  # the user relaxed garage
    blocked = RiskPolicy({"cover.open_cover@gate": "blocked"})
    assert blocked.tier(curtain, "cover.open_cover", classes=["door", "gate"]) is BLOCKED
    relay = make_entity("switch.gate_relay", "Gate Relay")
    assert RiskPolicy().tier(relay, "switch.turn_on") is SENSITIVE
    assert RiskPolicy().tier(relay, "switch.turn_off") is SENSITIVE
    assert RiskPolicy({"switch.gate_relay": "normal"}).tier(relay, "switch.turn_on") is NORMAL  # entity key wins


# ---- per adapter -----------------------------------------------------------------------------------------------


def test_simulated_bare_garage_door_and_lock_are_sensitive(tmp_path: Path) -> None:
    path = tmp_path / "home.yaml"
    path.write_text(
        "entities:\n"
        "  - {id: cover.garage_door, name: Garage Door}\n"
        "  - {id: cover.shed, name: Shed, aliases: [side gate]}\n"
        "  - {id: lock.front, name: Front}\n"
        "  - {id: switch.garage_light, name: Garage Light}\n"
        "  - {id: cover.roller, name: Roller, device_class: garage}\n"
    )
    home = create_home(file=path, persist=False)
    try:
        assert home.risk("cover.garage_door", "cover.open_cover") is SENSITIVE
        assert home.risk("cover.garage_door", "homeassistant.turn_on") is SENSITIVE
        assert home.risk("cover.garage_door", "cover.close_cover") is NORMAL
        assert home.risk("cover.shed", "cover.open_cover") is SENSITIVE  # an alias names it
        assert home.risk("lock.front", "lock.unlock") is SENSITIVE
        assert home.risk("switch.garage_light", "switch.turn_on") is NORMAL
        roller = home.entity("cover.roller")
        assert roller is not None and roller.device_class == "garage"
        assert home.risk("cover.roller", "cover.open_cover") is SENSITIVE
    finally:
        home.close()


@pytest.mark.slow
@pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto is not installed (make setup installs it)")
def test_mqtt_bare_discovery_and_home_file_classes(tmp_path: Path) -> None:
    from tests.devices.mqtt_devices import bare_mqtt_home

    with bare_mqtt_home(tmp_path) as (home, _broker, devices):
        garage = home.entity("cover.garage_door")
        assert garage is not None and garage.device_class is None  # discovery said nothing
        assert home.risk("cover.garage_door", "cover.open_cover") is SENSITIVE
        assert home.risk("cover.garage_door", "cover.toggle") is SENSITIVE
        assert home.risk("lock.front", "lock.unlock") is SENSITIVE
        assert home.risk("switch.gate_relay", "switch.turn_on") is SENSITIVE

        # the home file's class and features survive the overlay, and later state reports
        roller = home.entity("cover.roller")
        assert roller is not None and roller.name == "Back Roller" and roller.area_id == "garage"
        assert roller.device_class == "garage" and roller.attributes["device_class"] == "garage"
        assert home.risk("cover.roller", "cover.open_cover") is SENSITIVE
        # discovery says curtain, the home file garage: the file's class is kept and the cautious tier wins
        curtain = home.entity("cover.curtain")
        assert curtain is not None and curtain.device_class == "garage"
        assert curtain.attributes["device_class"] == "curtain"
        assert home.risk("cover.curtain", "cover.open_cover") is SENSITIVE
        # the home file's per-entity risk applies to the discovered entity
        assert home.risk("switch.kettle", "switch.turn_on") is SENSITIVE
        assert home.risk("switch.kettle", "switch.turn_off") is NORMAL

        [opened] = home.call_service("cover.open_cover", ["cover.roller"], confirmed=True)
        assert opened.success and ("bare/roller/set", "OPEN") in devices.received
        roller = home.entity("cover.roller")
        assert roller is not None and roller.state == "open" and roller.attributes["device_class"] == "garage"
        assert home.risk("cover.roller", "cover.open_cover") is SENSITIVE


@pytest.fixture
def fake_ha() -> Iterator[FakeHomeAssistant]:
    fake = FakeHomeAssistant()
    fake.states["cover.bare_garage"] = {
        "entity_id": "cover.bare_garage",
        "state": "closed",
        "attributes": {"friendly_name": "Garage Door"},
    }
    fake.states["lock.bare"] = {"entity_id": "lock.bare", "state": "locked", "attributes": {}}
    fake.states["cover.roller"] = {
        "entity_id": "cover.roller",
        "state": "closed",
        "attributes": {"friendly_name": "Roller"},
    }
    fake.states["cover.curtain"] = {
        "entity_id": "cover.curtain",
        "state": "closed",
        "attributes": {"friendly_name": "Curtain", "device_class": "curtain", "supported_features": 3},
    }
    fake.start()
    yield fake
    fake.stop()


@pytest.mark.slow
def test_homeassistant_bare_entities_and_home_file_classes(fake_ha: FakeHomeAssistant, tmp_path: Path) -> None:
    path = tmp_path / "home.yaml"
    path.write_text(
        "entities:\n"
        "  - {id: cover.roller, name: Back Roller, device_class: garage, supported_features: 3}\n"
        "  - {id: cover.curtain, name: Side Curtain, device_class: gate}\n"
    )
    settings = HaSettings(url=fake_ha.url, token=TOKEN, poll_interval_s=0, follow="off")
    home: Home = create_home(file=path, adapter="homeassistant", ha=settings)
    try:
        assert home.risk("cover.bare_garage", "cover.open_cover") is SENSITIVE
        assert home.risk("lock.bare", "lock.unlock") is SENSITIVE
        roller = home.entity("cover.roller")
        assert roller is not None and roller.device_class == "garage"
        assert roller.attributes["supported_features"] == 3 and "cover.set_cover_position" not in roller.services
        assert home.risk("cover.roller", "cover.open_cover") is SENSITIVE
        curtain = home.entity("cover.curtain")
        assert curtain is not None and curtain.device_class == "gate"
        assert home.risk("cover.curtain", "cover.open_cover") is SENSITIVE
        # a state change reported later keeps the file's metadata
        [opened] = home.call_service("cover.open_cover", ["cover.roller"], confirmed=True)
        assert opened.success and not opened.assumed
        roller = home.entity("cover.roller")
        assert roller is not None and roller.state == "open" and roller.attributes["device_class"] == "garage"
        assert home.risk("cover.roller", "cover.open_cover") is SENSITIVE
    finally:
        home.close()
