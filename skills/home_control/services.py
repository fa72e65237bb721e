"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.intents``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.intents import (
    ALARM_MODES,
    DEVICE_INTENTS,
    READ_INTENTS,
    WRITE_INTENTS,
    entity_supports,
    relative_value,
    service_call,
    supported_services,
)

__all__ = [
    "ALARM_MODES",
    "DEVICE_INTENTS",
    "READ_INTENTS",
    "WRITE_INTENTS",
    "entity_supports",
    "relative_value",
    "service_call",
    "supported_services",
]
