"""ConversationRepository against a real SQLite file: save/load, export, search, delete, aggregates."""

from __future__ import annotations

import json
import math
import time

import pytest

from assistant.store import Database, StoredTurn
from contracts.messages import AssistantError, ErrorCode, EventType, PipelineEvent

from .conftest import MakeResult


def test_save_and_load_full_turn(db: Database, make_result: MakeResult) -> None:
    conv = db.conversations.create_conversation()
    result = make_result(conversation_id=conv, audio=True)
    assert db.conversations.save_turn(result, policy_rule="acknowledge-thanks") == result.turn_id

    turn = db.conversations.get_turn(result.turn_id)
    assert isinstance(turn, StoredTurn)
    assert turn.conversation_id == conv and turn.seq == 1
    assert turn.user_text == "turn on the kitchen light" and turn.reply == "Turned on the kitchen light."
    assert turn.input_kind == "audio" and turn.transcript == "turn on the kitchen light"
    assert turn.asr_avg_logprob == pytest.approx(-0.21) and turn.asr_confidence == pytest.approx(0.93)
    assert turn.audio_duration_s == pytest.approx(1.7) and turn.language == "en"
    assert (turn.intent, turn.tier, turn.confidence) == ("HassTurnOn", "template", pytest.approx(0.97))
    assert turn.slots == {"name": "Kitchen Light", "area": "kitchen", "brightness": 80}
    assert turn.targets == ["light.kitchen"]
    assert turn.alternatives[0]["intent"] == "HassLightSet"
    assert turn.skill_id == "home_control"
    assert (turn.sentiment_label, turn.sentiment_score) == ("positive", pytest.approx(0.1))
    assert turn.sentiment_confidence == pytest.approx(0.8) and turn.sentiment_signals == ["lexicon:thanks"]
    assert turn.policy_rule == "acknowledge-thanks"
    assert turn.success and turn.error_code is None and not turn.needs_confirmation
    assert turn.timings == {"sentiment": 1.5, "nlu": 8.0, "skill": 3.2, "total": 30.0}
    types = [e["type"] for e in turn.trace]
    assert types == ["run-start", "sentiment-end", "intent-end", "run-end"]  # reply tokens are not stored
    assert turn.trace[2]["data"] == {"intent": "HassTurnOn", "tier": "template"}
    assert turn.trace[1]["stage"] == "sentiment" and turn.trace[1]["duration_ms"] == 1.5
    assert turn.citations[0]["chunk_id"] == "7" and turn.changes[0]["new_state"]["state"] == "on"
    assert abs(turn.created_at.timestamp() - result.events[0].timestamp) < 1e-3
    (action,) = turn.actions
    assert (action.entity_id, action.service, action.success) == ("light.kitchen", "light.turn_on", True)
    assert action.data == {"brightness": 80} and action.new_state == {"state": "on", "attributes": {"brightness": 204}}


def test_save_creates_conversation_with_title_and_orders_turns(db: Database, make_result: MakeResult) -> None:
    t0 = time.time()
    first = make_result(conversation_id="c1", text="  dim the   lights ", started=t0)
    second = make_result(conversation_id="c1", text="thanks", started=t0 + 5)
    db.conversations.save_turn(first)
    db.conversations.save_turn(second)
    (summary,) = db.conversations.list_conversations()
    assert summary.id == "c1" and summary.title == "dim the lights"
    assert summary.turn_count == 2 and summary.last_text == "thanks"
    assert summary.updated_at.timestamp() == pytest.approx(t0 + 5, abs=1e-3)
    assert [t.seq for t in db.conversations.turns("c1")] == [1, 2]
    assert [t.user_text for t in db.conversations.recent_turns("c1", 1)] == ["thanks"]
    assert [t.seq for t in db.conversations.recent_turns("c1", 10)] == [1, 2]
    assert db.conversations.recent_turns("unknown", 3) == []


