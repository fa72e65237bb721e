"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.intents``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.intents import *  # noqa: F403
from contracts.intents import __all__ as __all__
