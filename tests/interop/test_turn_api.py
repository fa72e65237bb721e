"""The JSON turn API that stateless workers serve, and the scale-out run itself (2 workers, one killed)."""

from __future__ import annotations

import uuid

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
