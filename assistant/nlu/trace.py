"""What one recognition considered and decided, per tier, with timings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Trace"]


@dataclass(frozen=True, slots=True)
class Trace:
    """The trace of one ``recognize`` call."""

    text: str
    """The request as given."""
    normalized: str
    """The normalised request."""
    segments: tuple[str, ...]
    """The commands it was split into."""
    tiers: tuple[str, ...]
    """The deciding tier per match."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    """Milliseconds per tier (template, semantic, llm, dialogue, total)."""
    candidates: tuple[dict[str, Any], ...] = ()
    """The candidates considered (description, score, features), best first."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "text": self.text,
            "normalized": self.normalized,
            "segments": list(self.segments),
            "tiers": list(self.tiers),
            "timings_ms": dict(self.timings_ms),
            "candidates": list(self.candidates),
        }
