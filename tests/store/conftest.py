"""Fixtures for the store tests: a real SQLite file in tmp_path and a TurnResult builder."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.store import Database
from contracts.messages import (
    Action,
    Candidate,
    EventType,
    IntentMatch,
    Passage,
    PipelineEvent,
    Sentiment,
    SentimentLabel,
    Stage,
    StateChange,
    Tier,
    Transcript,
    TurnResult,
)
from tests.postgres import postgres  # noqa: F401 (a fixture)

MakeResult = Callable[..., TurnResult]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh database: a SQLite file in a data dir that does not exist yet, or a new PostgreSQL database."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").database()
    database = Database(tmp_path / "data", busy_timeout_s=2.0, url=url)
    yield database
    database.close()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A fresh SQLite store (for what only a file has: WAL, file size, secure delete)."""
    database = Database(tmp_path / "data", busy_timeout_s=2.0)
    yield database
    database.close()


def build_result(
    *,
    conversation_id: str,
    text: str = "turn on the kitchen light",
    reply: str = "Turned on the kitchen light.",
    intent: str | None = "HassTurnOn",
    score: float | None = 0.1,
    error: str | None = None,
    audio: bool = False,
    action_success: bool = True,
    turn_id: str | None = None,
    started: float | None = None,
    extra_events: tuple[PipelineEvent, ...] = (),
) -> TurnResult:
    """A realistic TurnResult with an intent, sentiment, an action, a state change, a citation and events."""
    run_id = turn_id or uuid.uuid4().hex
    t0 = started if started is not None else time.time()
    label = (
        None
        if score is None
        else SentimentLabel.NEGATIVE
        if score < -0.05
        else SentimentLabel.POSITIVE
        if score > 0.05
        else SentimentLabel.NEUTRAL
    )
    events = (
        PipelineEvent(EventType.RUN_START, None, run_id, conversation_id, t0, 0.0),
        PipelineEvent(
            EventType.SENTIMENT_END,
            Stage.SENTIMENT,
            run_id,
            conversation_id,
            t0 + 0.002,
            2.0,
            1.5,
            {"label": label, "score": score},
        ),
        PipelineEvent(
            EventType.INTENT_END,
            Stage.NLU,
            run_id,
            conversation_id,
            t0 + 0.01,
            10.0,
            8.0,
            {"intent": intent, "tier": Tier.TEMPLATE},
        ),
        PipelineEvent(
            EventType.REPLY_TOKEN, Stage.REPLY, run_id, conversation_id, t0 + 0.02, 20.0, None, {"token": "Turned"}
        ),
        PipelineEvent(EventType.RUN_END, None, run_id, conversation_id, t0 + 0.03, 30.0, 30.0, {}),
        *extra_events,
    )
    match = (
        IntentMatch(
            intent=intent,
            slots={"name": "Kitchen Light", "area": "kitchen", "brightness": 80},
            targets=("light.kitchen",),
            tier=Tier.TEMPLATE,
            confidence=0.97,
            alternatives=(Candidate("HassLightSet", ("light.kitchen",), {"brightness": 80}, 0.4, "Set kitchen"),),
            skill_id="home_control",
            text=text,
        )
        if intent
        else None
    )
    action = Action(
        entity_id="light.kitchen",
        service="light.turn_on",
        data={"brightness": 80},
        success=action_success,
        error_code=None if action_success else "device-unavailable",
        confirmed_by_user=False,
        new_state={"state": "on", "attributes": {"brightness": 204}},
    )
    return TurnResult(
        turn_id=run_id,
        conversation_id=conversation_id,
        text=text,
        reply=reply,
        transcript=Transcript(text, "en", -0.21, 0.01, 0.93, 1.7) if audio else None,
        intent=match,
        sentiment=None if score is None or label is None else Sentiment(label, score, 0.8, ("lexicon:thanks",)),
        skill_id="home_control" if intent else None,
        actions=(action,) if intent else (),
        changes=(StateChange("light.kitchen", {"state": "off", "attributes": {}}, {"state": "on", "attributes": {}}),)
        if intent
        else (),
        needs_confirmation=False,
        citations=(Passage("faq.md", "7", "The kitchen light is dimmable.", 0.81, "FAQ", 2),),
        timings_ms={"sentiment": 1.5, "nlu": 8.0, "skill": 3.2, "total": 30.0},
        error=error,
        events=events,
        audio=b"RIFF....WAVE" if audio else None,
    )


@pytest.fixture
def make_result() -> MakeResult:
    """The TurnResult builder."""
    return build_result


def field_names(obj: Any) -> set[str]:
    """Attribute names of a record."""
    return set(getattr(obj, "__dataclass_fields__", {}))
