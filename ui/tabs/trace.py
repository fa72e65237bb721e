"""The Trace tab: a turn of the open conversation, stage by stage (its timings, intent, actions, errors)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ui import views
from ui.tabs.common import Session, Shared, private

__all__ = ["TraceTab", "build", "trace_for", "wire"]


@dataclass(frozen=True)
class TraceTab:
    """The Trace tab's components (the Chat tab redraws both after a turn)."""

    turn_select: gr.Dropdown
    trace: gr.HTML


def build() -> TraceTab:
    """The Trace tab's components, in the current ``gr.Tab``."""
    turn_select = gr.Dropdown(label="Turn", choices=[], value=None, elem_id="turn-select")
    trace = gr.HTML(views.trace_html(None), elem_id="trace")
    return TraceTab(turn_select=turn_select, trace=trace)


def trace_for(shared: Shared, turn_id: str | None, who: str) -> str:
    """The chosen turn's trace (an empty one for a turn that is not the owner's)."""
    turn = shared.repo.get_turn(turn_id) if turn_id else None
    if turn is None or not shared.owns(turn.conversation_id, who):
        return views.trace_html(None)
    return views.trace_html(views.TraceView.from_stored(turn))


def wire(tab: TraceTab, *, shared: Shared, session: Session) -> None:
    """Connect the Trace tab's events (inside the ``gr.Blocks`` context)."""

    def show_trace(turn_id: str | None, who: str) -> str:
        return trace_for(shared, turn_id, who)

    tab.turn_select.input(show_trace, [tab.turn_select, session.owner], tab.trace, **private())
