"""MQTT adapter: devices announced with Home Assistant's MQTT discovery, commanded and followed over MQTT.

Laid out like Home Assistant's ``mqtt`` component:

- ``discovery``  config topics ``<prefix>/<component>/[<node_id>/]<object_id>/config``, abbreviations and ``~``.
- ``templates``  value and command templates in a Jinja sandbox, with HA's context and common filters.
- ``entity``     the discovered-entity record, the command plan and the platform interface shared by components.
- one module per component: ``light`` (default and ``json`` schema), ``switch``, ``cover``, ``lock``, ``fan``,
  ``sensor``, ``binary_sensor``, ``climate``, ``valve``, ``vacuum`` (the ``state`` schema). Home Assistant has no
  MQTT ``media_player`` platform, so there is none here.
- ``adapter``    the broker connection, the entity table and the command round trip (see its docstring).
- ``settings``   :class:`MqttSettings`.
"""

from __future__ import annotations

from devices.adapters.mqtt.adapter import MqttAdapter
from devices.adapters.mqtt.discovery import ABBREVIATIONS, COMPONENTS, DEVICE_ABBREVIATIONS, expand_discovery
from devices.adapters.mqtt.settings import MqttSettings

__all__ = ["ABBREVIATIONS", "COMPONENTS", "DEVICE_ABBREVIATIONS", "MqttAdapter", "MqttSettings", "expand_discovery"]
