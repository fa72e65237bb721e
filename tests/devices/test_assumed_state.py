"""Assumed state: a command the adapter sent but cannot confirm is reported as such, never as done.

Issue 12: an MQTT switch without a state topic (optimistic in Home Assistant's terms) was reported as "Turned on"
while the broker was frozen. The Action now says ``assumed`` and the reply says the state cannot be confirmed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts.messages import Action
from devices import create_home
from devices.adapters.homeassistant import HaSettings
from skills.home_control.replies import is_assumed, summarize
from tests.devices.test_homeassistant import TOKEN, FakeHomeAssistant
from tests.devices.test_mqtt import MOSQUITTO

HONEST = "I sent the command to turn on the Desk Fan, but it doesn't report its state, so I can't confirm it."

# ---- the reply -------------------------------------------------------------------------------------------------


def test_summarize_says_an_assumed_action_is_unconfirmed() -> None:
    fan = Action("switch.desk_fan", "switch.turn_on", {}, success=True, assumed=True)
    text, ok = summarize([fan], {"switch.desk_fan": "Desk Fan"})
    assert text == HONEST
    assert ok and "Turned on" not in text

    kettle = Action("switch.kettle", "switch.turn_on", {}, success=True)
    relay = Action("switch.relay", "switch.turn_on", {}, success=True, assumed=True)
    dead = Action("switch.dead", "switch.turn_on", {}, success=False, error_code="device-timeout")
    names = {"switch.kettle": "Kettle", "switch.relay": "Relay", "switch.dead": "Dead Plug"}
    text, ok = summarize([kettle, fan, relay, dead], {**names, "switch.desk_fan": "Desk Fan"})
    assert text == (
        "Turned on the Kettle. I sent the command to turn on the Desk Fan and the Relay, but they don't report "
        "their state, so I can't confirm it. I couldn't change the Dead Plug (device timeout)."
    )
    assert not ok

    lamp = Action("light.lamp", "light.turn_on", {"brightness": 128}, success=True, assumed=True)
    text, _ = summarize([lamp], {"light.lamp": "Lamp"})
    assert text.startswith("I sent the command to turn on the Lamp and set it to 50 %, but it doesn't")

    # confirmed actions read as before
    assert summarize([kettle], names) == ("Turned on the Kettle.", True)


def test_a_state_marked_assumed_counts_as_unconfirmed() -> None:
    """Home Assistant marks optimistic entities with ``assumed_state``; an Action rebuilt without the flag keeps it."""
    new_state = {"state": "on", "attributes": {"assumed_state": True}}
    action = Action("switch.desk_fan", "switch.turn_on", {}, success=True, new_state=new_state)
    assert is_assumed(action) and not is_assumed(Action("switch.x", "switch.turn_on", {}, success=True))
    text, _ = summarize([action], {"switch.desk_fan": "Desk Fan"})
    assert text.startswith("I sent the command to turn on the Desk Fan")


# ---- MQTT, real broker -----------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto is not installed (make setup installs it)")
def test_mqtt_without_state_topic_is_assumed_even_with_the_broker_frozen(tmp_path: Path) -> None:
    from tests.devices.mqtt_devices import bare_mqtt_home, frozen
    from tests.devices.test_mqtt import wait_for

    with bare_mqtt_home(tmp_path) as (home, broker, devices):
        names = {"switch.desk_fan": "Desk Fan", "switch.kettle": "Kettle"}
        # echo-confirmed: unchanged behaviour
        [kettle] = home.call_service("switch.turn_on", ["switch.kettle"])
        assert kettle.success and not kettle.assumed
        assert summarize([kettle], names) == ("Turned on the Kettle.", True)
        # no state topic: sent, not confirmed
        [fan] = home.call_service("switch.turn_on", ["switch.desk_fan"])
        assert fan.success and fan.assumed
        assert wait_for(lambda: ("bare/fan/set", "ON") in devices.received)
        assert summarize([fan], names)[0] == HONEST

        # on/off is echoed, the brightness is not reported: only a plain turn-on is confirmed
        [shelf] = home.call_service("light.turn_on", ["light.shelf"])
        assert shelf.success and not shelf.assumed
        [dimmed] = home.call_service("light.turn_on", ["light.shelf"], {"brightness_pct": 40})
        assert dimmed.success and dimmed.assumed
        assert wait_for(lambda: ("bare/shelf/brightness/set", "102") in devices.received)

        with frozen(broker):
            [fan_off] = home.call_service("switch.turn_off", ["switch.desk_fan"])
            assert fan_off.success and fan_off.assumed  # nothing can confirm it, and nothing claims it
            assert "Turned off" not in summarize([fan_off], names)[0]
            [kettle_off] = home.call_service("switch.turn_off", ["switch.kettle"])
            assert not kettle_off.success and kettle_off.error_code == "device-timeout"
        assert wait_for(lambda: home.entity("switch.kettle").state == "off")  # type: ignore[union-attr]


# ---- Home Assistant, fake REST server --------------------------------------------------------------------------


@pytest.fixture
def fake_ha() -> Iterator[FakeHomeAssistant]:
    fake = FakeHomeAssistant()
    fake.states["switch.rf_socket"] = {
        "entity_id": "switch.rf_socket",
        "state": "off",
        "attributes": {"friendly_name": "RF Socket", "assumed_state": True},
    }
    fake.states["lock.front"] = {"entity_id": "lock.front", "state": "locked", "attributes": {}}
    fake.start()
    yield fake
    fake.stop()


@pytest.mark.slow
def test_homeassistant_unconfirmed_calls_are_assumed(fake_ha: FakeHomeAssistant, tmp_path: Path) -> None:
    path = tmp_path / "home.yaml"
    path.write_text("areas: []\n")
    settings = HaSettings(url=fake_ha.url, token=TOKEN, poll_interval_s=0, follow="off")
    home = create_home(file=path, adapter="homeassistant", ha=settings)
    try:
        # HA returns the changed state: confirmed
        [porch] = home.call_service("light.turn_on", ["light.porch"])
        assert porch.success and not porch.assumed
        # already as asked: HA returns nothing, the state read back shows it
        [closed] = home.call_service("cover.close_cover", ["cover.garage"])
        assert closed.success and not closed.assumed
        # accepted, but no change and the state read back does not show it: sent, not confirmed
        [unlock] = home.call_service("lock.unlock", ["lock.front"], confirmed=True)
        assert unlock.success and unlock.assumed
        assert "Unlocked" not in summarize([unlock], {"lock.front": "Front Door"})[0]
        # an entity HA itself marks assumed_state
        [rf] = home.call_service("switch.turn_on", ["switch.rf_socket"])
        assert rf.success and rf.assumed
    finally:
        home.close()
