"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.features``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.features import *  # noqa: F403
from contracts.features import __all__ as __all__
