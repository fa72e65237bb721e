"""The History tab: search past turns, a conversation's sentiment over time, export and delete (one or all)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from contracts.messages import ErrorCode
from ui import views
from ui.tabs.common import Session, Shared, Updates, private

__all__ = ["HistoryCallbacks", "HistoryTab", "build", "wire"]


@dataclass(frozen=True)
class HistoryTab:
    """The History tab's components (``tab`` is the ``gr.Tab`` itself: selecting it refreshes the list)."""

    tab: gr.Tab
    query: gr.Textbox
    search_btn: gr.Button
    table: gr.Dataframe
    conversation: gr.Dropdown
    plot: gr.LinePlot
    export_btn: gr.Button
    delete_btn: gr.Button
    sure: gr.Checkbox
    delete_all_btn: gr.Button
    file: gr.File
    message: gr.Markdown


def build(tab: gr.Tab) -> HistoryTab:
    """The History tab's components, in ``tab`` (the current ``gr.Tab``)."""
    with gr.Row():
        query = gr.Textbox(label="Search past turns", scale=4, elem_id="history-query")
        search_btn = gr.Button("Search", scale=1)
    table = gr.Dataframe(
        headers=["Time", "Conversation", "Request", "Reply", "Intent", "Sentiment", "Error"],
        datatype=["str"] * 7,
        interactive=False,
        elem_id="history-results",
    )
    conversation = gr.Dropdown(label="Conversation", choices=[], value=None, elem_id="history-conversation")
    plot = gr.LinePlot(
        x="turn", y="score", title="Sentiment over the conversation", y_lim=[-1, 1], elem_id="sentiment-plot"
    )
    with gr.Row():
        export_btn = gr.Button("Export JSON")
        delete_btn = gr.Button("Delete conversation", variant="stop")
        sure = gr.Checkbox(label="Yes, delete every conversation of mine", value=False)
        delete_all_btn = gr.Button("Delete all", variant="stop")
    file = gr.File(label="Export", interactive=False, elem_id="history-export")
    message = gr.Markdown(latex_delimiters=[])
    return HistoryTab(
        tab=tab,
        query=query,
        search_btn=search_btn,
        table=table,
        conversation=conversation,
        plot=plot,
        export_btn=export_btn,
        delete_btn=delete_btn,
        sure=sure,
        delete_all_btn=delete_all_btn,
        file=file,
        message=message,
    )


class HistoryCallbacks:
    """The History tab's callbacks (deletes also refresh the Chat tab's conversation list, ``conv_select``)."""

    def __init__(self, tab: HistoryTab, *, shared: Shared, conv_select: gr.Dropdown) -> None:
        self.tab, self.shared, self.conv_select = tab, shared, conv_select

    def conversations_update(self, who: str | None) -> Any:
        return self.shared.conversations_update(who)

    def history_search(self, query: str, who: str) -> list[list[Any]]:
        if not ((query or "").strip() and who):
            return []
        return views.history_rows(self.shared.repo.search_turns(query, limit=100, owner=who))

    def history_select(self, cid: str | None, who: str) -> Updates:
        if not self.shared.owns(cid, who):
            return {self.tab.plot: gr.update(value=None), self.tab.file: None}
        rows = views.sentiment_rows(self.shared.repo.sentiment_series(cid or ""))
        import pandas as pd

        return {self.tab.plot: pd.DataFrame(rows, columns=["turn", "score", "label"]), self.tab.file: None}

    def history_export(self, cid: str | None, who: str) -> Updates:
        t = self.tab
        if not cid:
            return {t.file: None, t.message: "Choose a conversation to export."}
        if not self.shared.owns(cid, who):
            return {t.file: None, t.message: views.format_error(ErrorCode.CONVERSATION_FORBIDDEN.value)}
        data = self.shared.repo.export_conversation(cid)
        path = self.shared.uploads.write(json.dumps(data, indent=2, ensure_ascii=False, default=str).encode(), ".json")
        final = Path(path).with_name(f"conversation-{cid[:8]}.json")
        Path(path).replace(final)
        return {t.file: str(final), t.message: f"Exported conversation {cid[:8]}."}

    def _listed(self, message: str, who: str) -> Updates:
        """The message, with both conversation lists (this tab's and the chat's) redrawn."""
        return {
            self.tab.message: message,
            self.tab.conversation: self.shared.conversations_update(who),
            self.conv_select: self.shared.conversations_update(who),
        }

    def history_delete(self, cid: str | None, who: str) -> Updates:
        if not cid:
            return self._listed("Choose a conversation to delete.", who)
        if not self.shared.owns(cid, who):
            return self._listed(views.format_error(ErrorCode.CONVERSATION_FORBIDDEN.value), who)
        self.shared.repo.delete_conversation(cid)
        return self._listed(f"Deleted conversation {cid[:8]}.", who)

    def history_delete_all(self, sure: bool, who: str) -> Updates:
        if not sure:
            return {self.tab.message: "Tick the box to confirm deleting every conversation."}
        if not who:
            return {self.tab.message: "The page is still starting; try again."}
        n = self.shared.repo.delete_all(owner=who)
        return {**self._listed(f"Deleted all your conversations ({n}).", who), self.tab.sure: False}


def wire(callbacks: HistoryCallbacks, session: Session) -> None:
    """Connect the History tab's events (inside the ``gr.Blocks`` context)."""
    t, cb, owner = callbacks.tab, callbacks, session.owner
    t.tab.select(cb.conversations_update, owner, t.conversation, **private())
    t.search_btn.click(cb.history_search, [t.query, owner], t.table, **private())
    t.query.submit(cb.history_search, [t.query, owner], t.table, **private())
    t.conversation.change(cb.history_select, [t.conversation, owner], [t.plot, t.file], **private())
    t.export_btn.click(cb.history_export, [t.conversation, owner], [t.file, t.message], **private())
    t.delete_btn.click(
        cb.history_delete, [t.conversation, owner], [t.message, t.conversation, callbacks.conv_select], **private()
    )
    t.delete_all_btn.click(
        cb.history_delete_all, [t.sure, owner], [t.message, t.conversation, callbacks.conv_select, t.sure], **private()
    )
