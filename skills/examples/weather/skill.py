"""The weather skill: answers 'what's the weather tomorrow?' from a local JSON forecast file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, ClassVar

from contracts.messages import ErrorCode, IntentMatch, SkillResult
from contracts.skills import Skill, SkillContext, intent

__all__ = ["WeatherSkill"]

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def resolve_day(word: str | None, today: dt.date) -> dt.date:
    """'today', 'tomorrow', a weekday name (the next one, today included) or an ISO date → a date."""
    text = (word or "today").strip().lower().removeprefix("on ").removeprefix("this ")
    if text in ("", "today", "now"):
        return today
    if text == "tomorrow":
        return today + dt.timedelta(days=1)
    if text in _DAYS:
        return today + dt.timedelta(days=(_DAYS.index(text) - today.weekday()) % 7)
    return dt.date.fromisoformat(text)


class WeatherSkill(Skill):
    """Reads the forecast from a JSON file: {"days": {"2026-05-01": {"summary": ..., "high_c": ..., ...}}}."""

    id: ClassVar[str] = "weather"
    description: ClassVar[str] = "Tells the weather forecast from a local forecast file (e.g. 'weather tomorrow')."
    default_settings: ClassVar[dict[str, Any]] = {"file": str(Path(__file__).with_name("forecast.json"))}
    timeout_s: ClassVar[float] = 2.0
    templates_file: ClassVar[str | None] = "templates.yaml"

    @intent(
        "WeatherForecast",
        examples=(
            "what's the weather like today",
            "what is the weather tomorrow",
            "will it rain on saturday",
            "do I need an umbrella tomorrow",
            "how warm will it be on friday",
            "what's the forecast for sunday",
        ),
        slots={"day": "text"},
    )
    def forecast(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Say the forecast for the requested day."""
        today = dt.date.fromisoformat(str(ctx.settings["today"])) if ctx.settings.get("today") else dt.date.today()
        try:
            day = resolve_day(match.slots.get("day"), today)
        except ValueError:
            return SkillResult(
                text=f"I don't know which day '{match.slots.get('day')}' is.",
                success=False,
                error_code=ErrorCode.SKILL_FAILED.value,
            )
        path = Path(str(ctx.settings["file"])).expanduser()
        days: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")).get("days", {})
        entry = days.get(day.isoformat())
        label = "today" if day == today else ("tomorrow" if day == today + dt.timedelta(days=1) else day.strftime("%A"))
        if entry is None:
            return SkillResult(text=f"I have no forecast for {label}.", success=False, error_code="weather-no-data")
        rain = int(entry.get("rain_chance", 0))
        text = (
            f"{label.capitalize()}: {entry['summary']}, between {entry['low_c']} and {entry['high_c']} degrees, "
            f"{rain}% chance of rain."
        )
        if rain >= 50:
            text += " Take an umbrella."
        return SkillResult(text=text, data={"date": day.isoformat(), **entry})
