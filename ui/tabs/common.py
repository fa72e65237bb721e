"""What the tabs share: the session's states, event options, error sentences, the upload folder, and the reads that
more than one tab redraws (conversation list, turn list, dashboard, the live confirmation)."""

from __future__ import annotations

import inspect
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from contracts.messages import AssistantError, ErrorCode
from ui import dashboard as home_view
from ui import views
from ui.live import ChangeCounter
from ui.ports import ConfirmationReader, ConversationStore, HomeReader, ModelsStatus
from ui.records import PendingView

__all__ = ["Session", "Shared", "Uploads", "accepts_kw", "error_message", "out", "private"]

_log = logging.getLogger("assistant.ui")

Updates = dict[Any, Any]
"""A callback's updates, by component."""


def private(**kwargs: Any) -> dict[str, Any]:
    """UI-only events are not callable through the API (only ``/chat`` is)."""
    return {"api_visibility": "private", **kwargs}


def out(updates: Updates) -> Any:
    """A callback's dict of updates, or skip-everything when it is empty."""
    return updates or gr.skip()


def error_message(exc: BaseException) -> str:
    """The sentence shown for a failed call (an engine error's own, else a generic one; the trace goes to the log)."""
    if isinstance(exc, AssistantError):
        return views.format_error(exc.code.value, exc.message)
    _log.exception("UI callback failed", exc_info=exc)
    return views.format_error(ErrorCode.INTERNAL.value, "Something went wrong inside the assistant.")


def accepts_kw(fn: Callable[..., Any] | None, name: str) -> bool:
    """Whether ``fn`` takes a keyword argument ``name`` (engines without ``speak`` still work)."""
    if fn is None:
        return False
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class Uploads:
    """A private temp folder for files the UI hands back (spoken replies, exports)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="assistant-ui-"))

    def write(self, data: bytes, suffix: str) -> str:
        fd, path = tempfile.mkstemp(dir=self.dir, suffix=suffix)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return path


@dataclass(frozen=True)
class Session:
    """The browser session's own states, which every tab reads."""

    owner: gr.State
    """Who this session is (``ui.identity``): every engine call carries it."""
    conversation: gr.State
    """The open conversation's id ("" for a new one)."""


class Shared:
    """Reads that several tabs redraw from, each a call on the engine's narrow ports."""

    def __init__(
        self,
        *,
        repo: ConversationStore,
        home: HomeReader,
        confirmations: ConfirmationReader,
        live: ChangeCounter,
        models_status: ModelsStatus,
    ) -> None:
        self.repo = repo
        self.home = home
        self.confirmations = confirmations
        self.live = live
        self.models_status = models_status
        self.uploads = Uploads()

    def owns(self, conversation_id: str | None, who: str | None) -> bool:
        """Whether the session's owner may see this conversation (never true without an owner)."""
        return bool(conversation_id and who) and self.repo.owner_of(conversation_id or "") == who

    def live_pending(self, conversation_id: str | None, who: str | None) -> PendingView | None:
        """The confirmation the engine holds for this owner's conversation, if any and not expired."""
        if not (conversation_id and who):
            return None
        try:
            pending = PendingView.of(self.confirmations.pending(conversation_id, owner=who))
        except AssistantError:
            return None
        if pending is None or pending.expired():
            return None
        return pending

    def dashboard(self) -> str:
        home = self.home
        return home_view.dashboard_html(
            home.entities(), home.areas(), home.floors(), highlight=self.live.recently_changed()
        )

    def conversations_update(self, who: str | None, selected: str | None = None) -> Any:
        summaries = self.repo.list_conversations(owner=who) if who else []
        return gr.update(choices=views.conversation_choices(summaries), value=selected or None)

    def turns_update(self, conversation_id: str | None, selected: str | None = None) -> Any:
        turns = self.repo.turns(conversation_id) if conversation_id else []
        choices = views.turn_choices(turns)
        value = selected or (choices[-1][1] if choices else None)
        return gr.update(choices=choices, value=value)
