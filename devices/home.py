"""``Home``: the registry of entities, areas and floors over one adapter, implementing ``contracts.home.HomeApi``."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from contracts.features import derive_services
from contracts.home import Area, Entity, Floor, Resolution, RiskTier
from contracts.messages import Action, AssistantError, ErrorCode, StateChange
from devices.adapters.base import Adapter, AdapterListener, CallResult, ServiceCall
from devices.loader import Device, HomeSpec, load_home_file
from devices.registry import Registry
from devices.risk import RiskPolicy
from devices.services import validate_call

__all__ = ["FILE_METADATA", "Home", "merge_entity"]

_LOG = logging.getLogger(__name__)

FILE_METADATA = (
    "device_class",
    "supported_features",
    "supported_color_modes",
    "unit_of_measurement",
    "state_class",
    "hvac_modes",
    "fan_modes",
    "preset_modes",
    "swing_modes",
    "min_temp",
    "max_temp",
    "target_temp_step",
    "effect_list",
    "fan_speed_list",
    "code_format",
)
"""Attributes that say what an entity is rather than what state it is in: where the adapter reports none, the home
file's value is kept on the merged entity (and kept through later state reports)."""
_CAPABILITY_KEYS = frozenset({"supported_features", "supported_color_modes"})


def merge_entity(live: Entity, spec: Entity) -> tuple[Entity, dict[str, Any]]:
    """The adapter's ``live`` entity overlaid with the home file's ``spec`` for it: (merged, file-only metadata).

    The file gives the name, aliases (merged), area, device and its device class (the user's word; the adapter's
    stays in the ``device_class`` attribute, and the risk weighs both); ``FILE_METADATA`` attributes the adapter
    lacks are taken from the file. The second value is what was taken, to keep on later state reports.
    """
    fill = {k: spec.attributes[k] for k in FILE_METADATA if k in spec.attributes and k not in live.attributes}
    attributes = {**fill, **live.attributes} if fill else live.attributes
    services = derive_services(live.domain, attributes) if fill.keys() & _CAPABILITY_KEYS else live.services
    merged = replace(
        live,
        name=spec.name,
        aliases=tuple(dict.fromkeys((*spec.aliases, *live.aliases))),
        area_id=spec.area_id or live.area_id,
        device_id=spec.device_id or live.device_id,
        device_class=spec.device_class or live.device_class,
        attributes=attributes,
        services=services,
    )
    return merged, fill


