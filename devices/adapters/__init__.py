"""Adapters: where device state comes from and where commands go (simulated, MQTT, Home Assistant REST)."""

from __future__ import annotations

from devices.adapters.base import Adapter, AdapterListener, CallResult, ServiceCall

__all__ = ["Adapter", "AdapterListener", "CallResult", "ServiceCall"]
