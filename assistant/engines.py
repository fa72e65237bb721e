"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.engines``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.engines import *  # noqa: F403
from contracts.engines import __all__ as __all__
