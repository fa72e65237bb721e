"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.skills``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.skills import (
    Handler,
    IntentSpec,
    Permission,
    Skill,
    SkillContext,
    SkillHost,
    SkillStore,
    intent,
)

__all__ = [
    "Handler",
    "IntentSpec",
    "Permission",
    "Skill",
    "SkillContext",
    "SkillHost",
    "SkillStore",
    "intent",
]
