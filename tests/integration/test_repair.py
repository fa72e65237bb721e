"""Sentiment has a job: frustration after a failure changes the next reply; sentiment is stored per turn."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant import Assistant

pytestmark = pytest.mark.slow


def _stored(a: Assistant, turn_id: str) -> tuple[str | None, float | None, str | None]:
    with sqlite3.connect(Path(a.data_dir) / "assistant.sqlite") as db:
        row = db.execute(
            "select sentiment_label, sentiment_score, policy_rule from turns where id = ?", (turn_id,)
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def test_failed_command_then_complaint_triggers_repair(real_assistant: Assistant) -> None:
    a = real_assistant
    conv = a.db.conversations.create_conversation()
    failed = a.handle_text("switch off the sauna", conversation_id=conv)
    assert failed.actions == () or not any(x.success for x in failed.actions)

    complaint = a.handle_text("no, that's not what I asked", conversation_id=conv)
    label, score, rule = _stored(a, complaint.turn_id)
    assert label == "negative" and score is not None and score < 0
    assert rule is not None and rule.startswith("frustration")
    assert complaint.actions == ()  # tone never acts

    # the same words in a fresh conversation with no failed request before them: no repair about a failure
    fresh = a.handle_text("thanks, that's perfect", conversation_id=a.db.conversations.create_conversation())
    f_label, _f_score, f_rule = _stored(a, fresh.turn_id)
    assert f_label == "positive" and f_rule == "acknowledge-thanks"
    assert complaint.reply != fresh.reply


def test_sentiment_is_stored_for_every_turn(real_assistant: Assistant) -> None:
    a = real_assistant
    conv = a.db.conversations.create_conversation()
    texts = ["turn on the kitchen light", "ugh, this is useless", "great, thank you!"]
    turns = [a.handle_text(t, conversation_id=conv) for t in texts]
    labels = [_stored(a, t.turn_id)[0] for t in turns]
    assert labels == ["neutral", "negative", "positive"]
    series = a.db.conversations.sentiment_series(conv)
    assert [p.label for p in series] == labels


def test_repair_never_overrides_confirmation(real_assistant: Assistant) -> None:
    a = real_assistant
    conv = a.db.conversations.create_conversation()
    a.home.call_service("lock.lock", ["lock.front_door"])
    r = a.handle_text("unlock the front door, you useless thing", conversation_id=conv)
    assert r.needs_confirmation
    assert not any(x.success for x in r.actions)
    assert a.home.states()["lock.front_door"]["state"] == "locked"


def test_answers_and_plain_commands_never_get_an_apology(real_assistant: Assistant) -> None:
    a = real_assistant
    conv = a.db.conversations.create_conversation()
    texts = ["yes", "no", *["turn on the kitchen light", "turn off the kitchen light"] * 3, "no", "yes"]
    for text in texts:
        r = a.handle_text(text, conversation_id=conv)
        assert "Sorry about that" not in r.reply, (text, r.reply)
        reply_end = [e for e in r.events if e.type == "reply-end"]
        assert reply_end and reply_end[0].data["rule"] == "none"  # the trace names the rule, here: none fired
