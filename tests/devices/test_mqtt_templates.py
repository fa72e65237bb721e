"""MQTT value and command templates: Home Assistant's context and filters, in a sandbox that fails cleanly."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from devices.adapters.base import ServiceCall
from devices.adapters.mqtt import MqttAdapter, MqttSettings
from devices.adapters.mqtt.templates import TemplateError, render_command, render_value

# ---- value templates -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "payload", "expected"),
    [
        (None, "ON", "ON"),
        ("", "ON", "ON"),
        ("{{ value }}", "ON", "ON"),
        ("{{ value_json.state }}", '{"state": "OFF"}', "OFF"),
        ("{{ value_json['a'].b }}", '{"a": {"b": 7}}', "7"),
        ('{{ value_json["a b"] }}', '{"a b": "x"}', "x"),
        ("{{ value_json.items_[1] }}", '{"items_": [1, 2]}', "2"),
        ("{{ value_json.target }}", '{"target": 19.5}', "19.5"),
        ("{{ value_json.sub }}", '{"sub": {"k": [1, "a"]}}', '{"k": [1, "a"]}'),
        ("{{ value_json.mode }}", '{"mode": null}', "None"),  # HA renders None; the components read it as unknown
        ("{{ 'ON' if value_json.contact else 'OFF' }}", '{"contact": true}', "ON"),
        ("{{ value | float * 2 }}", "21.5", "43.0"),
        ("{{ (value | int / 10) | round(1) }}", "215", "21.5"),
        ("{{ value_json.x if value_json.x is defined else 'none' }}", "{}", "none"),
        ("{{ value_json.x | default('fallback') }}", "{}", "fallback"),
        ("{{ value_json.on | iif('ON', 'OFF') }}", '{"on": false}', "OFF"),
        ("{{ value | upper }}", "locked", "LOCKED"),
        ("{{ value_json.temperature }}", "[]", None),  # a list has no attribute temperature: undefined
        ("{{ value_json.missing }}", '{"state": "ON"}', None),
        ("{{ value_json.a.b }}", '{"a": {}}', None),
        ("{{ value_json.state }}", "not json", None),  # value_json is undefined when the payload is not JSON
        ("{{ value_json.x | is_defined }}", "{}", None),
    ],
)
def test_value_templates(template: Any, payload: str, expected: str | None) -> None:
    assert render_value(template, payload) == expected


def test_a_failed_value_template_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="devices.adapters.mqtt.templates"):
        assert render_value("{{ value_json.missing }}", "{}", entity_id="sensor.x") is None
        assert render_value("{{ value | int }}", "abc", entity_id="sensor.y") is None
    assert any("sensor.x" in r.getMessage() and r.levelno == logging.DEBUG for r in caplog.records)
    assert any("sensor.y" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


# ---- command templates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "value", "expected"),
    [
        (None, 21.5, "21.5"),
        ("", "ON", "ON"),
        ("{{ value }}", 20.0, "20.0"),
        ('{"target": {{ value }}}', 20.0, '{"target": 20.0}'),
        ("{{ {'state': value} | tojson }}", "ON", '{"state": "ON"}'),
        ("{{ {'state': value, 'brightness': 3} | to_json }}", "ON", '{"state": "ON", "brightness": 3}'),
        ("{{ {'a': '<b>'} | tojson }}", None, '{"a": "<b>"}'),  # HA's plain JSON, not HTML-escaped
        ("{% if value > 50 %}ON{% else %}OFF{% endif %}", 75, "ON"),
        ("{% if value > 50 %}ON{% else %}OFF{% endif %}", 20, "OFF"),
        ("{% if value == 'auto' %}0{% else %}{{ value }}{% endif %}", "auto", "0"),
        ("{{ (value | float * 2.55) | round(0) | int }}", "40", "102"),
        ("{{ (value | float * 2.55) | round(0) | int }}", 100, "255"),
        ("{{ value | round(1, 'floor') }}", 2.37, "2.3"),
        ("{{ value | round(0, 'ceil') }}", 2.1, "3"),
        ("{{ value | round(1, 'half') }}", 2.3, "2.5"),
        ("{{ value | int(default=7) }}", "x", "7"),
        ("{{ value | int(base=16) }}", "ff", "255"),
        ("{{ int(value) + 1 }}", "41", "42"),
        ("{{ float(value, 0) }}", "x", "0"),
        ("{{ iif(value > 5, 'hi', 'lo') }}", 9, "hi"),
        ("{{ iif(value, 'yes', 'no', 'none') }}", None, "none"),
        ("{{ value | bool }}", "on", "True"),
        ("{{ (value | from_json).mode }}", '{"mode": "heat"}', "heat"),
        ("{{ max(value, 10) }}", 3, "10"),
        ("{{ [value, 10] | min }}", 3, "3"),
        ("{{ '%05.1f' % value }}", 2.25, "002.2"),
        ("{{ '{:>4}'.format(value) }}", 7, "   7"),
        ("{{ value | center(5) }}", "x", "  x  "),
        ("{{ value * 3 }}", "ab", "ababab"),
        ("{% for i in range(value) %}{{ i }}{% endfor %}", 3, "012"),
        ("{{ value ** 2 }}", 12, "144"),
    ],
)
def test_command_templates(template: Any, value: Any, expected: str) -> None:
    assert render_command(template, value) == expected


def test_command_template_variables() -> None:
    tpl = '{"position": {{ position }}, "raw": {{ value }}, "open": {{ position_open }}}'
    out = render_command(tpl, 102, {"position": 40, "position_open": 255})
    assert json.loads(out) == {"position": 40, "raw": 102, "open": 255}
    # value is always the value sent, whatever the variables say
    assert render_command("{{ value }}", 1, {"value": 2}) == "1"


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ value.__class__ }}",
        "{{ value.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ self.__dict__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ [].append(1) }}",  # immutable sandbox: no mutation
        "{{ {}.update(a=1) }}",
        "{{ 'a' * 100000000 }}",  # bounded repetition
        "{{ [0] * 100000000 }}",
        "{{ 9 ** 999999 }}",
        "{{ '%999999999d' % 1 }}",
        "{{ '%*d' % (999999999, 1) }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ '{0:>{1}}'.format(1, 999999999) }}",
        "{{ 'x'.ljust(999999999) }}",
        "{{ 'x'.zfill(999999999) }}",
        "{{ 'x' | center(999999999) }}",
        "{{ 'x\\ny' | indent(999999999) }}",
        "{% for i in range(100000000) %}x{% endfor %}",
        "{% for i in range(10000) %}{{ 'a' * 60000 }}{% endfor %}",  # output capped while streaming
        "{% for i in range(9) %}{% for j in range(9) %}{% endfor %}{% endfor %}",  # nested loops refused
        "{% for i in value recursive %}{{ loop(i) }}{% endfor %}",
        "{% macro m(n) %}{{ m(n) }}{{ m(n) }}{% endmacro %}{{ m(1) }}",
        "{{ 2 ** 100000 }}",
        "{{ nope }}",  # undefined name
        "{{ nope.deeper }}",
        "{{ value }",  # syntax
        "{% if %}",
        "{{ 1 / 0 }}",
        "{{ value | int }}",  # HA's int fails without a default
        "{{ value | no_such_filter }}",
    ],
)
def test_bad_or_hostile_command_templates_fail_cleanly(template: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="devices.adapters.mqtt.templates"), pytest.raises(TemplateError):
        render_command(template, "x", entity_id="climate.den")
    assert any("climate.den" in r.getMessage() for r in caplog.records)


def test_hostile_value_template_is_ignored() -> None:
    assert render_value("{{ ''.__class__.__mro__ }}", "x") is None
    assert render_value("{{ value.__class__.__base__.__subclasses__() }}", "x") is None


# ---- in the adapter: a template that cannot be rendered is device-unsupported, nothing is sent -----------------------


class _Client:
    def __init__(self) -> None:
        self.published: list[tuple[str, str]] = []

    def is_connected(self) -> bool:
        return True

    def publish(self, topic: str, payload: str, **kwargs: Any) -> Any:
        self.published.append((topic, payload))
        raise AssertionError("nothing must be published")


def _adapter_with(config_topic: str, config: dict[str, Any]) -> tuple[MqttAdapter, _Client]:
    adapter = MqttAdapter(MqttSettings(birth=False))
    client = _Client()
    adapter._client = client  # type: ignore[assignment]
    adapter._on_discovery(config_topic, json.dumps(config))
    adapter._connected.set()
    return adapter, client


@pytest.mark.parametrize(
    "template",
    ["{{ ''.__class__.__mro__ }}", "{{ undefined_name }}", "{% if value %}", "{{ value | int }}"],
)
def test_adapter_turns_template_failures_into_device_unsupported(template: str) -> None:
    adapter, client = _adapter_with(
        "homeassistant/climate/den/config",
        {
            "name": "Den AC",
            "mode_command_topic": "den/mode/set",
            "fan_mode_command_topic": "den/fan/set",
            "fan_mode_command_template": template,
            "modes": ["off", "cool"],
        },
    )
    [result] = adapter.execute(ServiceCall("climate.set_fan_mode", ("climate.den",), {"fan_mode": "low"}))
    assert not result.success and result.error_code == "device-unsupported"
    assert "command template" in result.message
    assert client.published == []


def test_adapter_reads_state_through_full_value_templates() -> None:
    adapter, _ = _adapter_with(
        "homeassistant/sensor/power/config",
        {
            "name": "Power",
            "state_topic": "meter/state",
            "value_template": "{{ (value_json.watts | float / 1000) | round(2) }}",
            "unit_of_measurement": "kW",
        },
    )
    adapter._on_device_message("sensor.power", "meter/state", '{"watts": 1234}')
    assert adapter.entities()[0].state == "1.23"
    # a payload the template cannot read leaves the state as it was, and the adapter carries on
    adapter._on_device_message("sensor.power", "meter/state", "garbage")
    adapter._on_device_message("sensor.power", "meter/state", '{"volts": 230}')
    assert adapter.entities()[0].state == "1.23"
