"""The JSON turn API that stateless workers serve, and the scale-out run itself (2 workers, one killed)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.interop.openai_api import http_auth_check
from assistant.interop.turn_api import create_turn_router

pytestmark = pytest.mark.slow


@pytest.fixture
def client(interop_assistant: Assistant) -> TestClient:
    app = FastAPI()
    app.include_router(create_turn_router(interop_assistant, auth_check=http_auth_check(None)))
    return TestClient(app)


def test_turn_confirm_and_retry_by_request_id(client: TestClient, interop_assistant: Assistant) -> None:
    a = interop_assistant
    a.home.call_service("lock.lock", ["lock.front_door"], {})
    cid = f"api-{uuid.uuid4().hex[:8]}"
    asked = client.post("/api/turn", json={"text": "unlock the front door", "conversation_id": cid}).json()
    assert asked["needs_confirmation"] and a.home.states()["lock.front_door"]["state"] == "locked"
    pending = client.get(f"/api/pending/{cid}").json()
    assert pending and pending["question"]
    stale = client.post("/api/confirm", json={"conversation_id": cid, "pending_id": "nope", "yes": True}).json()
    assert stale["error"] == "confirm-not-pending" and a.home.states()["lock.front_door"]["state"] == "locked"
    done = client.post("/api/confirm", json={"conversation_id": cid, "pending_id": pending["id"], "yes": True}).json()
    assert done["actions"] and done["actions"][0]["confirmed_by_user"]
    assert a.home.states()["lock.front_door"]["state"] == "unlocked"
    body = {"text": "turn on the kitchen light", "conversation_id": cid, "request_id": "req-42"}
    first = client.post("/api/turn", json=body).json()
    again = client.post("/api/turn", json=body).json()  # a client's retry after a worker died
    assert first["turn_id"] == again["turn_id"] == "req-42"
    assert [t.id for t in a.db.conversations.turns(cid)].count("req-42") == 1


def test_another_owners_conversation_is_refused(client: TestClient, interop_assistant: Assistant) -> None:
    cid = interop_assistant.db.conversations.create_conversation(owner="user:alice")
    r = client.post("/api/turn", json={"text": "turn on the kitchen light", "conversation_id": cid})
    assert r.status_code == 403 and r.json()["error"] == "conversation-forbidden"
    bad = client.post("/api/turn", json={"text": "hi", "conversation_id": "../etc"})
    assert bad.status_code == 422


def test_two_workers_on_postgresql_with_one_killed_lose_nothing() -> None:
    from benchmarks.postgres import missing_reason
    from benchmarks.workers_bench import run

    if missing_reason():
        pytest.skip(missing_reason())
    report = run(workers=2, db="postgresql", clients=3, turns=10, kill=True)
    for phase in report["phases"]:
        assert phase["audit"]["ok"], phase["audit"]
        assert phase["turns_answered"] == phase["turns_planned"]
    two = report["phases"][-1]
    assert two["killed"] is not None
    assert two["confirmations"]["confirmed"] >= two["confirmations"]["asked"] - 1  # one yes may die with the worker
    for phase in report["phases"]:  # 'turn it off' acts on what the previous command did, on whichever worker
        assert phase["follow_ups"]["asked"] >= 1
        assert phase["follow_ups"]["right_target"] >= phase["follow_ups"]["asked"] - 1


def test_a_conversation_busy_on_another_worker_is_409(tmp_path: Path) -> None:
    """Another worker's turn holds the conversation's turn lease: this turn waits, then is refused (409), stored."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"  # a store.url: the workers' mode, with turn leases
    a = Assistant.create(data_dir=str(tmp_path / "data"), store={"url": url, "turn_wait_s": 0.5})
    try:
        app = FastAPI()
        app.include_router(create_turn_router(a, auth_check=http_auth_check(None)))
        client = TestClient(app)
        cid = f"api-{uuid.uuid4().hex[:8]}"
        a.home.call_service("light.turn_off", ["light.kitchen"], {})
        assert a.db.dialogue.claim_turn(cid, "turn-on-another-worker", 30.0)
        try:
            r = client.post("/api/turn", json={"text": "turn on the kitchen light", "conversation_id": cid})
        finally:
            a.db.dialogue.release_turn(cid, "turn-on-another-worker")
        assert r.status_code == 409 and r.json()["error"] == "conversation-busy"
        assert a.home.states()["light.kitchen"]["state"] == "off"  # nothing ran
        assert [t.error_code for t in a.db.conversations.turns(cid)] == ["conversation-busy"]  # stored
        again = client.post("/api/turn", json={"text": "turn on the kitchen light", "conversation_id": cid})
        assert again.status_code == 200 and a.home.states()["light.kitchen"]["state"] == "on"
    finally:
        a.close()