def test_saving_the_same_turn_id_replaces_it(db: Database, make_result: MakeResult) -> None:
    result = make_result(conversation_id="c1")
    db.conversations.save_turn(result)
    updated = make_result(conversation_id="c1", turn_id=result.turn_id, reply="Done.", action_success=False)
    db.conversations.save_turn(updated)
    (turn,) = db.conversations.turns("c1")
    assert turn.reply == "Done." and not turn.success and len(turn.actions) == 1
    assert db.conversations.stats().actions == 1


def test_minimal_and_odd_payloads_are_json_safe(db: Database, make_result: MakeResult) -> None:
    bare = make_result(conversation_id="c2", intent=None, score=None, error="nlu-no-match")
    weird = PipelineEvent(
        EventType.ERROR, None, bare.turn_id, "c2", data={"nan": math.nan, "blob": b"\x00\x01", ErrorCode.INTERNAL: {1}}
    )
    bare = make_result(conversation_id="c2", intent=None, score=None, error="nlu-no-match", extra_events=(weird,))
    db.conversations.save_turn(bare)
    turn = db.conversations.get_turn(bare.turn_id)
    assert turn is not None and turn.intent is None and turn.sentiment_score is None
    assert turn.error_code == "nlu-no-match" and not turn.success and turn.actions == ()
    assert turn.trace[-1]["data"] == {"nan": None, "blob": "<2 bytes>", "internal-error": [1]}
    json.dumps(db.conversations.export_conversation("c2"), allow_nan=False)


def test_export_is_complete_json(db: Database, make_result: MakeResult) -> None:
    conv = db.conversations.create_conversation("Evening")
    db.conversations.save_turn(make_result(conversation_id=conv))
    db.conversations.save_turn(make_result(conversation_id=conv, text="that's not what I asked", score=-0.7))
    exported = db.conversations.export_conversation(conv)
    text = json.dumps(exported, allow_nan=False)
    back = json.loads(text)
    assert back["format"] == "assistant.conversation/1"
    assert back["conversation"]["id"] == conv and back["conversation"]["title"] == "Evening"
    assert [t["seq"] for t in back["turns"]] == [1, 2]
    first = back["turns"][0]
    assert first["actions"][0]["service"] == "light.turn_on"
    assert first["trace"][0]["type"] == "run-start" and first["timings"]["total"] == 30.0
    assert back["turns"][1]["sentiment_label"] == "negative"


def test_search_is_case_insensitive_substring(db: Database, make_result: MakeResult) -> None:
    db.conversations.save_turn(make_result(conversation_id="a", text="Turn on the KITCHEN light"))
    db.conversations.save_turn(make_result(conversation_id="b", text="open the blinds", reply="Opened the Blinds."))
    db.conversations.save_turn(make_result(conversation_id="b", text="Schließe die Tür", reply="ok"))
    db.conversations.save_turn(make_result(conversation_id="b", text="100% brightness", reply="ok"))
    assert [t.conversation_id for t in db.conversations.search_turns("kitchen")] == ["a"]
    assert [t.user_text for t in db.conversations.search_turns("BLINDS")] == ["open the blinds"]  # user or reply
    assert len(db.conversations.search_turns("opened the blinds")) == 1
    assert [t.user_text for t in db.conversations.search_turns("SCHLIESSE")] == ["Schließe die Tür"]
    assert [t.user_text for t in db.conversations.search_turns("0%")] == ["100% brightness"]  # % is literal
    assert db.conversations.search_turns("_") == []
    assert db.conversations.search_turns("  ") == []
    assert len(db.conversations.search_turns("the", limit=1)) == 1


def test_delete_one_and_all(db: Database, make_result: MakeResult) -> None:
    for conv in ("a", "b", "c"):
        db.conversations.save_turn(make_result(conversation_id=conv))
    db.knowledge.upsert_document("faq.md", "h", "FAQ", "upload", {})
    db.conversations.delete_conversation("b")
    assert sorted(c.id for c in db.conversations.list_conversations()) == ["a", "c"]
    stats = db.conversations.stats()
    assert (stats.conversations, stats.turns, stats.actions) == (2, 2, 2)
    with pytest.raises(AssistantError) as err:
        db.conversations.delete_conversation("b")
    assert err.value.code == ErrorCode.CONVERSATION_NOT_FOUND
    assert db.conversations.delete_all() == 2
    stats = db.conversations.stats()
    assert (stats.conversations, stats.turns, stats.actions, stats.documents) == (0, 0, 0, 1)


