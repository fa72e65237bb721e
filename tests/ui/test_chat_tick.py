"""The chat's poll keeps the Yes/No row in line with the engine without wiping a PIN the user is typing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ui.records import PendingView
from ui.tabs.chat import ChatCallbacks

_PENDING = PendingView(id="42", needs_pin=True, expires_at=None, question="Unlock the front door?")


def _callbacks(pending: PendingView | None) -> ChatCallbacks:
    """ChatCallbacks over stand-in widgets (names) and an engine that holds ``pending``."""
    cb = ChatCallbacks.__new__(ChatCallbacks)
    cb.tab = SimpleNamespace(  # type: ignore[assignment]
        confirm_row="row", confirm_md="md", confirm_pin="pin", shown_pending="shown", chatbot="chat"
    )
    cb.inbox = SimpleNamespace(pending=lambda cid: False)  # type: ignore[assignment]
    cb.shared = SimpleNamespace(live_pending=lambda cid, who: pending)  # type: ignore[assignment]
    return cb


def _tick(pending: PendingView | None, shown: str | None) -> Any:
    return _callbacks(pending).chat_tick("c1", [], "owner", shown)


def test_a_stale_poll_shows_the_row_but_keeps_the_typed_pin() -> None:
    # the poll's ``shown`` was read before the turn's reply showed the row: its answer may land after the PIN was typed
    updates = _tick(_PENDING, shown=None)
    assert updates["row"]["visible"] is True and updates["shown"] == "42"
    assert updates["pin"]["visible"] is True
    assert "value" not in updates["pin"]


def test_a_poll_that_hides_the_row_clears_the_pin() -> None:
    updates = _tick(None, shown="42")
    assert updates["row"]["visible"] is False and updates["shown"] is None
    assert updates["pin"]["value"] == ""


def test_a_poll_with_nothing_new_changes_nothing() -> None:
    updates = _tick(_PENDING, shown="42")
    assert "pin" not in updates and "row" not in updates


def test_a_turn_that_asks_clears_the_pin_box() -> None:
    updates = _callbacks(_PENDING).confirm_updates(_PENDING)
    assert updates["pin"]["value"] == "" and updates["pin"]["visible"] is True
