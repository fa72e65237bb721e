"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.home``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.home import *  # noqa: F403
from contracts.home import __all__ as __all__
