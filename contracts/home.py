"""The contract between the engine and the home: what the understanding engine, skills and UI may ask of it.

``devices`` depends only on ``assistant.messages``. ``Home`` is implemented in ``devices.home``; adapters
(simulated, MQTT, Home Assistant REST) sit behind ``devices.adapters.base.Adapter``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from contracts.messages import Action, StateChange

__all__ = ["Area", "Entity", "Floor", "HomeApi", "Resolution", "RiskTier"]


class RiskTier(StrEnum):
    """How careful the assistant must be with an action."""

    NORMAL = "normal"
    """Runs directly."""
    SENSITIVE = "sensitive"
    """Needs an explicit confirmation turn (unlock, open garage, disarm, open valve)."""
    BLOCKED = "blocked"
    """Never run by voice/chat."""


@dataclass(frozen=True, slots=True)
class Floor:
    """A floor of the home."""

    id: str
    """Floor id."""
    name: str
    """Display name."""
    aliases: tuple[str, ...] = ()
    """Other names people use."""
    level: int | None = None
    """Optional level number."""


@dataclass(frozen=True, slots=True)
class Area:
    """A room or zone."""

    id: str
    """Area id."""
    name: str
    """Display name."""
    aliases: tuple[str, ...] = ()
    """Other names people use."""
    floor_id: str | None = None
    """Floor it is on."""


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity in Home Assistant's model: ``domain.object_id`` with a state and attributes."""

    entity_id: str
    """``domain.object_id``."""
    name: str
    """Friendly name."""
    state: str
    """Current state string as Home Assistant uses it ('on', 'off', 'open', 'locked', '21.5', ...)."""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    """Attributes as Home Assistant uses them (unknown ones kept)."""
    aliases: tuple[str, ...] = ()
    """Other names people use."""
    area_id: str | None = None
    """Area (directly or through its device)."""
    device_id: str | None = None
    """Device it belongs to."""
    device_class: str | None = None
    """Device class ('garage', 'curtain', 'temperature', ...)."""
    services: frozenset[str] = frozenset()
    """Services it supports, as 'domain.service' (derived from domain and supported_features)."""

    @property
    def domain(self) -> str:
        """The part of the entity id before the dot."""
        return self.entity_id.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Resolution:
    """The result of resolving a spoken name to entities."""

    candidates: tuple[Entity, ...]
    """Matching entities, best first."""
    scores: tuple[float, ...] = ()
    """Match score (0..1) per candidate."""
    ambiguous: bool = False
    """True when several candidates fit equally and the caller must ask."""
    matched_area: Area | None = None
    """Set when the phrase named an area rather than an entity."""


class HomeApi(Protocol):
    """What the rest of the product may ask of the home. Implemented by ``devices.home.Home``."""

    def entities(self) -> Sequence[Entity]:
        """All entities with their current state."""
        ...

    def entity(self, entity_id: str) -> Entity | None:
        """One entity, or None."""
        ...

    def areas(self) -> Sequence[Area]:
        """All areas."""
        ...

    def floors(self) -> Sequence[Floor]:
        """All floors."""
        ...

    def states(self) -> dict[str, dict[str, Any]]:
        """{entity_id: {"state": ..., "attributes": {...}}} for every entity."""
        ...

    def resolve(self, phrase: str, *, domain: str | None = None, area: str | None = None) -> Resolution:
        """Resolve a spoken name or alias (exact, then fuzzy) to candidates; report ambiguity, never guess."""
        ...

    def risk(self, entity_id: str, service: str) -> RiskTier:
        """Risk tier of calling ``service`` ('domain.service') on the entity."""
        ...

    def call_service(
        self, service: str, entity_ids: Sequence[str], data: Mapping[str, Any] | None = None
    ) -> list[Action]:
        """Validate and run a service ('light.turn_on') on explicit entities; one Action per entity.

        Never targets all devices implicitly: an empty ``entity_ids`` is an error.
        """
        ...

    def subscribe(self, callback: Callable[[StateChange], None]) -> Callable[[], None]:
        """Be told of every state change; returns an unsubscribe function."""
        ...
