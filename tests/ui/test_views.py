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
    assert "### Load errors" in md and "SyntaxError in broken\\_skill.py" in md


def test_models_status_banner() -> None:
    assert views.models_status_markdown({"state": "ready", "message": "Models ready."}) == ""
    assert views.models_status_markdown(None) == ""
    loading = views.models_status_markdown({"state": "loading", "message": "Loading the models; requests wait."})
    assert loading.startswith("⏳") and "requests wait" in loading
    failed = views.models_status_markdown({"state": "failed", "message": "Loading models failed [model-unavailable]"})
    assert "⚠" in failed and "\\[model-unavailable\\]" in failed


# ---------------------------------------------------------------------------------------------- untrusted text

_PORT = "127.0.0.1:8999"
_HOSTILE = (
    f"<img src=http://{_PORT}/x.png> ![pixel](http://{_PORT}/y.png) [click here to confirm](http://{_PORT}/c) "
    "[run](javascript:alert(1)) <javascript:alert(2)> <a href='x'>a</a> &lt;b&gt; *bold* _it_ `code` ~~gone~~ "
    f"$$x$$ http://{_PORT}/bare www.example.com mail@example.com | a | b | [ref]: http://{_PORT}/r #tag"
)


def _render(markdown: str) -> str:
    """Render like the page does (CommonMark with raw HTML allowed, GFM tables and strike-through)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)


def _plain(rendered: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"</?(p|br /)>", "", rendered)).strip()


def test_md_escape_shows_html_links_and_images_as_plain_text() -> None:
    escaped = views.md_escape(_HOSTILE)
    rendered = _render(escaped)
    for tag in ("<img", "<a ", "<a>", "<em", "<strong", "<code", "<s>", "<del", "<table", "<h1"):
        assert tag not in rendered, (tag, rendered)
    assert _plain(rendered) == _HOSTILE  # exactly the text, nothing lost
    assert "&lt;img src=" in rendered


def test_md_escape_breaks_autolinks_and_javascript_urls() -> None:
    escaped = views.md_escape(f"see http://{_PORT}/a or https://x.org, WWW.evil.com, a@b.co, javascript:alert(1)")
    assert re.search(r"(?<!\\)://", escaped) is None
    assert "WWW\\." in escaped and "\\@" in escaped
    assert "<a" not in _render(escaped)
    link = views.md_escape("[confirm](javascript:alert(1))")
    assert link.startswith("\\[confirm\\]") and "<a" not in _render(link)


def test_md_escape_neutralises_line_start_markup() -> None:
    text = "# Heading\n- item\n+ item\n1. first\n2) second\n> quote\n---\n===\n```\ncode\n```"
    rendered = _render(views.md_escape(text))
    for tag in ("<h1", "<h2", "<ul", "<ol", "<blockquote", "<hr", "<pre", "<code"):
        assert tag not in rendered, tag
    assert views.md_escape(None) == "" and views.md_escape("plain words, 12.5 degrees.") == "plain words, 12.5 degrees."


def test_replies_citations_and_history_escape_untrusted_text() -> None:
    r = _result(
        reply=f"The manual says: <img src=http://{_PORT}/x.png> [click here to confirm](http://{_PORT}/c)",
        citations=(Passage("evil.md", "1", "…", 0.5, title=f"Pool ![t](http://{_PORT}/t.png)", chunk_index=0),),
        transcript=Transcript("<b>hi</b>", confidence=0.9),
    )
    out = _render(views.format_reply(r))
    assert "<img" not in out and "<a " not in out and "<b>hi" not in out
    assert "<strong>Cited passages:</strong>" in out  # our own formatting stays
    now = datetime.now(UTC)
    turn = StoredTurn("t", "c", 1, now, f"![x](http://{_PORT}/u.png)", "text", "<img src=x>", True)
    for message in views.chat_history_from_turns([turn]):
        rendered = _render(message["content"])
        assert "<img" not in rendered and "<a " not in rendered
    assert views.user_message("<img src=x>")["content"] == "\\<img src=x\\>"
    title_md = views.passages_markdown([Passage("d", "c", "text", 0.5, title="<img src=x> [a](b)")])
    assert "<img" not in _render(title_md) and "<a " not in _render(title_md)


def test_device_names_errors_and_skills_are_escaped() -> None:
    home = FakeHome()
    heading = views.entity_heading(home.entity("sensor.outside"))
    assert heading.startswith("**Outside \\<Temp\\>** (`sensor.outside`)")
    assert "<Temp>" not in _render(heading)
    err = views.format_error("kb-bad", "File <img src=x> is bad")
    assert "<img" not in _render(err) and "`kb-bad`" in err


def test_confirm_prompt_and_control_outcomes() -> None:
    from assistant.dialogue.confirm import ControlOutcome, PendingConfirmation

    pending = PendingConfirmation("p1", "Unlock <b>Front</b> Door?", needs_pin=True, expires_at=0.0)
    prompt = views.confirm_prompt(pending)
    assert "Unlock \\<b\\>Front\\</b\\> Door?" in prompt and "Enter the PIN, then press Yes." in prompt
    waiting = views.control_outcome_markdown(ControlOutcome("needs-confirmation", pending=pending, message="?"))
    assert "press Confirm" in waiting and "<b>" not in _render(waiting)
    done = ControlOutcome(
        "done", (Action("light.kitchen", "light.turn_off", {}, success=True, new_state={"state": "off"}),)
    )
    assert views.control_outcome_markdown(done) == "✔ light.turn\\_off → light.kitchen: off"
    refused = views.control_outcome_markdown(
        ControlOutcome("refused", error_code="confirm-wrong-pin", message="That PIN is not right.")
    )
    assert "That PIN is not right." in refused and "`confirm-wrong-pin`" in refused
    assert views.control_outcome_markdown(ControlOutcome("done")) == "Nothing was done."
