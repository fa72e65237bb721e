"""Live-update plumbing: count home state changes from the assistant's event stream for the dashboard's timer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from assistant.messages import EventType, PipelineEvent

__all__ = ["ChangeCounter"]


class ChangeCounter:
    """A version number bumped on every STATE_CHANGED event, plus the entities that changed recently."""

    def __init__(self, *, highlight_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._changed: dict[str, float] = {}
        self._highlight_s = highlight_s
        self._clock = clock
        self._unsubscribe: Callable[[], None] | None = None

    def attach(self, subscribe: Callable[[Callable[[PipelineEvent], None]], Callable[[], None]]) -> None:
        """Subscribe to an event stream (``Assistant.subscribe``)."""
        self._unsubscribe = subscribe(self.on_event)

    def detach(self) -> None:
        """Stop listening."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def on_event(self, event: PipelineEvent) -> None:
        """Count state changes (other events are ignored)."""
        if event.type != EventType.STATE_CHANGED:
            return
        entity: Any = event.data.get("entity_id") if event.data else None
        with self._lock:
            self._version += 1
            if isinstance(entity, str):
                self._changed[entity] = self._clock()

    @property
    def version(self) -> int:
        """Number of state changes seen so far."""
        with self._lock:
            return self._version

    def recently_changed(self) -> set[str]:
        """Entities that changed within the highlight window."""
        now = self._clock()
        with self._lock:
            self._changed = {e: t for e, t in self._changed.items() if now - t <= self._highlight_s}
            return set(self._changed)