@pytest.mark.parametrize("method", ["turns", "export_conversation", "sentiment_series", "get_conversation"])
def test_unknown_conversation(db: Database, method: str) -> None:
    with pytest.raises(AssistantError) as err:
        getattr(db.conversations, method)("nope")
    assert err.value.code == ErrorCode.CONVERSATION_NOT_FOUND
    assert err.value.details["conversation_id"] == "nope"


def test_ensure_conversation(db: Database) -> None:
    assert db.conversations.ensure_conversation("fixed-id") == "fixed-id"
    assert db.conversations.ensure_conversation("fixed-id") == "fixed-id"
    new = db.conversations.ensure_conversation(None)
    assert sorted(c.id for c in db.conversations.list_conversations()) == sorted(["fixed-id", new])
    db.conversations.rename_conversation(new, "Renamed")
    assert db.conversations.get_conversation(new).title == "Renamed"


def test_sentiment_series(db: Database, make_result: MakeResult) -> None:
    t0 = time.time()
    for i, score in enumerate([0.6, None, -0.2, -0.8]):
        db.conversations.save_turn(make_result(conversation_id="s", score=score, started=t0 + i))
    series = db.conversations.sentiment_series("s")
    assert [(p.seq, p.score, p.label) for p in series] == [
        (1, 0.6, "positive"),
        (3, -0.2, "negative"),
        (4, -0.8, "negative"),
    ]
    seq, created_at, score, label = series[0]
    assert (seq, score, label) == (1, 0.6, "positive")
    assert created_at.timestamp() == pytest.approx(t0, abs=1e-3)


def test_frustration_report(db: Database, make_result: MakeResult) -> None:
    t0 = time.time()

    def conversation(cid: str, turns: list[tuple[str, str | None, float | None, str | None]]) -> None:
        for i, (text, intent, score, error) in enumerate(turns):
            db.conversations.save_turn(
                make_result(conversation_id=cid, text=text, intent=intent, score=score, error=error, started=t0 + i)
            )

    # "open the garage" fails and is followed by anger twice; "lights on" once; thanks never.
    conversation(
        "a",
        [
            ("Open the garage", "HassOpen", 0.0, "device-unavailable"),
            ("ugh, not again", None, -0.2, None),
            ("lights on", "HassTurnOn", 0.0, None),
            ("you're useless", None, -0.9, None),
        ],
    )
    conversation(
        "b",
        [
            ("open  the GARAGE", "HassOpen", 0.0, "device-unavailable"),
            ("no, I said the garage", "HassOpen", -0.5, None),
            ("thanks", None, 0.8, None),
        ],
    )
    conversation("c", [("lights on", "HassTurnOn", 0.0, None), ("thanks", None, 0.9, None)])
    conversation("d", [("Open the garage", "HassOpen", 0.0, None)])  # last turn: nothing follows

    report = db.conversations.frustration_report()
    assert [(i.intent, i.text, i.frustrated, i.occurrences, i.failed) for i in report] == [
        ("HassOpen", "open the garage", 2, 2, 2),
        ("HassTurnOn", "lights on", 1, 2, 0),
    ]
    assert report[0].rate == 1.0 and report[1].rate == 0.5
    assert len(report[0].example_turn_ids) == 2 and report[0].last_at is not None
    assert db.conversations.frustration_report(limit=1) == report[:1]
    # a stricter threshold keeps only the failure followed by a negative turn and the very angry one
    strict = db.conversations.frustration_report(threshold=-0.85)
    assert [(i.text, i.frustrated) for i in strict] == [("open the garage", 2), ("lights on", 1)]