class Home:
    """The home the assistant controls: entities with live state, areas, floors, name resolution, risk, services."""

    def __init__(
        self,
        spec: HomeSpec,
        adapter: Adapter,
        *,
        risk: Mapping[str, str] | None = None,
        file: Path | None = None,
        start: bool = True,
    ) -> None:
        self._spec = spec
        self._adapter = adapter
        self._file = file
        self._risk = RiskPolicy(risk, entity_risk=spec.risk)
        self._lock = threading.RLock()
        self._subscribers: list[Callable[[StateChange], None]] = []
        self._entity_listeners: list[Callable[[], None]] = []
        self._entities: dict[str, Entity] = {}
        self._fills: dict[str, dict[str, Any]] = {}
        self._classes: dict[str, tuple[str, ...]] = {}
        self._areas: dict[str, Area] = {a.id: a for a in spec.areas}
        self._registry = Registry((), spec.areas, spec.floors)
        self._revision = 0
        self._closed = False
        if start:
            self.start()

    # ---- construction ---------------------------------------------------------------------------------------------

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        adapter: str = "simulated",
        data_dir: Path | None = None,
        persist: bool = True,
        risk: Mapping[str, str] | None = None,
        section: str | None = None,
        **kwargs: Any,
    ) -> Home:
        """Load a home file and start it with the named adapter (see ``devices.create_home``)."""
        from devices import create_home

        return create_home(
            file=Path(path),
            adapter=adapter,
            data_dir=data_dir,
            persist=persist,
            risk=risk or {},
            section=section,
            **kwargs,
        )

    def start(self) -> None:
        """Start the adapter and build the registry."""
        self._adapter.start(AdapterListener(on_state=self._on_state, on_entities=self._refresh))
        self._refresh()

    def close(self) -> None:
        """Stop the adapter (disconnect, close the state file). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._adapter.stop()

    def __enter__(self) -> Home:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reload(self) -> None:
        """Re-read the home file (names, aliases, areas, risk) and refresh; device state is kept by the adapter."""
        if self._file is None:
            return
        spec = load_home_file(self._file)
        with self._lock:
            self._spec = spec
            self._areas = {a.id: a for a in spec.areas}
            overrides = self._risk.overrides()
            self._risk = RiskPolicy(overrides, entity_risk=spec.risk)
        self._refresh()

    # ---- adapter callbacks ----------------------------------------------------------------------------------------

    @property
    def _spec_entities(self) -> dict[str, Entity]:
        return {e.entity_id: e for e in self._spec.entities}

    def _refresh(self) -> None:
        spec_entities = self._spec_entities
        with self._lock:
            entities: dict[str, Entity] = {}
            fills: dict[str, dict[str, Any]] = {}
            classes: dict[str, tuple[str, ...]] = {}
            for entity in self._adapter.entities():
                spec = spec_entities.get(entity.entity_id)
                sources: tuple[Any, ...] = (entity.device_class, entity.attributes.get("device_class"))
                if spec is not None and spec is not entity:
                    entity, fill = merge_entity(entity, spec)
                    sources += (spec.device_class,)
                    if fill:
                        fills[entity.entity_id] = fill
                classes[entity.entity_id] = tuple(dict.fromkeys(str(c) for c in sources if c))
                entities[entity.entity_id] = entity
            areas = {a.id: a for a in self._spec.areas}
            for entity in entities.values():
                if entity.area_id and entity.area_id not in areas:
                    areas[entity.area_id] = Area(entity.area_id, entity.area_id.replace("_", " ").title())
            self._entities = entities
            self._fills = fills
            self._classes = classes
            self._areas = areas
            self._registry = Registry(list(entities.values()), list(areas.values()), self._spec.floors)
            self._revision += 1
            listeners = list(self._entity_listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:  # a listener's bug must not break the home
                _LOG.exception("Entity listener failed")

    def _on_state(self, change: StateChange) -> None:
        with self._lock:
            current = self._entities.get(change.entity_id)
            if current is not None:
                self._entities[change.entity_id] = replace(
                    current,
                    state=str(change.new_state.get("state", current.state)),
                    attributes=self._with_fill(change.entity_id, change.new_state.get("attributes")),
                )
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(change)
            except Exception:
                _LOG.exception("State subscriber failed for %s", change.entity_id)

    # ---- HomeApi --------------------------------------------------------------------------------------------------

    def entities(self) -> list[Entity]:
        """All entities with their current state."""
        with self._lock:
            return list(self._entities.values())

    def entity(self, entity_id: str) -> Entity | None:
        """One entity, or None."""
        with self._lock:
            return self._entities.get(entity_id)

    def areas(self) -> list[Area]:
        """All areas."""
        with self._lock:
            return list(self._areas.values())

    def floors(self) -> list[Floor]:
        """All floors."""
        return list(self._spec.floors)

    def devices(self) -> list[Device]:
        """Devices from the home file."""
        return list(self._spec.devices)

    def states(self) -> dict[str, dict[str, Any]]:
        """{entity_id: {'state': ..., 'attributes': {...}}} for every entity."""
        with self._lock:
            return {e.entity_id: {"state": e.state, "attributes": dict(e.attributes)} for e in self._entities.values()}

    def resolve(self, phrase: str, *, domain: str | None = None, area: str | None = None) -> Resolution:
        """Resolve a spoken name or alias (exact, then fuzzy) to candidates; report ambiguity, never guess."""
        with self._lock:
            registry, entities = self._registry, self._entities
            res = registry.resolve(phrase, domain=domain, area=area)
            return replace(res, candidates=tuple(entities.get(c.entity_id, c) for c in res.candidates))

    def risk(self, entity_id: str, service: str) -> RiskTier:
        """Risk tier of calling ``service`` on the entity (``homeassistant.*`` is mapped to the domain's service)."""
        entity = self.entity(entity_id)
        if entity is not None and service.startswith("homeassistant."):
            from devices.services import concrete_service

            service = concrete_service(entity, service)
        return self._tier(entity, service, entity_id=entity_id)

    def _tier(self, entity: Entity | None, service: str, *, entity_id: str | None = None) -> RiskTier:
        """The tier over every source's device class (adapter, home file), the most cautious one winning."""
        with self._lock:
            eid = entity.entity_id if entity is not None else entity_id
            classes = self._classes.get(eid or "", ())
            return self._risk.tier(entity, service, entity_id=entity_id, classes=classes)

    def subscribe(self, callback: Callable[[StateChange], None]) -> Callable[[], None]:
        """Be told of every state change; returns an unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def call_service(
        self,
        service: str,
        entity_ids: Sequence[str],
        data: Mapping[str, Any] | None = None,
        *,
        confirmed: bool = False,
    ) -> list[Action]:
        """Validate and run a service on explicit entities; one ``Action`` per entity, success only if confirmed.

        ``confirmed`` records that the user confirmed a sensitive action (the skill asks; this only records it).
        Blocked actions are refused with permission-denied. An empty ``entity_ids`` raises device-invalid-params.
        """
        if isinstance(entity_ids, str):
            entity_ids = [entity_ids]
        ids = list(dict.fromkeys(entity_ids))
        if not ids:
            raise AssistantError(
                ErrorCode.DEVICE_INVALID_PARAMS,
                "No device was named: actions never target every device implicitly",
                details={"service": service},
            )
        actions: dict[str, Action] = {}
        groups: dict[tuple[str, str], tuple[dict[str, Any], list[str]]] = {}
        for entity_id in ids:
            entity = self.entity(entity_id)
            if entity is None:
                actions[entity_id] = Action(entity_id, service, dict(data or {}), False, ErrorCode.DEVICE_UNKNOWN)
                continue
            try:
                full, clean = validate_call(entity, service, data)
            except AssistantError as exc:
                actions[entity_id] = Action(entity_id, service, dict(data or {}), False, exc.code.value)
                continue
            if self._tier(entity, full) is RiskTier.BLOCKED:
                actions[entity_id] = Action(entity_id, full, clean, False, ErrorCode.PERMISSION_DENIED)
                continue
            if entity.state == "unavailable" or not self._adapter.available:
                actions[entity_id] = Action(entity_id, full, clean, False, ErrorCode.DEVICE_UNAVAILABLE)
                continue
            key = (full, json.dumps(clean, sort_keys=True, default=str))
            groups.setdefault(key, (clean, []))[1].append(entity_id)
        for (full, _), (clean, members) in groups.items():
            for result in self._execute(ServiceCall(full, tuple(members), clean)):
                actions[result.entity_id] = Action(
                    result.entity_id,
                    full,
                    clean,
                    result.success,
                    None if result.success else (result.error_code or ErrorCode.INTERNAL),
                    confirmed,
                    dict(result.new_state) if result.new_state is not None else None,
                    assumed=result.success and result.optimistic,
                )
                if result.success and result.new_state is not None:
                    self._apply_confirmed(result.entity_id, result.new_state)
        return [actions[i] for i in ids]

    def _apply_confirmed(self, entity_id: str, new_state: Mapping[str, Any]) -> None:
        """Reflect an adapter-confirmed state at once (its state event may still be on its way)."""
        with self._lock:
            current = self._entities.get(entity_id)
            if current is not None:
                self._entities[entity_id] = replace(
                    current,
                    state=str(new_state.get("state", current.state)),
                    attributes=self._with_fill(entity_id, new_state.get("attributes")),
                )

    def _with_fill(self, entity_id: str, attributes: Mapping[str, Any] | None) -> dict[str, Any]:
        """Reported attributes plus the home file's metadata the adapter lacks (call with the lock held)."""
        if attributes is None:
            current = self._entities.get(entity_id)
            return dict(current.attributes) if current is not None else {}
        fill = self._fills.get(entity_id)
        return {**fill, **attributes} if fill else dict(attributes)

    def _execute(self, call: ServiceCall) -> list[CallResult]:
        try:
            results = self._adapter.execute(call)
        except AssistantError as exc:
            return [CallResult(i, False, exc.code, exc.message) for i in call.entity_ids]
        except Exception as exc:
            _LOG.exception("Adapter %s failed on %s", self._adapter.name, call.service)
            return [CallResult(i, False, ErrorCode.INTERNAL, str(exc)) for i in call.entity_ids]
        by_id = {r.entity_id: r for r in results}
        return [
            by_id.get(i, CallResult(i, False, ErrorCode.DEVICE_NOT_CONFIRMED, "No result")) for i in call.entity_ids
        ]

    # ---- helpers for the understanding engine and the UI ----------------------------------------------------------

    @property
    def adapter(self) -> Adapter:
        """The adapter in use."""
        return self._adapter

    @property
    def spec(self) -> HomeSpec:
        """The home file as loaded."""
        return self._spec

    @property
    def revision(self) -> int:
        """Increases whenever the set of entities or their names change (rebuild slot lists when it does)."""
        return self._revision

    @property
    def available(self) -> bool:
        """Whether the adapter can carry out calls now."""
        return self._adapter.available

    def on_entities_changed(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Be told when entities appear, disappear or are renamed (e.g. MQTT discovery); returns an unsubscribe."""
        with self._lock:
            self._entity_listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._entity_listeners:
                    self._entity_listeners.remove(callback)

        return unsubscribe

    def find_area(self, phrase: str) -> Area | None:
        """The area with this id, name or alias (exact, then fuzzy), or None."""
        with self._lock:
            return self._registry.find_area(phrase)

    def find_floor(self, phrase: str) -> Floor | None:
        """The floor with this id, name or alias (exact, then fuzzy), or None."""
        with self._lock:
            return self._registry.find_floor(phrase)

    def entities_in_area(self, area_id: str, domain: str | None = None) -> list[Entity]:
        """Entities in an area (directly or through their device), optionally of one domain."""
        with self._lock:
            return [self._entities[e.entity_id] for e in self._registry.entities_in_area(area_id, domain)]

    def entities_on_floor(self, floor_id: str, domain: str | None = None) -> list[Entity]:
        """Entities on a floor, optionally of one domain."""
        with self._lock:
            return [self._entities[e.entity_id] for e in self._registry.entities_on_floor(floor_id, domain)]

    def set_risk(self, key: str, tier: RiskTier | str) -> None:
        """Change a risk override at run time (keys as in config ``home.risk``)."""
        with self._lock:
            self._risk.set(key, tier)
