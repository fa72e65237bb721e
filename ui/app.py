"""The Gradio app: chat (text and voice), home dashboard, turn trace, knowledge base, history, skills, settings.

Display and input only: every callback reads widget values, calls one engine method on the ``Assistant`` and hands
the result to a formatter in ``ui.views``.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.messages import AssistantError, ErrorCode, TurnResult
from assistant.serialize import turn_to_dict
from ui import views
from ui.live import AnnouncementInbox, ChangeCounter

__all__ = ["CSS", "create_app", "theme"]

_log = logging.getLogger("assistant.ui")

_N_BUTTONS = 6
"""Action buttons per device (on/off, open/close/stop, lock/unlock, ...)."""

SYSTEM_FONTS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")

CSS = """
.home-dashboard .areas { display: flex; flex-wrap: wrap; gap: 12px; }
.home-dashboard .area-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px;
  min-width: 240px; flex: 1 1 260px; overflow: hidden; }
.home-dashboard h4 { margin: 0 0 6px 0; }
.home-dashboard table { width: 100% !important; min-width: 0 !important; table-layout: fixed;
  border-collapse: collapse; }
.home-dashboard td:last-child { width: 40%; text-align: right; }
.home-dashboard table, .home-dashboard tr, .home-dashboard td { border: none !important; }
.home-dashboard td { padding: 3px 4px; vertical-align: top; background: transparent; }
.home-dashboard tr + tr td { border-top: 1px solid var(--border-color-primary) !important; }
.trace td { overflow-wrap: anywhere; }
.home-dashboard .eid { font-size: 11px; opacity: .6; font-family: ui-monospace, monospace; }
.home-dashboard .state { border-radius: 10px; padding: 1px 8px; font-size: 13px; display: inline-block;
  overflow-wrap: anywhere; }
