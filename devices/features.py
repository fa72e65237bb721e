"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.features``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.features import (
    ALL_SERVICES,
    COLOR_NAMES,
    FEATURE_ENUMS,
    READ_ONLY_DOMAINS,
    AlarmControlPanelEntityFeature,
    ClimateEntityFeature,
    CoverEntityFeature,
    FanEntityFeature,
    LightEntityFeature,
    LockEntityFeature,
    MediaPlayerEntityFeature,
    TodoListEntityFeature,
    VacuumEntityFeature,
    ValveEntityFeature,
    derive_services,
    light_color_modes,
    light_supports,
)

__all__ = [
    "ALL_SERVICES",
    "COLOR_NAMES",
    "FEATURE_ENUMS",
    "READ_ONLY_DOMAINS",
    "AlarmControlPanelEntityFeature",
    "ClimateEntityFeature",
    "CoverEntityFeature",
    "FanEntityFeature",
    "LightEntityFeature",
    "LockEntityFeature",
    "MediaPlayerEntityFeature",
    "TodoListEntityFeature",
    "VacuumEntityFeature",
    "ValveEntityFeature",
    "derive_services",
    "light_color_modes",
    "light_supports",
]
