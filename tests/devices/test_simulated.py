"""The simulated home: state persisted in a real SQLite file across restarts, and state-change events."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from contracts.messages import StateChange
from devices import STATE_FILE, create_home
from tests.devices.conftest import DEFAULT_HOME


def test_state_survives_a_restart(tmp_path: Path) -> None:
    home = create_home(file=DEFAULT_HOME, data_dir=tmp_path)
    home.call_service("light.turn_on", ["light.kitchen"], {"brightness": 77})
    home.call_service("todo.add_item", ["todo.shopping_list"], {"item": "Coffee"})
    home.call_service("lock.unlock", ["lock.back_door"])
    home.call_service("light.turn_off", ["light.kitchen"])
    home.close()
    db = tmp_path / STATE_FILE
    assert db.exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    again = create_home(file=DEFAULT_HOME, data_dir=tmp_path)
    try:
        assert again.entity("lock.back_door").state == "unlocked"  # type: ignore[union-attr]
        items = again.entity("todo.shopping_list").attributes["items"]  # type: ignore[union-attr]
        assert "Coffee" in [i["summary"] for i in items]
        # hidden memory survives too: the light comes back at its last brightness
        [on] = again.call_service("light.turn_on", ["light.kitchen"])
        assert on.new_state is not None and on.new_state["attributes"]["brightness"] == 77
    finally:
        again.close()


def test_no_persistence_without_data_dir_or_when_disabled(tmp_path: Path) -> None:
    home = create_home(file=DEFAULT_HOME, data_dir=tmp_path, persist=False)
    home.call_service("lock.unlock", ["lock.back_door"])
    home.close()
    assert not (tmp_path / STATE_FILE).exists()
    again = create_home(file=DEFAULT_HOME, data_dir=tmp_path)
    try:
        assert again.entity("lock.back_door").state == "locked"  # type: ignore[union-attr]
    finally:
        again.close()


def test_redefined_entities_start_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "home.yaml"
    path.write_text("entities:\n  - {id: switch.a, name: A}\n  - {id: switch.b, name: B}\n")
    home = create_home(file=path, data_dir=tmp_path)
    home.call_service("switch.turn_on", ["switch.a", "switch.b"])
    home.close()
    path.write_text(
        "entities:\n  - {id: switch.a, name: A}\n  - {id: switch.b, name: B, attributes: {device_class: outlet}}\n"
    )
    again = create_home(file=path, data_dir=tmp_path)
    try:
        assert again.entity("switch.a").state == "on"  # type: ignore[union-attr]
        assert again.entity("switch.b").state == "off"  # type: ignore[union-attr]
    finally:
        again.close()


def test_events_and_unsubscribe(tmp_path: Path) -> None:
    home = create_home(file=DEFAULT_HOME, data_dir=tmp_path)
    try:
        seen: list[StateChange] = []
        unsubscribe = home.subscribe(seen.append)

        def broken(change: StateChange) -> None:
            raise RuntimeError("subscriber bug")

        home.subscribe(broken)  # a broken subscriber does not break the home
        home.call_service("cover.set_cover_position", ["cover.bedroom_curtains"], {"position": 60})
        [change] = seen
        assert change.entity_id == "cover.bedroom_curtains" and change.source == "simulated"
        assert change.old_state is not None and change.old_state["state"] == "closed"
        assert change.new_state["state"] == "open" and change.new_state["attributes"]["current_position"] == 60
        home.call_service("scene.turn_on", ["scene.movie_night"])
        changed = {c.entity_id for c in seen[1:]}
        assert {"scene.movie_night", "light.living_room_lamps", "cover.living_room_blinds"} <= changed
        unsubscribe()
        home.call_service("switch.turn_on", ["switch.printer"])
        assert all(c.entity_id != "switch.printer" for c in seen)
        # no event when nothing changes
        count = len(seen)
        home.subscribe(seen.append)
        home.call_service("switch.turn_on", ["switch.printer"])
        assert len(seen) == count
        assert home.states()["switch.printer"]["state"] == "on"
    finally:
        home.close()


def test_reload_picks_up_new_names(tmp_path: Path) -> None:
    path = tmp_path / "home.yaml"
    path.write_text("entities:\n  - {id: switch.a, name: Alpha}\n")
    home = create_home(file=path, data_dir=tmp_path)
    try:
        rev = home.revision
        path.write_text("entities:\n  - {id: switch.a, name: Alpha, aliases: [first switch]}\n")
        home.reload()
        assert home.revision > rev
        assert [c.entity_id for c in home.resolve("first switch").candidates] == ["switch.a"]
    finally:
        home.close()
