"""View formatting: replies, dashboard, controls, trace, tables (plain values, no server)."""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError, asdict, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from assistant.store.records import SentimentPoint, StoredAction, StoredTurn
from contracts.messages import (
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
from tests.ui.conftest import FakeHome
from ui import views
from ui.records import ActionView, PassageView, StoredTurnView, TurnResultView


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
        error="device-unavailable",
    )
    text = views.format_reply(r)
    assert text.startswith("The filter is cleaned monthly.")
    assert "Dishwasher manual (manual.md), passage 3 — score 0.71" in text
    assert "`device-unavailable`" in text


def test_not_understood_and_clarifications_carry_no_error_tag() -> None:
    sorry = views.format_reply(_result(reply="Sorry, I didn't understand that.", error="nlu-no-match"))
    assert sorry == "Sorry, I didn't understand that."
    which = views.format_reply(_result(reply="Which room do you mean for the lights?", error="nlu-ambiguous"))
    assert which == "Which room do you mean for the lights?"


def _clarification(n: int = 5) -> TurnResult:
    names = ["Kitchen Light", "Hall Lamp", "Bedroom Light", "Office Light", "Garage Light"][:n]
    alternatives = tuple(
        Candidate("HassTurnOn", (f"light.{i}",), score=0.5, description=f"Turn on the {name}.")
        for i, name in enumerate(names)
    )
    return _result(
        reply="Which do you mean: ...?",
        error="nlu-ambiguous",
        intent=IntentMatch("HassTurnOn", tier=Tier.TEMPLATE, alternatives=alternatives),
    )


def test_clarification_choices_answer_with_their_ordinal() -> None:
    options = views.clarification_options(_clarification())
    assert options == [
        {"label": "Turn on the Kitchen Light", "value": "the first one"},
        {"label": "Turn on the Hall Lamp", "value": "the second one"},
        {"label": "Turn on the Bedroom Light", "value": "the third one"},
        {"label": "Turn on the Office Light", "value": "the fourth one"},
    ]  # at most four
    message = views.assistant_message(_clarification(2))
    assert message["options"][1]["value"] == "the second one"
    assert "Choose one below" in message["content"] and "nlu-ambiguous" not in message["content"]
    assert views.clarification_options(_clarification(1)) == []  # one candidate is no choice
    assert "options" not in views.assistant_message(_result())  # an ordinary reply has none
    no_match = _result(error="nlu-no-match", intent=_clarification().intent)
    assert views.clarification_options(no_match) == []


def test_a_restored_chat_keeps_the_open_question_on_its_last_turn() -> None:
    now = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    alts = [{"intent": "HassTurnOn", "description": "Turn on the Fan."}, {"description": "Turn on the Desk Fan."}]
    asked = StoredTurn("t1", "c", 1, now, "turn on the fan", "text", "Which one?", False, alternatives=alts)
    asked = replace(asked, error_code="nlu-ambiguous")
    answered = StoredTurn("t2", "c", 2, now, "the first one", "text", "Turned on the Fan.", True)
    still_open = views.chat_history_from_turns([asked])
    assert [o["value"] for o in still_open[-1]["options"]] == ["the first one", "the second one"]
    assert "error" not in still_open[-1]["content"]
    assert all("options" not in m for m in views.chat_history_from_turns([asked, answered]))


def test_message_text_reads_both_chatbot_shapes() -> None:
    assert views.message_text({"role": "assistant", "content": "…"}) == "…"
    assert views.message_text({"content": [{"type": "text", "text": "… still"}]}) == "… still"
    assert views.message_text({"content": None}) == ""


def test_welcome_examples_come_from_the_home() -> None:
    home = FakeHome()
    doc = {"title": "House manual", "name": "house-manual.md"}
    examples = views.welcome_examples(home.entities(), home.areas(), documents=[doc], topic="Wi-Fi and internet")
    assert examples[:4] == [
        "Turn on the Kitchen Light",
        "Is the Front Door locked?",
        "Set a timer for 5 minutes",
        "What does the house manual say about Wi-Fi and internet?",
    ]
    assert "Open the Bedroom Blinds" in examples and len(examples) <= 6
    home.call_service("light.turn_on", ["light.kitchen"])
    bare = views.welcome_examples(home.entities(), timers=False)
    assert bare[0] == "Turn off the Kitchen Light" and not any("timer" in e or "manual" in e for e in bare)
    assert views.welcome_examples([]) == ["Set a timer for 5 minutes"]
    assert "Room:" in views.welcome_markdown() and "this room" in views.ROOM_HINT


def test_ingest_markdown_reports_every_file() -> None:
    from assistant.rag.kb import IngestReport

    reports = [
        IngestReport("first.md", "ingested", "d1", "First", 2, seconds=1.25),
        IngestReport("bad.pdf", "failed", error_code="kb-corrupt-document", message="bad.pdf is not a readable PDF."),
        IngestReport("third.md", "unchanged", "d3", "Third", 1),
        IngestReport("<img src=x>.md", "ingested", "d4", "x", 1, document_name="x (uploaded).md"),
    ]
    text = views.ingest_markdown(reports)
    lines = text.splitlines()
    assert lines[0] == "**3 of 4 files added in 1.2 s; 1 could not be added.**"
    assert lines[2] == "- ✔ **first.md**: added, 2 passages"
    assert lines[3] == "- ✘ **bad.pdf**: bad.pdf is not a readable PDF. (error: `kb-corrupt-document`)"
    assert lines[4] == "- ✔ **third.md**: already in the knowledge base, unchanged"
    assert "\\<img src=x\\>.md**: added as x (uploaded).md" in lines[5]
    assert views.ingest_markdown([reports[0]]).startswith("**1 file added in 1.2 s.**")
    assert views.ingest_markdown([]) == "Nothing was uploaded."


