"""The adapter interface: how ``Home`` talks to real or simulated devices.

``Home`` validates every call (entity known, service supported, data valid, risk) before an adapter sees it, so an
adapter only has to carry out an already-checked ``ServiceCall`` and report, per entity, what really happened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from contracts.home import Entity
from contracts.messages import StateChange

__all__ = ["Adapter", "AdapterListener", "CallResult", "ServiceCall", "state_dict"]


@dataclass(frozen=True, slots=True)
class ServiceCall:
    """A validated service call on explicit entities."""

    service: str
    """'domain.service' (concrete: never 'homeassistant.*')."""
    entity_ids: tuple[str, ...]
    """Target entities (never empty)."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """Normalised service data."""

    @property
    def domain(self) -> str:
        """The service's domain."""
        return self.service.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The service without its domain."""
        return self.service.split(".", 1)[1]


@dataclass(frozen=True, slots=True)
class CallResult:
    """What the adapter reports for one entity of a call."""

    entity_id: str
    """Entity."""
    success: bool
    """True only when the device (or the simulation) confirmed the change."""
    error_code: str | None = None
    """A stable code (devices: device-unavailable, device-timeout, ...) when it failed."""
    message: str = ""
    """A sentence for logs and users."""
    new_state: Mapping[str, Any] | None = None
    """{'state': ..., 'attributes': {...}} after the call, if known."""
    optimistic: bool = False
    """True when success is assumed (the device reports no state), not confirmed."""
    response: Mapping[str, Any] | None = None
    """Service response data (e.g. todo.get_items)."""


@dataclass(frozen=True, slots=True)
class AdapterListener:
    """Callbacks an adapter uses to tell ``Home`` what happened (may be called from any thread)."""

    on_state: Callable[[StateChange], None]
    """An entity's state changed."""
    on_entities: Callable[[], None]
    """The set of entities (or their names, capabilities) changed: call ``entities()`` again."""


@runtime_checkable
class Adapter(Protocol):
    """A source and sink of device state."""

    name: str
    """Short id ('simulated', 'mqtt', 'homeassistant')."""

    def start(self, listener: AdapterListener) -> None:
        """Connect / load state; from now on report changes to ``listener``."""
        ...

    def stop(self) -> None:
        """Disconnect and release resources. Idempotent."""
        ...

    @property
    def available(self) -> bool:
        """Whether calls can be carried out now (e.g. the broker is connected)."""
        ...

    def entities(self) -> Sequence[Entity]:
        """Every entity this adapter serves, with its current state."""
        ...

    def execute(self, call: ServiceCall) -> list[CallResult]:
        """Carry out a validated call; one result per entity, in order. Must not raise for device failures."""
        ...


def state_dict(state: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Home Assistant's state object shape: {'state': ..., 'attributes': {...}}."""
    return {"state": state, "attributes": dict(attributes)}
