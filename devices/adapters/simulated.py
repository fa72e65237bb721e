"""The simulated home: realistic Home Assistant state transitions, persisted in SQLite so they survive restarts."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from contracts.home import Entity
from contracts.messages import AssistantError, ErrorCode, StateChange
from devices.adapters.base import AdapterListener, CallResult, ServiceCall, state_dict
from devices.simulate import apply_service

__all__ = ["STATE_FILE", "SimulatedAdapter"]

_LOG = logging.getLogger(__name__)
STATE_FILE = "home_state.sqlite"
"""File name of the simulated home's state in ``data_dir``."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entity_state (
    home TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    attributes TEXT NOT NULL,
    memory TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (home, entity_id)
)
"""


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _spec_hash(entity: Entity) -> str:
    return hashlib.sha1(_dumps([entity.state, entity.attributes]).encode()).hexdigest()[:16]


class SimulatedAdapter:
    """Devices that exist only in software: every call succeeds when valid, and changes state as HA would."""

    name = "simulated"

    def __init__(self, entities: Sequence[Entity], *, db_path: Path | None = None, home_key: str = "default") -> None:
        self._spec = {e.entity_id: e for e in entities}
        self._current: dict[str, Entity] = dict(self._spec)
        self._memory: dict[str, dict[str, Any]] = {}
        self._db_path = db_path
        self._home_key = home_key
        self._db: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._listener: AdapterListener | None = None

    @property
    def available(self) -> bool:
        """Always: the simulation has no link to lose."""
        return True

    @property
    def db_path(self) -> Path | None:
        """Where state is persisted (None: in memory only)."""
        return self._db_path

    def start(self, listener: AdapterListener) -> None:
        """Open the state file and restore the persisted states of entities whose definition did not change."""
        with self._lock:
            self._listener = listener
            if self._db_path is None or self._db is not None:
                return
            try:
                self._db_path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self._db_path, check_same_thread=False, timeout=5.0, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute(_SCHEMA)
                rows = db.execute(
                    "SELECT entity_id, spec_hash, state, attributes, memory FROM entity_state WHERE home = ?",
                    (self._home_key,),
                ).fetchall()
            except sqlite3.Error as exc:
                raise AssistantError(
                    ErrorCode.STORE_UNAVAILABLE,
                    f"The simulated home's state file {self._db_path} cannot be opened: {exc}",
                    details={"file": str(self._db_path)},
                ) from exc
            self._db = db
            for entity_id, spec_hash, state, attributes, memory in rows:
                spec = self._spec.get(entity_id)
                if spec is None or spec_hash != _spec_hash(spec):
                    continue  # entity removed or redefined in the home file: start from the file again
                self._current[entity_id] = replace(spec, state=state, attributes=json.loads(attributes))
                self._memory[entity_id] = json.loads(memory)

    def stop(self) -> None:
        """Close the state file."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            self._listener = None

    def entities(self) -> list[Entity]:
        """All simulated entities with their current state."""
        with self._lock:
            return list(self._current.values())

    def reset(self) -> None:
        """Put every entity back to the state of the home file (and forget persisted state)."""
        with self._lock:
            changes = []
            for entity_id, spec in self._spec.items():
                old = self._current[entity_id]
                if (old.state, old.attributes) != (spec.state, spec.attributes):
                    changes.append(
                        StateChange(
                            entity_id,
                            state_dict(old.state, old.attributes),
                            state_dict(spec.state, spec.attributes),
                            "simulated",
                        )
                    )
            self._current = dict(self._spec)
            self._memory.clear()
            if self._db is not None:
                self._db.execute("DELETE FROM entity_state WHERE home = ?", (self._home_key,))
        for change in changes:
            self._emit(change)

    def _persist(self, entity: Entity) -> None:
        if self._db is None:
            return
        spec = self._spec[entity.entity_id]
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO entity_state "
                "(home, entity_id, spec_hash, state, attributes, memory, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    self._home_key,
                    entity.entity_id,
                    _spec_hash(spec),
                    entity.state,
                    _dumps(entity.attributes),
                    _dumps(self._memory.get(entity.entity_id, {})),
                    time.time(),
                ),
            )
        except sqlite3.Error as exc:  # the simulation keeps working in memory
            _LOG.warning("Could not persist the state of %s: %s", entity.entity_id, exc)

    def _emit(self, change: StateChange) -> None:
        listener = self._listener
        if listener is not None:
            listener.on_state(change)

    def _set(self, entity: Entity, state: str, attributes: Mapping[str, Any]) -> tuple[Entity, StateChange | None]:
        old = self._current[entity.entity_id]
        new = replace(old, state=state, attributes=dict(attributes))
        self._current[entity.entity_id] = new
        self._persist(new)
        if (old.state, old.attributes) == (new.state, new.attributes):
            return new, None
        return new, StateChange(
            entity.entity_id, state_dict(old.state, old.attributes), state_dict(new.state, new.attributes), "simulated"
        )

    def execute(self, call: ServiceCall) -> list[CallResult]:
        """Apply the call to each entity; a scene also applies the states it lists."""
        results: list[CallResult] = []
        changes: list[StateChange] = []
        with self._lock:
            for entity_id in call.entity_ids:
                entity = self._current.get(entity_id)
                if entity is None:
                    results.append(CallResult(entity_id, False, ErrorCode.DEVICE_UNKNOWN, "No such entity"))
                    continue
                if entity.state == "unavailable":
                    results.append(CallResult(entity_id, False, ErrorCode.DEVICE_UNAVAILABLE, "Unavailable"))
                    continue
                try:
                    outcome = apply_service(
                        call.domain, entity.state, entity.attributes, call.name, call.data, self._memory.get(entity_id)
                    )
                except AssistantError as exc:
                    results.append(CallResult(entity_id, False, exc.code, exc.message))
                    continue
                self._memory[entity_id] = outcome.memory
                new, change = self._set(entity, outcome.state, outcome.attributes)
                if change:
                    changes.append(change)
                if call.domain == "scene":
                    changes += self._apply_scene(new)
                results.append(
                    CallResult(
                        entity_id, True, new_state=state_dict(new.state, new.attributes), response=outcome.response
                    )
                )
        for change in changes:
            self._emit(change)
        return results

    def _apply_scene(self, scene: Entity) -> list[StateChange]:
        targets = scene.attributes.get("entities")
        changes: list[StateChange] = []
        if not isinstance(targets, Mapping):
            return changes
        for target_id, wanted in targets.items():
            target = self._current.get(str(target_id))
            if target is None:
                _LOG.warning("Scene %s names unknown entity %s", scene.entity_id, target_id)
                continue
            if isinstance(wanted, Mapping):
                attrs = dict(target.attributes)
                attrs.update({k: v for k, v in wanted.items() if k != "state"})
                state = str(wanted.get("state", target.state))
            else:
                attrs, state = dict(target.attributes), str(wanted)
            if state == "off" and target.domain == "light":
                attrs["brightness"] = None
            _, change = self._set(target, state, attrs)
            if change:
                changes.append(change)
        return changes
