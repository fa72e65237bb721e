"""The pipeline event stream: a small thread-safe publish/subscribe hub, and a per-run recorder."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from contracts.messages import EventType, PipelineEvent, Stage

__all__ = ["EventBus", "RunRecorder"]

_log = logging.getLogger("assistant.events")

Subscriber = Callable[[PipelineEvent], None]


class EventBus:
    """Subscribers (store, UI trace, logs, metrics) receive every event; a failing subscriber is logged, not fatal."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Register a callback; returns an unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: PipelineEvent) -> None:
        """Deliver an event to every subscriber."""
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # a broken subscriber must not break a turn
                _log.exception("event subscriber failed on %s", event.type)


class RunRecorder:
    """Times the stages of one run, records its events and publishes them."""

    def __init__(self, bus: EventBus, *, run_id: str, conversation_id: str) -> None:
        self.bus = bus
        self.run_id = run_id
        self.conversation_id = conversation_id
        self.started = time.perf_counter()
        self.events: list[PipelineEvent] = []
        self.timings_ms: dict[str, float] = {}
        self._lock = threading.Lock()

    def emit(
        self,
        type_: EventType,
        stage: Stage | None = None,
        *,
        duration_ms: float | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> PipelineEvent:
        """Record and publish one event."""
        event = PipelineEvent(
            type=type_,
            stage=stage,
            run_id=self.run_id,
            conversation_id=self.conversation_id,
            elapsed_ms=(time.perf_counter() - self.started) * 1000.0,
            duration_ms=duration_ms,
            data=dict(data or {}),
        )
        with self._lock:
            self.events.append(event)
            if duration_ms is not None and stage is not None:
                self.timings_ms[stage.value] = self.timings_ms.get(stage.value, 0.0) + duration_ms
        self.bus.publish(event)
        return event

    def total_ms(self) -> float:
        """Milliseconds since the run started."""
        return (time.perf_counter() - self.started) * 1000.0
