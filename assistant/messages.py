"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.messages``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.messages import *  # noqa: F403
from contracts.messages import __all__ as __all__