def test_stats(db: Database, make_result: MakeResult) -> None:
    db.conversations.save_turn(make_result(conversation_id="a", score=0.5))
    db.conversations.save_turn(make_result(conversation_id="a", score=-0.5, action_success=False))
    db.conversations.save_turn(make_result(conversation_id="b", intent=None, score=None, error="nlu-no-match"))
    stats = db.conversations.stats()
    assert (stats.conversations, stats.turns, stats.actions, stats.failed_turns) == (2, 3, 2, 2)
    assert stats.sentiment == {"positive": 1, "negative": 1}
    assert stats.tiers == {"template": 2}
    assert stats.size_bytes > 0


def test_deleted_history_is_gone_from_the_files(sqlite_db: Database, make_result: MakeResult) -> None:
    db = sqlite_db
    marker = "zebra-marker-" + "q" * 20
    db.conversations.save_turn(make_result(conversation_id="secret", text=f"my code is {marker}"))
    db.conversations.save_turn(make_result(conversation_id="other", text="lights on"))
    files = [db.path, db.path.with_name(db.path.name + "-wal")]
    assert any(marker.encode() in f.read_bytes() for f in files if f.exists())
    db.conversations.delete_conversation("secret")
    assert not any(marker.encode() in f.read_bytes() for f in files if f.exists())
    assert [c.id for c in db.conversations.list_conversations()] == ["other"]


def test_first_turn_creates_the_conversation_in_the_same_transaction(db: Database, make_result: MakeResult) -> None:
    result = make_result(conversation_id="fresh", text="open the garage")
    db.conversations.save_turn(result)
    info = db.conversations.get_conversation("fresh")
    assert info.title == "open the garage"
    assert info.updated_at.timestamp() == pytest.approx(result.events[0].timestamp, abs=1e-3)
    (turn,) = db.conversations.turns("fresh")
    assert turn.id == result.turn_id and turn.seq == 1


def test_a_typed_turn_takes_the_conversations_pinned_language(db: Database, make_result: MakeResult) -> None:
    conv = db.conversations.create_conversation("Named", language="de")
    typed = make_result(conversation_id=conv)
    spoken = make_result(conversation_id=conv, audio=True)
    db.conversations.save_turn(typed)
    db.conversations.save_turn(spoken)
    assert [t.language for t in db.conversations.turns(conv)] == ["de", "en"]
    assert db.conversations.get_conversation(conv).title == "Named"  # a given title is kept
    db.conversations.save_turn(make_result(conversation_id=conv, turn_id=typed.turn_id, reply="Again."))
    first = db.conversations.get_turn(typed.turn_id)
    assert first is not None and first.language == "de" and first.reply == "Again." and first.seq == 1


def test_a_turn_id_of_another_conversation_is_refused(db: Database, make_result: MakeResult) -> None:
    result = make_result(conversation_id="c1")
    db.conversations.save_turn(result)
    with pytest.raises(AssistantError) as err:
        db.conversations.save_turn(make_result(conversation_id="c2", turn_id=result.turn_id))
    assert err.value.code == ErrorCode.INTERNAL
    assert [t.id for t in db.conversations.turns("c1")] == [result.turn_id]


def test_recent_briefs_match_recent_turns(db: Database, make_result: MakeResult) -> None:
    t0 = time.time()
    for i, (text, error) in enumerate([("a", None), ("b", "nlu-no-match"), ("c", None)]):
        db.conversations.save_turn(make_result(conversation_id="c1", text=text, error=error, started=t0 + i))
    briefs = db.conversations.recent_briefs("c1", 2)
    full = db.conversations.recent_turns("c1", 2)
    assert [b.user_text for b in briefs] == [t.user_text for t in full] == ["b", "c"]
    assert [(b.intent, b.success, b.error_code) for b in briefs] == [(t.intent, t.success, t.error_code) for t in full]
    assert [b.sentiment_score for b in briefs] == [pytest.approx(0.1), pytest.approx(0.1)]
    assert db.conversations.recent_briefs("unknown", 3) == [] and db.conversations.recent_briefs("c1", 0) == []
