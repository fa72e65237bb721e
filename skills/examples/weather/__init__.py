"""Example skill: a weather forecast read from a local JSON file (the worked example of skills/README.md)."""

from __future__ import annotations

from .skill import WeatherSkill

__all__ = ["WeatherSkill"]