def test_format_reply_shows_transcript_for_voice() -> None:
    r = _result(transcript=Transcript("turn on the kitchen light", confidence=0.87))
    assert "Heard:* “turn on the kitchen light” (ASR confidence 0.87)" in views.format_reply(r)


def test_format_error_uses_given_message() -> None:
    assert views.format_error("kb-too-large", "File over 20 MB.") == "⚠ File over 20 MB. (error: `kb-too-large`)"
    assert views.format_error(None) == ""
    assert views.format_error("weird-code") == "⚠ error: `weird-code`"


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
    from assistant.dialogue.confirm import ControlOutcome

    home = FakeHome()
    outcome = ControlOutcome(
        "done", (Action("sensor.outside", "homeassistant.update_entity", {}, success=True, new_state={"state": "12"}),)
    )
    line = views.control_outcome_markdown(outcome, home.entity)
    assert line == "✔ Outside \\<Temp\\>: 12 °C (`homeassistant.update_entity`)"
    assert "<Temp>" not in _render(line)
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
    named = views.control_outcome_markdown(done, FakeHome().entity)
    assert named == "✔ Kitchen Light: Off (`light.turn_off`)"
    refused = views.control_outcome_markdown(
        ControlOutcome("refused", error_code="confirm-wrong-pin", message="That PIN is not right.")
    )
    assert "That PIN is not right." in refused and "`confirm-wrong-pin`" in refused
    assert views.control_outcome_markdown(ControlOutcome("done")) == "Nothing was done."


# ---------------------------------------------------------------------------------------------- view records


def test_turn_records_convert_once_from_a_dataclass_or_a_mapping_alike() -> None:
    alts = (Candidate("light.on", ("light.a",), description="Turn on A"), Candidate("light.on", description="B"))
    live = _result(
        transcript=Transcript("turn on <b>it</b>", confidence=0.8),
        intent=IntentMatch("light.on", tier=Tier.TEMPLATE, confidence=0.4, alternatives=alts),
        citations=(Passage("manual.md", "c1", "text", 0.5, title="Manual", chunk_index=2),),
        error="nlu-ambiguous",
    )
    from_object, from_mapping = TurnResultView.from_any(live), TurnResultView.from_any(asdict(live))
    assert from_object.transcript is not None and from_object.transcript.text == "turn on <b>it</b>"
    assert [c.description for c in from_object.clarification.choices] == ["Turn on A", "B"]
    assert from_object.citations[0].document == "manual.md" and from_object.citations[0].chunk == 2
    # a formatter given the engine's record, a plain dict or the record itself shows the same
    for given in (live, asdict(live), from_object, from_mapping):
        assert views.format_reply(given) == views.format_reply(live)
        assert views.assistant_message(given) == views.assistant_message(live)
        assert views.clarification_options(given) == views.clarification_options(live)
        assert views.trace_html(views.TraceView.from_result(given)) == views.trace_html(
            views.TraceView.from_result(live)
        )
    assert TurnResultView.from_any(from_object) is from_object  # converted once: a record passes through
    with pytest.raises(FrozenInstanceError):
        from_object.reply = "changed"  # type: ignore[misc]

    stored = StoredTurn(
        id="s1", conversation_id="c1", seq=4, created_at=datetime(2026, 1, 1, tzinfo=UTC), user_text="hi",
        input_kind="text", reply="<i>Hello</i>", success=True, targets=["light.a"],
    )  # fmt: skip
    assert StoredTurnView.from_any(stored) == StoredTurnView.from_any(asdict(stored))
    assert views.chat_history_from_turns([stored]) == views.chat_history_from_turns([asdict(stored)])
    assert views.history_rows([stored]) == views.history_rows([StoredTurnView.from_any(stored)])


def test_record_fields_keep_each_formatters_default() -> None:
    # a turn without a number is numbered by its place; one whose number is None says so
    assert views.turn_choices([{"id": "a", "user_text": "x"}, {"id": "b", "user_text": "y"}])[1][0] == "#2 y"
    assert views.turn_choices([{"id": "a", "seq": None, "user_text": "x"}])[0][0] == "#None x"
    assert StoredTurnView.from_any({"id": "a"}).has_seq is False
    # a citation without a score shows none; a search hit without one shows 0
    bare = PassageView.from_any({"document_id": "d", "text": "t"})
    assert (bare.score, bare.ranked_score, bare.chunk, bare.ranked_chunk) == (None, 0.0, None, 0)
    assert PassageView.from_any({"document": "old", "chunk": 3}).chunk == 3  # the older keys still read
    assert "score" not in views.citations_markdown([{"document_id": "d"}])
    assert "score **0.000**" in views.passages_markdown([{"document_id": "d"}])


def test_records_keep_untrusted_text_raw_and_the_formatters_escape_it() -> None:
    hostile = "<img src=x onerror=alert(1)> [click](http://evil) *x*"
    p = PassageView.from_any({"document_id": hostile, "title": hostile, "text": hostile, "score": 0.9})
    assert p.title == hostile  # the record holds the value; escaping is the formatter's
    for out in (views.passages_markdown([p]), views.citations_markdown([p])):
        assert "\\<img" in out and "<img" not in out.replace("\\<", "") and "http://" not in out
    a = ActionView.from_any(
        {"entity_id": hostile, "service": "light.turn_on", "success": True, "new_state": {"state": hostile}}
    )
    assert a.new_state_value == hostile
    html_out = views.trace_html(views.TraceView("t", "x", "y", actions=(views.ActionRow.of(a),)))
    assert "<img" not in html_out and "&lt;img" in html_out
    assert views.control_outcome_markdown({"status": "done", "actions": [a]}).count("\\<img") == 2
