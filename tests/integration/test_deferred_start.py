"""Deferred start-up (what `assistant serve` does): the engine is usable at once, requests wait for the models."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant
from assistant.config import load_config
from contracts.messages import AssistantError, ErrorCode

FAST: dict[str, Any] = {"llm": {"backend": "none"}, "nlu": {"llm": False}, "sentiment": {"engine": "vader"}}


def _deferred(data: Path) -> Assistant:
    cfg = load_config(None, **FAST).model_copy(update={"data_dir": data})
    return Assistant.create(cfg, defer_models=True)


def test_deferred_assistant_is_not_ready_until_loaded_and_a_request_waits_for_it(tmp_path: Path) -> None:
    a = _deferred(tmp_path / "data")
    try:
        assert not a.ready and a.models_status()["state"] == "loading"
        assert a.db.knowledge.chunk_count() == 0  # the knowledge folder is indexed by the start-up, not before
        reported: list[dict[str, Any]] = []
        done = threading.Event()

        def on_ready(status: dict[str, Any]) -> None:
            reported.append(status)
            done.set()

        loader = a.start_loading(warm=False, on_ready=on_ready)
        result = a.handle_text("turn on the kitchen light")  # waits for the background load, never fails
        assert result.error is None and result.intent is not None and result.intent.intent == "HassTurnOn"
        assert a.home.states()["light.kitchen"]["state"] == "on"
        assert done.wait(120) and reported[0]["state"] == "ready"
        loader.join(10)
        assert a.ready and a.models_status()["state"] == "ready"
        assert a.db.knowledge.chunk_count() > 0
    finally:
        a.close()


def test_deferred_assistant_without_a_background_load_builds_on_the_first_request(tmp_path: Path) -> None:
    a = _deferred(tmp_path / "data")
    try:
        result = a.handle_text("what's the state of the kitchen light")
        assert result.error is None and a.ready
        stored = a.db.conversations.turns(result.conversation_id)
        assert [t.id for t in stored] == [result.turn_id]  # the turn and its new conversation were committed
    finally:
        a.close()


def test_a_failed_load_is_reported_and_requests_get_its_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Assistant) -> Any:
        raise AssistantError(ErrorCode.MODEL_UNAVAILABLE, "The embedding model is missing.")

    monkeypatch.setattr(Assistant, "_build_understanding", broken)
    a = _deferred(tmp_path / "data")
    try:
        a.start_loading(warm=False).join(60)
        status = a.models_status()
        assert status["state"] == "failed" and "The embedding model is missing." in status["message"]
        with pytest.raises(AssistantError) as err:
            a.handle_text("turn on the kitchen light")
        assert err.value.code == ErrorCode.MODEL_UNAVAILABLE
    finally:
        a.close()
