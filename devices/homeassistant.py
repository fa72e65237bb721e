"""The Home Assistant REST adapter's public names (``devices.homeassistant.HaSettings``)."""

from __future__ import annotations

from devices.adapters.homeassistant import HaRestAdapter, HaSettings

__all__ = ["HaRestAdapter", "HaSettings"]
