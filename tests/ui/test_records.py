"""The view records' conversion: every field read by name from a mapping, an object or an engine dataclass."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from contracts.home import Area, Entity
from contracts.messages import Passage
from ui.records import (
    ActionView,
    AreaView,
    ControlOutcomeView,
    DocumentView,
    EntityView,
    PassageView,
    PendingView,
    StoredTurnView,
    TurnResultView,
)


@pytest.mark.parametrize("shape", [dict, lambda **kw: SimpleNamespace(**kw)])
def test_fields_are_read_by_name_from_a_mapping_or_an_object(shape):
    view = AreaView.from_any(shape(id="kitchen", name="Kitchen", floor_id="ground", extra=1))
    assert view == AreaView(id="kitchen", name="Kitchen", floor_id="ground")
    assert AreaView.from_any(Area(id="k", name="K", floor_id=None)) == AreaView(id="k", name="K", floor_id=None)


def test_a_missing_field_reads_as_none_or_the_records_default():
    assert AreaView.from_any({}) == AreaView(id=None, name=None, floor_id=None)
    assert DocumentView.from_any({"id": "d"}).chunk_count == 0
    assert DocumentView.from_any({"id": "d", "chunk_count": None}).chunk_count is None  # a default fills absence only
    action = ActionView.from_any(SimpleNamespace())
    assert (action.entity_id, action.service, action.success, action.confirmed_by_user) == ("", "", False, False)
    stored = StoredTurnView.from_any({})
    assert (stored.input_kind, stored.conversation_id, stored.has_seq, stored.seq) == ("text", "", False, None)


def test_converted_fields_keep_their_conversion():
    passage = PassageView.from_any(Passage(document_id="doc", chunk_id="c1", text="t", score=0.5, chunk_index=2))
    assert (passage.document, passage.chunk, passage.ranked_chunk, passage.ranked_score) == ("doc", 2, 2, 0.5)
    entity = EntityView.from_any(Entity(entity_id="light.k", name="K", state="on", attributes={"device_class": "x"}))
    assert (entity.domain, entity.device_class_raw, entity.services) == ("light", "x", frozenset())
    turn = TurnResultView.from_any({"transcript": {"text": "hi", "confidence": 0.9}, "intent": None})
    assert turn.transcript is not None and turn.transcript.text == "hi" and turn.intent is None
    outcome = ControlOutcomeView.of({"status": "done", "pending": {"id": 7, "expires_at": 5}, "error_code": "e"})
    assert outcome.pending == PendingView(id="7", needs_pin=False, expires_at=5, question=None, expires_raw=5)
    assert (outcome.status, outcome.error_code, outcome.message, outcome.actions) == ("done", "e", "", ())


@pytest.mark.parametrize("view", [AreaView(id="a", name="A", floor_id=None), DocumentView.from_any({})])
def test_a_view_record_passes_through_unchanged(view):
    assert type(view).from_any(view) is view
    assert dataclasses.is_dataclass(view)
