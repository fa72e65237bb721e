"""Typed view records: what the tabs read from engine records (dicts or objects), converted once, here.

The engine and fakes hand back confirmations and control outcomes as dataclasses or mappings; the tabs read these
records only, so the dict-or-object access lives in this module alone. ``source`` keeps the engine's record for the
formatters in ``ui.views`` that print it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ControlOutcomeView", "HeldControl", "PendingView", "field"]


def field(obj: Any, name: str, default: Any = None) -> Any:
    """A field of a record, whether a mapping or an object (the one dict-or-object read of the tabs)."""
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


@dataclass(frozen=True)
class PendingView:
    """A confirmation the engine holds (a sensitive action waiting for Yes, maybe a PIN)."""

    id: str
    """The id the Yes/Confirm press answers (``str`` of the engine's id)."""
    needs_pin: bool
    """Whether the PIN box is shown."""
    expires_at: float | None
    """When the engine drops it (epoch seconds), if it said."""
    source: Any
    """The engine's record, for ``views.confirm_prompt``."""

    @classmethod
    def of(cls, pending: Any) -> PendingView | None:
        if pending is None:
            return None
        expires = field(pending, "expires_at")
        return cls(
            id=str(field(pending, "id")),
            needs_pin=bool(field(pending, "needs_pin")),
            expires_at=expires if isinstance(expires, int | float) else None,
            source=pending,
        )

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (time.time() if now is None else now)


@dataclass(frozen=True)
class ControlOutcomeView:
    """What a Home-tab control came back with: done, refused, or held for confirmation."""

    pending: PendingView | None
    """The held confirmation (a sensitive control), else None."""
    error_code: str | None
    """The engine's error code, if any."""
    source: Any
    """The engine's record, for ``views.control_outcome_markdown``."""

    @classmethod
    def of(cls, outcome: Any) -> ControlOutcomeView:
        code = field(outcome, "error_code")
        return cls(pending=PendingView.of(field(outcome, "pending")), error_code=code, source=outcome)


@dataclass(frozen=True)
class HeldControl:
    """The Home tab's held control as kept in its ``gr.State`` (a plain mapping ``{"id", "expires_at"}``)."""

    id: str
    expires_at: Any

    @classmethod
    def of(cls, state: Mapping[str, Any] | None) -> HeldControl | None:
        return cls(id=str(state["id"]), expires_at=state.get("expires_at")) if state else None

    @classmethod
    def state(cls, pending: PendingView | None) -> dict[str, Any] | None:
        """The state stored for a held confirmation (None when nothing is held)."""
        if pending is None:
            return None
        return {"id": pending.id, "expires_at": field(pending.source, "expires_at")}

    def expired(self, now: float | None = None) -> bool:
        exp = self.expires_at
        return isinstance(exp, int | float) and exp <= (time.time() if now is None else now)
