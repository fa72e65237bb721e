"""Timers: 'set a timer for 5 minutes', 'turn off the lights in 10 minutes', pause, add time, 'how long is left?'."""

from skills.timer.service import Timer, TimerService, format_duration
from skills.timer.skill import TimerSkill

__all__ = ["Timer", "TimerService", "TimerSkill", "format_duration"]
