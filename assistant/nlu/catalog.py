"""A snapshot of the home's names (entities, aliases, areas, floors) for matching, rebuilt when the registry changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts.home import Area, Entity, Floor, HomeApi
from devices.names import normalize_name as clean_name  # the one name form, shared with the registry

__all__ = ["DOMAIN_NOUNS", "HomeIndex", "build_index", "clean_name", "registry_signature"]

DOMAIN_NOUNS: Mapping[str, str] = {
    "light": "light",
    "switch": "switch",
    "fan": "fan",
    "cover": "cover",
    "lock": "lock",
    "climate": "thermostat",
    "media_player": "media player",
    "vacuum": "vacuum cleaner",
    "todo": "list",
    "scene": "scene",
    "script": "script",
    "sensor": "sensor",
    "binary_sensor": "sensor",
    "valve": "valve",
    "weather": "weather",
    "person": "person",
    "button": "button",
    "alarm_control_panel": "alarm",
}
"""How each domain is called in a description."""


@dataclass(frozen=True, slots=True)
class HomeIndex:
    """Name lookups over one version of the registry."""

    entities: Mapping[str, Entity]
    """entity_id -> entity (as of the snapshot; read live state from the home)."""
    areas: Mapping[str, Area]
    """area_id -> area."""
    floors: Mapping[str, Floor]
    """floor_id -> floor."""
    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """clean name or alias -> entity ids."""
    area_names: Mapping[str, str] = field(default_factory=dict)
    """clean area name or alias -> area id."""
    floor_names: Mapping[str, str] = field(default_factory=dict)
    """clean floor name or alias -> floor id."""
    signature: int = 0
    """Hash of the names, to notice registry changes."""

    def area_of(self, name_or_id: str | None) -> Area | None:
        """An area by id, name or alias."""
        if not name_or_id:
            return None
        if name_or_id in self.areas:
            return self.areas[name_or_id]
        area_id = self.area_names.get(clean_name(name_or_id))
        return self.areas.get(area_id) if area_id else None

    def floor_of(self, name_or_id: str | None) -> Floor | None:
        """A floor by id, name or alias."""
        if not name_or_id:
            return None
        if name_or_id in self.floors:
            return self.floors[name_or_id]
        floor_id = self.floor_names.get(clean_name(name_or_id))
        return self.floors.get(floor_id) if floor_id else None

    def by_name(self, name: str) -> tuple[str, ...]:
        """Entity ids whose name or alias is exactly ``name`` (after cleaning)."""
        return self.names.get(clean_name(name), ())

    def in_floor(self, floor_id: str) -> set[str]:
        """Area ids on a floor."""
        return {a.id for a in self.areas.values() if a.floor_id == floor_id}

    def describe(self, entity_id: str) -> str:
        """A short description for embeddings: name, aliases, what it is, where it is."""
        e = self.entities[entity_id]
        noun = (e.device_class or "") + " " + DOMAIN_NOUNS.get(e.domain, e.domain.replace("_", " "))
        area = self.areas.get(e.area_id) if e.area_id else None
        where = f" in the {area.name}" if area else ""
        alias = f" (also called {', '.join(e.aliases)})" if e.aliases else ""
        return f"{e.name}{alias}, a {noun.strip()}{where}"


def registry_signature(entities: Sequence[Entity], areas: Sequence[Area], floors: Sequence[Floor]) -> int:
    """A cheap hash of what the name lists depend on (not of states)."""
    return hash(
        (
            tuple((e.entity_id, e.name, e.aliases, e.area_id, e.device_class) for e in entities),
            tuple((a.id, a.name, a.aliases, a.floor_id) for a in areas),
            tuple((f.id, f.name, f.aliases) for f in floors),
        )
    )


def build_index(home: HomeApi) -> HomeIndex:
    """Build the name lookups from the live registry."""
    entities = list(home.entities())
    areas = list(home.areas())
    floors = list(home.floors())
    names: dict[str, list[str]] = {}
    for e in entities:
        for n in (e.name, *e.aliases):
            key = clean_name(n)
            if key:
                names.setdefault(key, []).append(e.entity_id)
    area_names: dict[str, str] = {}
    for a in areas:
        for n in (a.name, *a.aliases):
            area_names.setdefault(clean_name(n), a.id)
    floor_names: dict[str, str] = {}
    for f in floors:
        for n in (f.name, *f.aliases):
            floor_names.setdefault(clean_name(n), f.id)
    return HomeIndex(
        entities={e.entity_id: e for e in entities},
        areas={a.id: a for a in areas},
        floors={f.id: f for f in floors},
        names={k: tuple(v) for k, v in names.items()},
        area_names=area_names,
        floor_names=floor_names,
        signature=registry_signature(entities, areas, floors),
    )


def state_of(home: HomeApi, entity_id: str) -> Mapping[str, Any]:
    """{'state', 'attributes'} of one entity, live."""
    e = home.entity(entity_id)
    return {"state": e.state, "attributes": dict(e.attributes)} if e else {}
