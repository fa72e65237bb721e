"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.home``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.home import (
    Area,
    Entity,
    Floor,
    HomeApi,
    Resolution,
    RiskTier,
)

__all__ = [
    "Area",
    "Entity",
    "Floor",
    "HomeApi",
    "Resolution",
    "RiskTier",
]
