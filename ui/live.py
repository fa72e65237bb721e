"""Live-update plumbing from the assistant's event stream: home state changes for the dashboard, announcements
(a timer rang, a delayed command ran) for the chat."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from contracts.messages import EventType, PipelineEvent

__all__ = ["AnnouncementInbox", "ChangeCounter"]


class _Listener:
    """Attaches ``on_event`` to an event stream and detaches it again."""

    _unsubscribe: Callable[[], None] | None = None

    def on_event(self, event: PipelineEvent) -> None:
        """Handle one event."""
        raise NotImplementedError

    def attach(self, subscribe: Callable[[Callable[[PipelineEvent], None]], Callable[[], None]]) -> None:
        """Subscribe to an event stream (``Assistant.subscribe``)."""
        self._unsubscribe = subscribe(self.on_event)

    def detach(self) -> None:
        """Stop listening."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


class ChangeCounter(_Listener):
    """A version number bumped on every STATE_CHANGED event, plus the entities that changed recently."""

    def __init__(self, *, highlight_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._changed: dict[str, float] = {}
        self._highlight_s = highlight_s
        self._clock = clock

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


class AnnouncementInbox(_Listener):
    """Announcements per conversation, kept until the chat of that conversation takes them (bounded)."""

    def __init__(self, *, per_conversation: int = 20) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[str]] = {}
        self._max = per_conversation

    def on_event(self, event: PipelineEvent) -> None:
        """Keep ANNOUNCEMENT texts (other events are ignored)."""
        if event.type != EventType.ANNOUNCEMENT or not event.conversation_id:
            return
        text = str((event.data or {}).get("text") or "").strip()
        if not text:
            return
        with self._lock:
            self._queues.setdefault(event.conversation_id, deque(maxlen=self._max)).append(text)

    def pending(self, conversation_id: str) -> bool:
        """Whether announcements wait for this conversation."""
        with self._lock:
            return bool(self._queues.get(conversation_id))

    def take(self, conversation_id: str) -> list[str]:
        """Remove and return the conversation's announcements, oldest first."""
        with self._lock:
            queue = self._queues.pop(conversation_id, None)
        return list(queue or ())
