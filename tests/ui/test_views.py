"""View formatting: replies, dashboard, controls, trace, tables (plain values, no server)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from assistant.messages import (
    Action,
    Candidate,
    IntentMatch,
    Passage,
    Sentiment,
    SentimentLabel,
    Tier,
    Transcript,
    TurnResult,
)
from assistant.store.records import SentimentPoint, StoredAction, StoredTurn
from tests.ui.conftest import FakeHome
from ui import views


def _result(**kw: Any) -> TurnResult:
    base: dict[str, Any] = {
        "turn_id": "t1",
        "conversation_id": "c1",
        "text": "turn on the kitchen light",
        "reply": "Done.",
    }
    base.update(kw)
    return TurnResult(**base)


def test_format_reply_shows_error_code_and_sources() -> None:
    r = _result(
        reply="The filter is cleaned monthly.",
        citations=(Passage("manual.md", "1", "…", 0.71, title="Dishwasher manual", chunk_index=3),),
        error="nlu-no-match",
    )
    text = views.format_reply(r)
    assert text.startswith("The filter is cleaned monthly.")
    assert "Dishwasher manual (manual.md), passage 3 — score 0.71" in text
    assert "`nlu-no-match`" in text


def test_format_reply_shows_transcript_for_voice() -> None:
    r = _result(transcript=Transcript("turn on the kitchen light", confidence=0.87))
    assert "Heard:* “turn on the kitchen light” (ASR confidence 0.87)" in views.format_reply(r)


def test_format_error_uses_given_message() -> None:
    assert views.format_error("kb-too-large", "File over 20 MB.") == "⚠ File over 20 MB. (error: `kb-too-large`)"
    assert views.format_error(None) == ""
    assert views.format_error("weird-code") == "⚠ error: `weird-code`"


def test_dashboard_groups_by_floor_then_area_and_escapes() -> None:
    home = FakeHome()
    out = views.dashboard_html(home.entities(), home.areas(), home.floors(), highlight={"light.kitchen"})
    ground, first = out.index("Ground floor"), out.index("First floor")
    assert ground < out.index("Kitchen Light") < first < out.index("Bedroom Blinds")
    assert "Outside &lt;Temp&gt;" in out and "<Temp>" not in out
    assert "Unassigned" in out
    assert '<tr class="entity changed" data-entity="light.kitchen">' in out
    assert "12 °C" in out
    assert "<script" not in out


def test_entity_state_text_shows_useful_attributes() -> None:
    home = FakeHome()
    home.call_service("light.turn_on", ["light.kitchen"], {"brightness_pct": 40})
    assert views.entity_state_text(home.entity("light.kitchen")) == "on · 40%"
    assert views.entity_state_text(home.entity("climate.hall")) == "heat · now 19.5°, target 20°"


def test_plan_controls_per_domain() -> None:
    home = FakeHome()
    light = views.plan_controls(home.entity("light.kitchen"))
    assert ("Turn on", "light.turn_on") in light.buttons and light.brightness == 0.0
    assert light.position is None and light.temperature is None
    lock = views.plan_controls(home.entity("lock.front_door"))
    assert [s for _, s in lock.buttons] == ["lock.lock", "lock.unlock"]
    cover = views.plan_controls(home.entity("cover.bedroom_blinds"))
    assert cover.position == 0.0 and cover.position_service == "cover.set_cover_position"
    climate = views.plan_controls(home.entity("climate.hall"))
    assert climate.temperature == 20.0 and climate.temperature_range == (10.0, 30.0)
    assert views.plan_controls(home.entity("sensor.outside")).buttons == ()


def test_slider_service_maps_controls_to_services() -> None:
    plan = views.plan_controls(FakeHome().entity("cover.bedroom_blinds"))
    assert views.slider_service(plan, "position", 55.4) == ("cover.set_cover_position", {"position": 55})
    assert views.slider_service(plan, "brightness", 30) == ("light.turn_on", {"brightness_pct": 30})
    assert views.slider_service(plan, "volume", 35) == ("media_player.volume_set", {"volume_level": 0.35})
    assert views.slider_service(plan, "temperature", 21.5) == ("climate.set_temperature", {"temperature": 21.5})
    with pytest.raises(ValueError):
        views.slider_service(plan, "colour", 1)


def test_entity_choices_skip_read_only_and_label_with_area() -> None:
    home = FakeHome()
    choices = dict(views.entity_choices(home.entities(), home.areas()))
    assert choices["Kitchen · Kitchen Light"] == "light.kitchen"
    assert "sensor.outside" not in choices.values()


def test_latency_svg_orders_stages_and_scales_bars() -> None:
    svg = views.latency_svg({"total": 30.0, "skill": 5.0, "asr": 20.0, "nlu": 10.0})
    assert svg.index('data-stage="asr"') < svg.index('data-stage="nlu"') < svg.index('data-stage="skill"')
    assert 'data-stage="total"' not in svg and "Total: 30.0 ms" in svg
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([0-9.]+)"', svg)]
    assert widths[0] == pytest.approx(360.0) and widths[1] == pytest.approx(180.0)
    assert "<script" not in svg
    assert "No timings" in views.latency_svg({})


def test_trace_from_result_lists_everything() -> None:
    r = _result(
        transcript=Transcript("unlock the front door", confidence=0.8),
        sentiment=Sentiment(SentimentLabel.NEGATIVE, -0.5, 0.9, signals=("lexicon: stupid",)),
        intent=IntentMatch(
            "HassTurnOn",
            targets=("light.kitchen",),
            tier=Tier.SEMANTIC,
            confidence=0.72,
            alternatives=(Candidate("HassTurnOff", score=0.3, description="Turn off Kitchen Light"),),
        ),
        actions=(Action("light.kitchen", "light.turn_on", {}, success=True, new_state={"state": "on"}),),
        timings_ms={"asr": 100.0, "nlu": 10.0, "total": 115.0},
    )
    html = views.trace_html(views.TraceView.from_result(r))
    for needle in (
        "ASR confidence 0.80",
        "negative (-0.50) — lexicon: stupid",
        "tier <b>semantic</b> · confidence 0.72",
        "Turn off Kitchen Light — 0.30",
        "light.turn_on",
        "✔ ok",
        'data-stage="asr"',
    ):
        assert needle in html, needle


def test_trace_from_stored_turn() -> None:
    now = datetime.now(UTC)
    turn = StoredTurn(
        id="t9",
        conversation_id="c",
        seq=1,
        created_at=now,
        user_text="unlock the front door",
        input_kind="text",
        reply="Unlocked.",
        success=False,
        intent="Confirm",
        tier="dialogue",
        confidence=1.0,
        alternatives=[{"intent": "Deny", "score": 0.0, "targets": ["lock.front_door"]}],
        error_code="device-unavailable",
        timings={"nlu": 2.5, "note": "x"},
        actions=(StoredAction(1, "lock.front_door", "lock.unlock", {}, False, "device-unavailable", True, None),),
    )
    view = views.TraceView.from_stored(turn)
    assert view.timings_ms == {"nlu": 2.5}
    html = views.trace_html(view)
    assert "Deny → lock.front_door — 0.00" in html
    assert "✘ device-unavailable (confirmed)" in html
    assert '<span class="err">device-unavailable</span>' in html
    assert "No turn selected" in views.trace_html(None)


def test_tables_and_choices() -> None:
    now = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    points = [SentimentPoint(1, now, 0.2, "positive"), SentimentPoint(2, now, -0.4, "negative")]
    assert views.sentiment_rows(points) == [
        {"turn": 1, "score": 0.2, "label": "positive"},
        {"turn": 2, "score": -0.4, "label": "negative"},
    ]
    home = FakeHome()
    areas = views.area_choices(home.areas(), home.floors())
    assert areas[0] == ("(no room)", "") and ("Bedroom (First floor)", "bedroom") in areas
    turn = StoredTurn("t", "conv12345678", 3, now, "hello there", "text", "hi", True, sentiment_score=0.5)
    assert views.turn_choices([turn]) == [("#3 hello there", "t")]
    row = views.history_rows([turn])[0]
    assert row[:3] == ["2025-01-02 03:04:00", "conv1234", "hello there"] and row[5] == "+0.50"
    msgs = views.chat_history_from_turns([turn])
    assert msgs == [{"role": "user", "content": "hello there"}, {"role": "assistant", "content": "hi"}]


def test_passages_and_skills_and_settings() -> None:
    assert views.passages_markdown([]) == "_No passage matched._"
    md = views.passages_markdown([Passage("d", "c", "Clean the filter monthly.", 0.523, title="Manual", chunk_index=2)])
    assert "**1. Manual** — passage 2, score **0.523**" in md and "> Clean the filter monthly." in md
    raw = views.passages_markdown([Passage("d", "c", "# Title <b>x</b> *y*", 0.5)])
    assert "\\# Title \\<b\\>x\\</b\\> \\*y\\*" in raw
    settings = views.settings_markdown({"asr_device": "cpu", "skills": ["a", "b"]})
    assert "| Speech recognition device | `cpu` |" in settings and "`a, b`" in settings


def test_skills_markdown_lists_intents_examples_and_errors(fake_assistant: Any) -> None:
    md = views.skills_markdown(fake_assistant.skills.skills, fake_assistant.skills.errors)
    assert "### lights" in md and "**HassTurnOn**: “turn on the kitchen light”" in md
    assert "### Load errors" in md and "SyntaxError in broken_skill.py" in md


def test_models_status_banner() -> None:
    assert views.models_status_markdown({"state": "ready", "message": "Models ready."}) == ""
    assert views.models_status_markdown(None) == ""
    loading = views.models_status_markdown({"state": "loading", "message": "Loading the models; requests wait."})
    assert loading.startswith("⏳") and "requests wait" in loading
    failed = views.models_status_markdown({"state": "failed", "message": "Loading models failed [model-unavailable]"})
    assert "⚠" in failed and "model\\-unavailable" in failed
