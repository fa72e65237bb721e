"""The Knowledge base tab: upload documents (one batch, a line per file), list and delete them, try a query."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from contracts.messages import AssistantError
from ui import views
from ui.ports import KnowledgeBase
from ui.tabs.common import Updates, error_message, private

__all__ = ["KnowledgeCallbacks", "KnowledgeTab", "build", "wire"]


@dataclass(frozen=True)
class KnowledgeTab:
    """The Knowledge base tab's components."""

    files: gr.File
    ingest_btn: gr.Button
    message: gr.Markdown
    table: gr.Dataframe
    document: gr.Dropdown
    delete_btn: gr.Button
    query: gr.Textbox
    passages: gr.Markdown


def build() -> KnowledgeTab:
    """The Knowledge base tab's components, in the current ``gr.Tab``."""
    files = gr.File(
        label="Upload documents (.md, .txt, .html, .pdf)",
        file_count="multiple",
        file_types=[".md", ".markdown", ".txt", ".html", ".htm", ".pdf"],
        elem_id="kb-upload",
    )
    ingest_btn = gr.Button("Add to knowledge base", variant="primary", elem_id="kb-ingest")
    message = gr.Markdown(elem_id="kb-result", latex_delimiters=[])
    table = gr.Dataframe(
        headers=["Name", "Title", "Chunks", "Size", "Updated", "Id"],
        datatype=["str", "str", "number", "str", "str", "str"],
        interactive=False,
        elem_id="kb-documents",
    )
    with gr.Row():
        document = gr.Dropdown(label="Document", choices=[], value=None, scale=3)
        delete_btn = gr.Button("Delete document", variant="stop", scale=1)
    query = gr.Textbox(
        label="Test a query", placeholder="What does the knowledge base say about …?", elem_id="kb-query"
    )
    passages = gr.Markdown(elem_id="kb-passages", latex_delimiters=[])
    return KnowledgeTab(
        files=files,
        ingest_btn=ingest_btn,
        message=message,
        table=table,
        document=document,
        delete_btn=delete_btn,
        query=query,
        passages=passages,
    )


class KnowledgeCallbacks:
    """The Knowledge base tab's callbacks."""

    def __init__(self, tab: KnowledgeTab, *, kb: KnowledgeBase, top_k: int) -> None:
        self.tab, self.kb, self.top_k = tab, kb, top_k

    def refresh(self) -> Updates:
        """The document table and the delete list, redrawn."""
        docs = self.kb.documents()
        return {
            self.tab.table: views.documents_rows(docs),
            self.tab.document: gr.update(choices=[(d.name, d.id) for d in docs], value=None),
        }

    def _said(self, message: str, *, clear_files: bool = False) -> Updates:
        cleared = {self.tab.files: None} if clear_files else {}
        return {self.tab.message: message, **self.refresh(), **cleared}

    def _ingest_each(self, uploads: list[tuple[str, Path]], report: Any) -> list[Any]:
        """An engine without the batch API: one file at a time, each failure its own report."""
        reports: list[Any] = []
        for name, path in uploads:
            try:
                reports.append(self.kb.ingest_file(path, name=name, progress=report))
            except AssistantError as exc:
                reports.append({"name": name, "status": "failed", "error_code": exc.code.value, "message": exc.message})
        return reports

    def kb_ingest(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> Updates:
        """Ingest the chosen files as one batch: every good file goes in, and each file gets its own line."""
        if not files:
            return self._said("Choose one or more files first.", clear_files=True)

        def report(fraction: float, message: str) -> None:
            progress(max(0.0, min(1.0, fraction)), desc=message)

        uploads = [(Path(path).name, Path(path)) for path in files]
        batch = getattr(self.kb, "ingest_uploads", None)
        if not callable(batch):
            return self._said(views.ingest_markdown(self._ingest_each(uploads, report)), clear_files=True)
        try:
            reports = list(batch(uploads, report).reports)
        except Exception as exc:  # the batch itself failed (not one file): say so, keep the page
            return self._said(error_message(exc), clear_files=True)
        return self._said(views.ingest_markdown(reports), clear_files=True)

    def kb_delete(self, document_id: str | None) -> Updates:
        if not document_id:
            return self._said("Choose a document to delete.")
        try:
            self.kb.delete(document_id)
        except AssistantError as exc:
            return self._said(error_message(exc))
        return self._said("Deleted.")

    def kb_query(self, query: str) -> str:
        if not (query or "").strip():
            return "_Type a question to see which passages it retrieves._"
        return views.passages_markdown(self.kb.search(query, k=self.top_k))


def wire(callbacks: KnowledgeCallbacks) -> None:
    """Connect the Knowledge base tab's events (inside the ``gr.Blocks`` context)."""
    t, cb = callbacks.tab, callbacks
    t.ingest_btn.click(cb.kb_ingest, t.files, [t.message, t.table, t.document, t.files], **private())
    t.delete_btn.click(cb.kb_delete, t.document, [t.message, t.table, t.document], **private())
    t.query.submit(cb.kb_query, t.query, t.passages, **private())
