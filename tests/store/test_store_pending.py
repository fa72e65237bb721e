"""Pending sensitive actions in the database (SQLite and PostgreSQL): a record round-trips, and concurrent answers
take it exactly once."""

from __future__ import annotations

import threading
import time

from assistant.dialogue.confirm import ConfirmationService, StoredPendingStore, VerdictKind
from assistant.store import Database
from contracts.messages import Candidate, IntentMatch, Tier


def _match() -> IntentMatch:
    return IntentMatch(
        "HassTurnOn",
        slots={"name": "Front Door", "brightness": 40},
        targets=("lock.front_door",),
        tier=Tier.TEMPLATE,
        confidence=0.9,
        alternatives=(Candidate("HassTurnOn", ("lock.back_door",), {"name": "Back Door"}, 0.4, "Unlock Back Door."),),
        skill_id="home_control",
        text="unlock the front door",
    )


def test_a_held_action_round_trips_through_the_database(db: Database) -> None:
    store = StoredPendingStore(db.pending)
    service = ConfirmationService(pin="1234", store=store)
    held = service.hold(
        "conv-1", question="Unlock the Front Door?", owner="alice", approved=[("lock.unlock", "lock.front_door")],
        conversation_id="conv-1", skill_id="home_control", match=_match(),
    )  # fmt: skip
    loaded = store.get("conv-1")
    assert loaded == held
    assert store.find(held.id) == "conv-1"
    assert service.current("conv-1", owner="bob") is None
    wrong = service.resolve("conv-1", yes=True, pin="0000", owner="alice")
    assert wrong.kind == VerdictKind.WRONG_PIN
    assert store.get("conv-1") is not None and store.get("conv-1").attempts == 1  # type: ignore[union-attr]
    assert store.guard().failures == 1
    ok = service.resolve("conv-1", yes=True, pin="1234", owner="alice")
    assert ok.kind == VerdictKind.CONFIRMED and ok.held is not None and ok.held.match == _match()
    assert store.get("conv-1") is None and store.guard().failures == 0


def test_concurrent_yes_answers_confirm_exactly_once(db: Database) -> None:
    services = [ConfirmationService(store=StoredPendingStore(db.pending)) for _ in range(4)]  # four "workers"
    services[0].hold("conv-2", question="Open the garage?", owner=None, approved=[("cover.open_cover", "cover.g")])
    verdicts: list[VerdictKind] = []
    start = threading.Barrier(len(services))

    def answer(service: ConfirmationService) -> None:
        start.wait()
        verdicts.append(service.resolve("conv-2", yes=True).kind)

    threads = [threading.Thread(target=answer, args=(s,)) for s in services]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert verdicts.count(VerdictKind.CONFIRMED) == 1
    assert sorted(verdicts) == sorted([VerdictKind.CONFIRMED] + [VerdictKind.NOT_PENDING] * 3)


def test_expiry_is_wall_clock_so_another_worker_sees_it(db: Database) -> None:
    now = [time.time()]
    one = ConfirmationService(ttl_s=60, store=StoredPendingStore(db.pending), clock=lambda: now[0])
    two = ConfirmationService(ttl_s=60, store=StoredPendingStore(db.pending), clock=lambda: now[0])
    one.hold("conv-3", question="Disarm?", owner=None, approved=[])
    now[0] += 61
    assert two.current("conv-3") is None
    assert two.resolve("conv-3", yes=True).kind == VerdictKind.EXPIRED
