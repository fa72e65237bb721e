"""Versioned conversation state and lease rows: two workers on one database never interleave a conversation's
turns silently, and each due timer (or delayed command) is fired by exactly one of them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.store import Database
from contracts.messages import AssistantError, ErrorCode


def _second(db: Database, tmp_path: Path) -> Database:
    """Another worker on the same database (the same SQLite file, or the same PostgreSQL database)."""
    return Database(tmp_path / "data", busy_timeout_s=2.0, url=db.url)


def test_a_save_from_a_stale_version_raises_conversation_conflict(db: Database, tmp_path: Path) -> None:
    other = _second(db, tmp_path)
    try:
        assert db.dialogue.save("c1", {"turn": "a"}, expected=0) == 1
        with pytest.raises(AssistantError) as first_insert:
            other.dialogue.save("c1", {"turn": "b"}, expected=0)  # both started from "no state"
        assert first_insert.value.code == ErrorCode.CONVERSATION_CONFLICT
        loaded = other.dialogue.load("c1")
        assert loaded is not None and loaded == (1, {"turn": "a"})
        assert other.dialogue.save("c1", {"turn": "b"}, expected=1) == 2
        with pytest.raises(AssistantError) as stale:
            db.dialogue.save("c1", {"turn": "a2"}, expected=1)  # worker one still thinks it is at version 1
        assert stale.value.code == ErrorCode.CONVERSATION_CONFLICT
        assert stale.value.details["found_version"] == 2
        assert db.dialogue.load("c1") == (2, {"turn": "b"})  # nothing of the stale save was written
        assert db.dialogue.save("c1", {"turn": "a3"}) == 3  # an unconditional save still works
    finally:
        other.close()


def test_racing_compare_and_set_saves_let_exactly_one_win(db: Database, tmp_path: Path) -> None:
    other = _second(db, tmp_path)
    try:
        db.dialogue.save("c2", {"n": 0}, expected=0)
        barrier = threading.Barrier(8)

        def attempt(n: int) -> bool:
            repo = (db, other)[n % 2].dialogue
            barrier.wait()
            try:
                repo.save("c2", {"n": n}, expected=1)
            except AssistantError as exc:
                assert exc.code == ErrorCode.CONVERSATION_CONFLICT
                return False
            return True

        with ThreadPoolExecutor(8) as pool:
            wins = list(pool.map(attempt, range(8)))
        assert wins.count(True) == 1
        assert db.dialogue.version("c2") == 2
    finally:
        other.close()


def test_a_lease_is_held_by_one_holder_until_it_expires(db: Database, tmp_path: Path) -> None:
    other = _second(db, tmp_path)
    try:
        one, two = db.leases, other.leases
        assert one.holder != two.holder
        assert one.claim("timer:x", 30.0, now=1000.0)
        assert not two.claim("timer:x", 30.0, now=1010.0)  # still held
        assert one.claim("timer:x", 30.0, now=1010.0)  # its holder renews it
        assert one.holder_of("timer:x", now=1020.0) == one.holder
        assert two.claim("timer:x", 30.0, now=1041.0)  # expired: the other worker takes it over
        assert not one.claim("timer:x", 30.0, now=1042.0)
        two.release("timer:x")
        assert one.claim("timer:x", 30.0, now=1043.0)
    finally:
        other.close()


def test_two_claimers_racing_get_each_due_timer_exactly_once(db: Database, tmp_path: Path) -> None:
    other = _second(db, tmp_path)
    try:
        stores = [db.skill_records("timer"), other.skill_records("timer")]
        keys = [f"t{i}" for i in range(20)]
        for key in keys:
            stores[0].put(key, {"conversation_id": "c", "ends_at_wall": 0.0})
        fired: dict[int, list[str]] = {0: [], 1: []}
        barrier = threading.Barrier(2)

        def worker(n: int) -> None:
            store = stores[n]
            barrier.wait()
            for key in keys:  # both workers see every timer due at once, like two schedulers after a sync
                if store.claim(key, 60.0):
                    fired[n].append(key)  # ring, then drop the record
                    store.take(key)

        threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(fired[0] + fired[1]) == sorted(keys)  # every timer fired, none twice
        assert stores[0].items() == [] and stores[1].items() == []
        assert not stores[1].claim("t0", 60.0)  # a late claimer finds nothing left to fire
    finally:
        other.close()


def test_a_claimed_record_whose_worker_died_is_fired_after_the_lease(db: Database, tmp_path: Path) -> None:
    other = _second(db, tmp_path)
    try:
        one, two = db.skill_records("timer"), other.skill_records("timer")
        one.put("t", {"conversation_id": "c"})
        assert one.claim("t", 0.2)  # worker one claims it, then dies before ringing
        assert not two.claim("t", 60.0)
        threading.Event().wait(0.3)
        assert two.claim("t", 60.0) and two.take("t")
    finally:
        other.close()


def test_two_timer_services_on_one_store_ring_each_timer_and_delayed_command_once(db: Database, tmp_path: Path) -> None:
    from skills.timer.service import Timer, TimerService

    other = _second(db, tmp_path)
    clock = [100.0]
    wall = [5000.0]
    rung: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def ring(n: int) -> Callable[[Timer], None]:
        def on_ring(timer: Timer) -> None:
            with lock:
                rung.append((n, timer.command or timer.name))

        return on_ring

    services = [
        TimerService(
            ring(n), clock=lambda: clock[0], wall=lambda: wall[0], thread=False, store=d.skill_records("timer")
        )
        for n, d in enumerate((db, other))
    ]
    try:
        for i in range(6):
            services[i % 2].start("c", 10.0 + i, name=f"timer {i}")
        services[0].start("c", 12.0, command="turn off the kitchen light")  # a delayed command
        for s in services:
            s.sync()  # both workers know every timer
        assert all(len(s.timers("c")) == 7 for s in services)
        clock[0] += 60.0
        wall[0] += 60.0
        barrier = threading.Barrier(2)

        def tick(s: TimerService) -> None:
            barrier.wait()
            s.tick()

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(tick, services))
        names = sorted(str(name) for _, name in rung)
        assert names == sorted([f"timer {i}" for i in range(6)] + ["turn off the kitchen light"])
        assert db.skill_records("timer").items() == []  # every record was taken by the worker that rang it
    finally:
        for s in services:
            s.close()
        other.close()


def test_a_conversations_turn_lease_is_held_by_its_turn_id(db: Database, tmp_path: Path) -> None:
    other = _second(db, tmp_path)
    try:
        assert db.dialogue.claim_turn("c", "turn-a", 30.0)
        assert other.dialogue.turn_holder("c") == "turn-a"
        assert db.leases.holder_of("turn:c") == "turn-a"  # a row of ``leases`` (migration 0006)
        assert not other.dialogue.claim_turn("c", "turn-b", 30.0)  # another turn, on any worker, must wait
        assert db.dialogue.claim_turn("d", "turn-b", 30.0)  # another conversation is free
        assert other.dialogue.claim_turn("c", "turn-a", 30.0)  # the same turn retried on another worker
        other.dialogue.release_turn("c", "turn-b")  # not its lease: nothing happens
        assert db.dialogue.turn_holder("c") == "turn-a"
        db.dialogue.release_turn("c", "turn-a")
        assert other.dialogue.turn_holder("c") is None
        assert other.dialogue.claim_turn("c", "turn-b", 30.0)
        assert db.leases.claim("timer:x", 30.0)  # a lease without a holder is still this worker's
        assert db.leases.holder_of("timer:x") == db.leases.holder
    finally:
        other.close()