.home-dashboard .state.on { background: #fde68a; color: #713f12; }
.home-dashboard .state.off { background: #e5e7eb; color: #374151; }
.home-dashboard .state.alert { background: #fecaca; color: #7f1d1d; }
.home-dashboard tr.changed td { background: rgba(59, 130, 246, .12); }
.trace table.kv th { text-align: left; padding-right: 12px; vertical-align: top; white-space: nowrap; }
.trace table.actions { border-collapse: collapse; }
.trace table.actions td, .trace table.actions th { border: 1px solid var(--border-color-primary); padding: 2px 6px; }
.trace .err { color: #b91c1c; font-weight: 600; }
.latency svg text { fill: var(--body-text-color); }
"""
"""Styles for the dashboard and trace HTML (passed to ``launch``)."""


def theme() -> gr.themes.Base:
    """The default theme with system fonts only (no web-font downloads)."""
    return gr.themes.Default(font=list(SYSTEM_FONTS), font_mono=list(MONO_FONTS))


def _private(**kwargs: Any) -> dict[str, Any]:
    """UI-only events are not callable through the API (only ``/chat`` is)."""
    return {"api_visibility": "private", **kwargs}


class _Uploads:
    """A private temp folder for files the UI hands back (spoken replies, exports)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="assistant-ui-"))

    def write(self, data: bytes, suffix: str) -> str:
        fd, path = tempfile.mkstemp(dir=self.dir, suffix=suffix)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return path


def _error_message(exc: BaseException) -> str:
    if isinstance(exc, AssistantError):
        return views.format_error(exc.code.value, exc.message)
    _log.exception("UI callback failed", exc_info=exc)
    return views.format_error(ErrorCode.INTERNAL.value, "Something went wrong inside the assistant.")


def _accepts_kw(fn: Callable[..., Any], name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def create_app(assistant: Any, *, counter: ChangeCounter | None = None, poll_s: float = 1.0) -> gr.Blocks:
    """Build the Blocks app for an ``Assistant`` (not launched)."""
    repo = assistant.db.conversations
    home = assistant.home
    uploads = _Uploads()
    live = counter or ChangeCounter()
    if counter is None:
        live.attach(assistant.subscribe)
    inbox = AnnouncementInbox()
    inbox.attach(assistant.subscribe)
    stream_speaks = _accepts_kw(assistant.stream_text, "speak")

    def models_status() -> dict[str, Any]:
        """The engine's start-up state (an assistant without one is always ready)."""
        status = getattr(assistant, "models_status", None)
        return dict(status()) if callable(status) else {"state": "ready", "message": ""}

    # ------------------------------------------------------------------ shared formatters (engine reads)
    def dashboard() -> str:
        return views.dashboard_html(home.entities(), home.areas(), home.floors(), highlight=live.recently_changed())

    def conversations_update(selected: str | None = None) -> Any:
        return gr.update(choices=views.conversation_choices(repo.list_conversations()), value=selected or None)

    def turns_update(conversation_id: str | None, selected: str | None = None) -> Any:
        turns = repo.turns(conversation_id) if conversation_id else []
        choices = views.turn_choices(turns)
        value = selected or (choices[-1][1] if choices else None)
        return gr.update(choices=choices, value=value)

    # ------------------------------------------------------------------ chat callbacks
    def run_turn(
        kind: str, payload: Any, history: list[dict[str, Any]], conversation_id: str, area: str, speak: bool
    ) -> Iterator[tuple[Any, ...]]:
        """Run one turn (text streamed, or audio) and yield widget updates."""
        cid = conversation_id or None
        room = area or None
        history = list(history or [])
        shown = payload if kind == "text" else "(voice message)"
        history.append({"role": "user", "content": shown})
        warming = models_status()["state"] == "loading"
        history.append({"role": "assistant", "content": "… (the models are still loading)" if warming else "…"})
        skip = gr.skip()
        yield history, "", skip, gr.update(visible=False), skip, skip, skip, skip, skip, None
        result: TurnResult | None = None
        try:
            if kind == "audio":
                result = assistant.handle_audio(payload, conversation_id=cid, area=room, speak=speak)
            elif speak and not stream_speaks:
                result = assistant.handle_text(payload, conversation_id=cid, area=room, speak=True)
            else:
                kwargs = {"speak": True} if speak else {}
                partial = ""
                for item in assistant.stream_text(payload, cid, room, **kwargs):
                    if isinstance(item, str):
                        partial += item
                        history[-1] = {"role": "assistant", "content": partial}
                        yield history, "", skip, skip, skip, skip, skip, skip, skip, skip
                    else:
                        result = item
        except Exception as exc:  # shown in the chat, never a stack trace
            history[-1] = {"role": "assistant", "content": _error_message(exc)}
            yield history, "", skip, gr.update(visible=False), skip, skip, skip, skip, skip, None
            return
        if result is None:
            history[-1] = {"role": "assistant", "content": _error_message(RuntimeError("no result"))}
            yield history, "", skip, skip, skip, skip, skip, skip, skip, None
            return
        if kind == "audio":
            heard = result.transcript.text if result.transcript else result.text
            history[-2] = {"role": "user", "content": f"(voice) {heard}" if heard else "(voice: nothing heard)"}
        history[-1] = {"role": "assistant", "content": views.format_reply(result)}
        audio = uploads.write(result.audio, ".wav") if (speak and result.audio) else None
        yield (
            history,
            "",
            result.conversation_id,
            gr.update(visible=bool(result.needs_confirmation)),
            gr.update(value=audio, visible=bool(audio)),
            views.trace_html(views.TraceView.from_result(result)),
            turns_update(result.conversation_id, result.turn_id),
            dashboard(),
            conversations_update(result.conversation_id),
            None,
        )

    def send_text(
        text: str, history: list[dict[str, Any]], cid: str, area: str, speak: bool
    ) -> Iterator[tuple[Any, ...]]:
        if not (text or "").strip():
            yield (gr.skip(),) * 10
            return
        yield from run_turn("text", text, history, cid, area, speak)

    def send_audio(
        audio_path: str | None, history: list[dict[str, Any]], cid: str, area: str, speak: bool
    ) -> Iterator[tuple[Any, ...]]:
        if not audio_path:
            yield (gr.skip(),) * 10
            return
        yield from run_turn("audio", Path(audio_path).read_bytes(), history, cid, area, speak)

    def answer(word: str) -> Callable[..., Iterator[tuple[Any, ...]]]:
        def handler(history: list[dict[str, Any]], cid: str, area: str, speak: bool) -> Iterator[tuple[Any, ...]]:
            yield from run_turn("text", word, history, cid, area, speak)

        return handler

    def new_conversation() -> tuple[Any, ...]:
        return (
            [],
            "",
            gr.update(visible=False),
            gr.update(value=None),
            views.trace_html(None),
            gr.update(choices=[], value=None),
        )

    def open_conversation(cid: str | None) -> tuple[Any, ...]:
        if not cid:
            return (gr.skip(),) * 6
        turns = repo.turns(cid)
        pending = assistant.pending_confirmation(cid)
        last = views.TraceView.from_stored(turns[-1]) if turns else None
        return (
            views.chat_history_from_turns(turns),
            cid,
            gr.update(visible=bool(pending)),
            gr.skip(),
            views.trace_html(last),
            turns_update(cid),
        )

    def chat_api(text: str, conversation_id: str = "", area: str = "") -> tuple[str, dict[str, Any]]:
        """Send one typed message; returns the reply and the turn as JSON (turn_to_dict)."""
        result = assistant.handle_text(text, conversation_id=conversation_id or None, area=area or None)
        return result.reply, turn_to_dict(result)

    # ------------------------------------------------------------------ dashboard callbacks
    def tick(seen: int) -> tuple[Any, Any]:
        version = live.version
        if version == seen:
            return gr.skip(), gr.skip()
        return dashboard(), version

    def announcements_tick(conversation_id: str, history: list[dict[str, Any]]) -> Any:
        """Append what the assistant announced in this conversation since the last poll (a timer rang)."""
        if not conversation_id or not inbox.pending(conversation_id):
            return gr.skip()
        last = history[-1] if history else None
        if isinstance(last, dict) and str(last.get("content", "")).startswith("…"):
            return gr.skip()  # a reply is streaming into the chat: add the announcement after it
        said = [{"role": "assistant", "content": f"⏰ {text}"} for text in inbox.take(conversation_id)]
        return [*(history or []), *said]

    def status_tick(shown: str | None) -> tuple[Any, Any, Any]:
        """Show the start-up banner while models load; stop polling once they are ready."""
        text = views.models_status_markdown(models_status())
        polling = gr.update(active=bool(text))
        if text == shown:
            return gr.skip(), gr.skip(), polling
        return gr.update(value=text, visible=bool(text)), text, polling

    def select_entity(entity_id: str | None) -> tuple[Any, ...]:
        entity = home.entity(entity_id) if entity_id else None
        if entity is None:
            hidden = gr.update(visible=False)
            return ("", *([hidden] * _N_BUTTONS), hidden, hidden, hidden, hidden, hidden)
        plan = views.plan_controls(entity)
        buttons = [
            gr.update(value=plan.buttons[i][0], visible=True) if i < len(plan.buttons) else gr.update(visible=False)
            for i in range(_N_BUTTONS)
        ]

        def slider(value: float | None, **extra: Any) -> Any:
            return gr.update(value=value, visible=True, **extra) if value is not None else gr.update(visible=False)

        lo, hi = plan.temperature_range
        return (
            f"**{entity.name}** (`{entity.entity_id}`): {views.entity_state_text(entity)}",
            *buttons,
            slider(plan.brightness),
            slider(plan.position),
            slider(plan.temperature, minimum=lo, maximum=hi),
            slider(plan.volume),
            slider(plan.fan_speed),
        )

    def request_service(entity_id: str | None, service: str, data: dict[str, Any]) -> tuple[Any, ...]:
        """Run a control's service, or hold it for confirmation when it is sensitive."""
        if not entity_id or not service:
            return gr.skip(), gr.skip(), gr.skip(), None
        tier = str(getattr(home.risk(entity_id, service), "value", home.risk(entity_id, service)))
        entity = home.entity(entity_id)
        name = entity.name if entity else entity_id
        if tier == "blocked":
            msg = views.format_error(ErrorCode.PERMISSION_DENIED.value, f"{service} on {name} is blocked by policy.")
            return msg, gr.skip(), gr.update(visible=False), None
        if tier == "sensitive":
            question = f"⚠ **{service}** on **{name}** is a sensitive action. Confirm?"
            return (
                question,
                gr.skip(),
                gr.update(visible=True),
                {"service": service, "entity_id": entity_id, "data": data},
            )
        return (*run_service(entity_id, service, data), gr.update(visible=False), None)

    def run_service(entity_id: str, service: str, data: dict[str, Any]) -> tuple[str, str]:
        try:
            actions = home.call_service(service, [entity_id], data or None)
        except AssistantError as exc:
            return _error_message(exc), dashboard()
        lines = []
        for a in actions:
            state = (a.new_state or {}).get("state") if a.new_state else None
            ok = f"✔ {a.service} → {a.entity_id}" + (f": {state}" if state is not None else "")
            lines.append(ok if a.success else f"✘ {a.service} → {a.entity_id}: {views.format_error(a.error_code)}")
        return "\n\n".join(lines) or "Nothing was done.", dashboard()

    def press(index: int) -> Callable[[str | None], tuple[Any, ...]]:
        def handler(entity_id: str | None) -> tuple[Any, ...]:
            entity = home.entity(entity_id) if entity_id else None
            if entity is None:
                return gr.skip(), gr.skip(), gr.skip(), None
            plan = views.plan_controls(entity)
            if index >= len(plan.buttons):
                return gr.skip(), gr.skip(), gr.skip(), None
            return request_service(entity_id, plan.buttons[index][1], {})

        return handler

    def set_value(kind: str) -> Callable[[str | None, float], tuple[Any, ...]]:
        def handler(entity_id: str | None, value: float) -> tuple[Any, ...]:
            entity = home.entity(entity_id) if entity_id else None
            if entity is None or value is None:
                return gr.skip(), gr.skip(), gr.skip(), None
            service, data = views.slider_service(views.plan_controls(entity), kind, value)
            return request_service(entity_id, service, data)

        return handler

    def confirm_pending(pending: dict[str, Any] | None) -> tuple[Any, ...]:
        if not pending:
            return "Nothing to confirm.", gr.skip(), gr.update(visible=False), None
        return (*run_service(pending["entity_id"], pending["service"], pending["data"]), gr.update(visible=False), None)

    def cancel_pending() -> tuple[Any, ...]:
        return "Cancelled.", gr.update(visible=False), None

    # ------------------------------------------------------------------ trace, KB, history, skills, settings
    def show_trace(turn_id: str | None) -> str:
        if not turn_id:
            return views.trace_html(None)
        turn = repo.get_turn(turn_id)
        return views.trace_html(views.TraceView.from_stored(turn) if turn else None)

    def kb_refresh() -> tuple[Any, Any]:
        docs = assistant.kb.documents()
        return views.documents_rows(docs), gr.update(choices=[(d.name, d.id) for d in docs], value=None)

    def kb_ingest(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        if not files:
            return ("Choose one or more files first.", *kb_refresh(), None)
        lines = []
        for i, path in enumerate(files):
            name = Path(path).name

            def report(fraction: float, message: str, i: int = i, name: str = name) -> None:
                progress((i + max(0.0, min(1.0, fraction))) / len(files), desc=f"{name}: {message}")

            try:
                rep = assistant.kb.ingest_file(Path(path), name=name, progress=report)
            except AssistantError as exc:
                lines.append(f"✘ {name}: {views.format_error(exc.code.value, exc.message)}")
                continue
            if rep.error_code:
                lines.append(f"✘ {name}: {views.format_error(rep.error_code, rep.message)}")
            else:
                lines.append(f"✔ {name}: {rep.status}, {rep.chunks} chunks in {rep.seconds:.1f} s")
        return ("\n\n".join(lines), *kb_refresh(), None)

    def kb_delete(document_id: str | None) -> tuple[Any, ...]:
        if not document_id:
            return ("Choose a document to delete.", *kb_refresh())
        try:
            assistant.kb.delete(document_id)
        except AssistantError as exc:
            return (_error_message(exc), *kb_refresh())
        return ("Deleted.", *kb_refresh())

    def kb_query(query: str) -> str:
        if not (query or "").strip():
            return "_Type a question to see which passages it retrieves._"
        return views.passages_markdown(assistant.kb.search(query, k=assistant.config.rag.top_k))

    def history_search(query: str) -> list[list[Any]]:
        return views.history_rows(repo.search_turns(query, limit=100)) if (query or "").strip() else []

    def history_select(cid: str | None) -> tuple[Any, ...]:
        if not cid:
            return gr.update(value=None), None
        rows = views.sentiment_rows(repo.sentiment_series(cid))
        import pandas as pd

        return pd.DataFrame(rows, columns=["turn", "score", "label"]), None

    def history_export(cid: str | None) -> tuple[Any, str]:
        if not cid:
            return None, "Choose a conversation to export."
        data = repo.export_conversation(cid)
        path = uploads.write(json.dumps(data, indent=2, ensure_ascii=False, default=str).encode(), ".json")
        final = Path(path).with_name(f"conversation-{cid[:8]}.json")
        Path(path).replace(final)
        return str(final), f"Exported conversation {cid[:8]}."

    def history_delete(cid: str | None) -> tuple[Any, ...]:
        if not cid:
            return "Choose a conversation to delete.", conversations_update(), conversations_update()
        repo.delete_conversation(cid)
        return f"Deleted conversation {cid[:8]}.", conversations_update(), conversations_update()

    def history_delete_all(sure: bool) -> tuple[Any, ...]:
        if not sure:
            return "Tick the box to confirm deleting every conversation.", gr.skip(), gr.skip(), gr.skip()
        repo.delete_all()
        return "Deleted all conversations.", conversations_update(), conversations_update(), False

    def settings_text() -> str:
        ui_cfg = assistant.config.ui
        extra = {"ui": f"{ui_cfg.host}:{ui_cfg.port}, uploads ≤ {ui_cfg.max_upload_mb} MB"}
        return views.settings_markdown(assistant.describe(), extra)

    # ------------------------------------------------------------------ layout
    with gr.Blocks(title="Home assistant", analytics_enabled=False) as app:
        conversation = gr.State("")
        dash_seen = gr.State(-1)
        pending_control = gr.State(None)
        status_shown = gr.State(None)
        gr.Markdown("## Home assistant")
        status_md = gr.Markdown(elem_id="model-status", visible=False)
        status_timer = gr.Timer(poll_s)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row():
                    conv_select = gr.Dropdown(
                        label="Conversation", choices=[], value=None, scale=3, elem_id="conv-select"
                    )
                    new_btn = gr.Button("New conversation", scale=1, elem_id="new-conversation")
                    area = gr.Dropdown(
                        label="Room (speaker's area)",
                        choices=views.area_choices(home.areas(), home.floors()),
                        value="",
                        scale=2,
                        elem_id="room-select",
                    )
                chatbot = gr.Chatbot(label="Conversation", height=420, elem_id="chatbot", buttons=["copy"])
                chat_timer = gr.Timer(poll_s)
                with gr.Row(visible=False, elem_id="confirm-row") as confirm_row:
                    gr.Markdown("The assistant is waiting for your confirmation:")
                    yes_btn = gr.Button("Yes", variant="primary", elem_id="confirm-yes")
                    no_btn = gr.Button("No", variant="stop", elem_id="confirm-no")
                with gr.Row():
                    text = gr.Textbox(
                        label="Message",
                        placeholder="e.g. turn on the kitchen light",
                        scale=5,
                        elem_id="chat-input",
                        max_length=assistant.config.pipeline.max_text_chars,
                    )
                    send_btn = gr.Button("Send", variant="primary", scale=1, elem_id="chat-send")
                with gr.Row():
                    mic = gr.Audio(
                        sources=["microphone", "upload"],
                        type="filepath",
                        label="Voice (push to talk, or upload a recording)",
                        elem_id="chat-audio",
                    )
                    with gr.Column():
                        speak = gr.Checkbox(label="Speak replies (autoplay)", value=False, elem_id="speak-toggle")
                        reply_audio = gr.Audio(
                            label="Spoken reply", autoplay=True, interactive=False, visible=False, elem_id="reply-audio"
                        )
            with gr.Tab("Home", id="home"):
                dash = gr.HTML(dashboard(), elem_id="dashboard")
                with gr.Row():
                    entity = gr.Dropdown(
                        label="Device",
                        choices=views.entity_choices(home.entities(), home.areas()),
                        value=None,
                        elem_id="device-select",
                    )
                    entity_state = gr.Markdown(elem_id="device-state")
                with gr.Row():
                    buttons = [
                        gr.Button(visible=False, elem_id=f"device-action-{i}", min_width=90) for i in range(_N_BUTTONS)
                    ]
                with gr.Row():
                    brightness = gr.Slider(
                        0, 100, step=1, label="Brightness %", visible=False, elem_id="ctl-brightness"
                    )
                    position = gr.Slider(0, 100, step=1, label="Position %", visible=False, elem_id="ctl-position")
                    temperature = gr.Slider(7, 35, step=0.5, label="Target °", visible=False, elem_id="ctl-temperature")
                    volume = gr.Slider(0, 100, step=1, label="Volume %", visible=False, elem_id="ctl-volume")
                    fan = gr.Slider(0, 100, step=1, label="Fan speed %", visible=False, elem_id="ctl-fan")
                control_msg = gr.Markdown(elem_id="control-result")
                with gr.Row(visible=False, elem_id="control-confirm") as control_confirm:
                    confirm_ctl = gr.Button("Confirm", variant="primary", elem_id="control-confirm-yes")
                    cancel_ctl = gr.Button("Cancel", elem_id="control-confirm-no")
                timer = gr.Timer(poll_s)
            with gr.Tab("Trace", id="trace"):
                turn_select = gr.Dropdown(label="Turn", choices=[], value=None, elem_id="turn-select")
                trace = gr.HTML(views.trace_html(None), elem_id="trace")
            with gr.Tab("Knowledge base", id="kb"):
                kb_files = gr.File(
                    label="Upload documents (.md, .txt, .html, .pdf)",
                    file_count="multiple",
                    file_types=[".md", ".markdown", ".txt", ".html", ".htm", ".pdf"],
                    elem_id="kb-upload",
                )
                kb_ingest_btn = gr.Button("Add to knowledge base", variant="primary", elem_id="kb-ingest")
                kb_msg = gr.Markdown(elem_id="kb-result")
                kb_table = gr.Dataframe(
                    headers=["Name", "Title", "Chunks", "Size", "Updated", "Id"],
                    interactive=False,
                    elem_id="kb-documents",
                )
                with gr.Row():
                    kb_doc = gr.Dropdown(label="Document", choices=[], value=None, scale=3)
                    kb_delete_btn = gr.Button("Delete document", variant="stop", scale=1)
                kb_q = gr.Textbox(
                    label="Test a query", placeholder="What does the knowledge base say about …?", elem_id="kb-query"
                )
                kb_passages = gr.Markdown(elem_id="kb-passages")
            with gr.Tab("History", id="history") as history_tab:
                with gr.Row():
                    h_query = gr.Textbox(label="Search past turns", scale=4, elem_id="history-query")
                    h_search = gr.Button("Search", scale=1)
                h_table = gr.Dataframe(
                    headers=["Time", "Conversation", "Request", "Reply", "Intent", "Sentiment", "Error"],
                    interactive=False,
                    elem_id="history-results",
                )
                h_conv = gr.Dropdown(label="Conversation", choices=[], value=None, elem_id="history-conversation")
                h_plot = gr.LinePlot(
                    x="turn",
                    y="score",
                    title="Sentiment over the conversation",
                    y_lim=[-1, 1],
                    elem_id="sentiment-plot",
                )
                with gr.Row():
                    h_export = gr.Button("Export JSON")
                    h_delete = gr.Button("Delete conversation", variant="stop")
                    h_sure = gr.Checkbox(label="Yes, delete every conversation", value=False)
                    h_delete_all = gr.Button("Delete all", variant="stop")
                h_file = gr.File(label="Export", interactive=False, elem_id="history-export")
                h_msg = gr.Markdown()
            with gr.Tab("Skills", id="skills"):
                gr.Markdown(views.skills_markdown(assistant.skills.skills, assistant.skills.errors), elem_id="skills")
            with gr.Tab("Settings", id="settings"):
                settings_md = gr.Markdown(settings_text(), elem_id="settings")

        # -------------------------------------------------------------- wiring
        chat_inputs = [chatbot, conversation, area, speak]
        chat_outputs = [
            chatbot,
            text,
            conversation,
            confirm_row,
            reply_audio,
            trace,
            turn_select,
            dash,
            conv_select,
            mic,
        ]
        text.submit(send_text, [text, *chat_inputs], chat_outputs, **_private())
        send_btn.click(send_text, [text, *chat_inputs], chat_outputs, **_private())
        mic.stop_recording(send_audio, [mic, *chat_inputs], chat_outputs, **_private())
        mic.upload(send_audio, [mic, *chat_inputs], chat_outputs, **_private())
        yes_btn.click(answer("yes"), chat_inputs, chat_outputs, **_private())
        no_btn.click(answer("no"), chat_inputs, chat_outputs, **_private())
        new_btn.click(
            new_conversation, None, [chatbot, conversation, confirm_row, conv_select, trace, turn_select], **_private()
        )
        conv_select.input(
            open_conversation,
            conv_select,
            [chatbot, conversation, confirm_row, conv_select, trace, turn_select],
            **_private(),
        )
        gr.api(chat_api, api_name="chat")

        timer.tick(tick, dash_seen, [dash, dash_seen], **_private(show_progress="hidden"))
        chat_timer.tick(announcements_tick, [conversation, chatbot], chatbot, **_private(show_progress="hidden"))
        status_timer.tick(
            status_tick, status_shown, [status_md, status_shown, status_timer], **_private(show_progress="hidden")
        )
        controls_out = [entity_state, *buttons, brightness, position, temperature, volume, fan]
        entity.change(select_entity, entity, controls_out, **_private())
        ctl_out = [control_msg, dash, control_confirm, pending_control]
        for i, btn in enumerate(buttons):
            btn.click(press(i), entity, ctl_out, **_private()).then(select_entity, entity, controls_out, **_private())
        for kind, slider in (
            ("brightness", brightness),
            ("position", position),
            ("temperature", temperature),
            ("volume", volume),
            ("fan", fan),
        ):
            slider.release(set_value(kind), [entity, slider], ctl_out, **_private())
        confirm_ctl.click(confirm_pending, pending_control, ctl_out, **_private()).then(
            select_entity, entity, controls_out, **_private()
        )
        cancel_ctl.click(cancel_pending, None, [control_msg, control_confirm, pending_control], **_private())

        turn_select.input(show_trace, turn_select, trace, **_private())
        kb_ingest_btn.click(kb_ingest, kb_files, [kb_msg, kb_table, kb_doc, kb_files], **_private())
        kb_delete_btn.click(kb_delete, kb_doc, [kb_msg, kb_table, kb_doc], **_private())
        kb_q.submit(kb_query, kb_q, kb_passages, **_private())
        history_tab.select(lambda: conversations_update(), None, h_conv, **_private())
        h_search.click(history_search, h_query, h_table, **_private())
        h_query.submit(history_search, h_query, h_table, **_private())
        h_conv.change(history_select, h_conv, [h_plot, h_file], **_private())
        h_export.click(history_export, h_conv, [h_file, h_msg], **_private())
        h_delete.click(history_delete, h_conv, [h_msg, h_conv, conv_select], **_private())
        h_delete_all.click(history_delete_all, h_sure, [h_msg, h_conv, conv_select, h_sure], **_private())

        def on_load() -> tuple[Any, ...]:
            convs = conversations_update()
            status = views.models_status_markdown(models_status())
            return (
                convs,
                convs,
                *kb_refresh(),
                settings_text(),
                dashboard(),
                live.version,
                gr.update(value=status, visible=bool(status)),
                status,
            )

        app.load(
            on_load,
            None,
            [conv_select, h_conv, kb_table, kb_doc, settings_md, dash, dash_seen, status_md, status_shown],
            **_private(),
        )
    return app
