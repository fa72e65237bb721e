"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.skills``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.skills import *  # noqa: F403
from contracts.skills import __all__ as __all__
