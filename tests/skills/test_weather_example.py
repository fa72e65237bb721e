"""The worked example of the skill guide: the weather skill reading a local JSON file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from contracts.messages import IntentMatch
from skills.examples.weather.skill import resolve_day
from skills.registry import SkillRegistry
from tests.skills.conftest import make_ctx

EXAMPLES = PROJECT_ROOT / "skills" / "examples"


@pytest.fixture()
def registry(tmp_path: Path) -> SkillRegistry:
    forecast = tmp_path / "forecast.json"
    forecast.write_text(
        json.dumps(
            {
                "days": {
                    "2026-05-04": {"summary": "sunny", "high_c": 18, "low_c": 9, "rain_chance": 10},
                    "2026-05-05": {"summary": "rain", "high_c": 14, "low_c": 8, "rain_chance": 80},
                }
            }
        )
    )
    settings = {"weather": {"file": str(forecast), "today": "2026-05-04"}}
    return SkillRegistry.load(folder=EXAMPLES, entry_points=False, settings=settings)


def test_loaded_from_the_examples_folder_with_yaml_templates(registry: SkillRegistry) -> None:
    assert not registry.errors
    (item,) = registry.intents()
    assert item.skill_id == "weather" and item.spec.name == "WeatherForecast"
    assert "will it rain [{day}]" in item.spec.templates
    assert len(item.spec.examples) >= 5


def test_forecast_for_today_and_tomorrow(registry: SkillRegistry) -> None:
    today = registry.handle(IntentMatch(intent="WeatherForecast"), make_ctx("what's the weather"))
    assert today.success and today.text == "Today: sunny, between 9 and 18 degrees, 10% chance of rain."
    tomorrow = registry.handle(
        IntentMatch(intent="WeatherForecast", slots={"day": "tomorrow"}), make_ctx("will it rain tomorrow")
    )
    assert tomorrow.text.startswith("Tomorrow: rain") and tomorrow.text.endswith("Take an umbrella.")


def test_missing_day_and_bad_day(registry: SkillRegistry) -> None:
    missing = registry.handle(IntentMatch(intent="WeatherForecast", slots={"day": "sunday"}), make_ctx())
    assert not missing.success and "no forecast for Sunday" in missing.text
    bad = registry.handle(IntentMatch(intent="WeatherForecast", slots={"day": "someday"}), make_ctx())
    assert not bad.success and "someday" in bad.text


def test_shipped_forecast_file_is_the_default() -> None:
    registry = SkillRegistry.load(folder=EXAMPLES, entry_points=False, settings={"weather": {"today": "2026-05-07"}})
    result = registry.handle(IntentMatch(intent="WeatherForecast"), make_ctx())
    assert result.text.startswith("Today: heavy showers")


def test_resolve_day() -> None:
    monday = dt.date(2026, 5, 4)
    assert resolve_day("friday", monday) == dt.date(2026, 5, 8)
    assert resolve_day("monday", monday) == monday
    assert resolve_day("on tuesday", monday) == dt.date(2026, 5, 5)
    assert resolve_day("2026-05-10", monday) == dt.date(2026, 5, 10)
