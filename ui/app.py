"""The Gradio app: chat (text and voice), home dashboard, turn trace, knowledge base, history, skills, settings.

Display and input only: every callback reads widget values, calls one engine method on the ``Assistant`` and hands
the result to a formatter in ``ui.views``.

Each browser session has an owner (``ui.identity``): the signed-in user, else a random token the browser keeps. Every
engine call carries it, so a session lists, opens, answers, exports and deletes only its own conversations. A
pending confirmation is shown with the id it was shown for; the poll tick hides it as soon as the engine no longer
holds it (answered elsewhere, expired), and a stale press is refused by the engine.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.messages import AssistantError, ErrorCode, TurnResult
from assistant.serialize import turn_to_dict
from ui import dashboard as home_view
from ui import identity, views
from ui.handsfree import build_handsfree
from ui.live import AnnouncementInbox, ChangeCounter

__all__ = ["CSS", "DASHBOARD_JS", "HEAD", "create_app", "theme"]

_log = logging.getLogger("assistant.ui")

_BROWSER_SECRET = "assistant-owner-token"
"""Gradio hands this key to the page, so it only obfuscates the stored token; a fixed one keeps the token readable
after a server restart. The token's own randomness is what keeps an owner private."""

SYSTEM_FONTS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")

CSS = """
.home-dashboard .areas { display: flex; flex-wrap: wrap; gap: 12px; }
.home-dashboard .area-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px;
  min-width: 260px; flex: 1 1 300px; overflow: hidden; }
.home-dashboard h4 { margin: 0 0 4px 0; }
.home-dashboard .entity { padding: 6px 2px; border-top: 1px solid var(--border-color-primary); }
.home-dashboard h4 + .entity { border-top: none; }
.home-dashboard .entity.changed { background: rgba(59, 130, 246, .12); border-radius: 6px; }
.home-dashboard .head { display: flex; align-items: flex-start; justify-content: space-between; gap: 8px; }
.home-dashboard .name { flex: 1 1 auto; min-width: 0; overflow-wrap: anywhere; line-height: 1.25; }
.home-dashboard .eid { font-size: 11px; opacity: .6; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.home-dashboard .state, .home-dashboard .lead { flex: 0 1 auto; max-width: 58%; text-align: right; }
.home-dashboard .state { border-radius: 10px; padding: 1px 8px; font-size: 13px; overflow-wrap: anywhere; }
.home-dashboard .state.on { background: #fde68a; color: #713f12; }
.home-dashboard .state.off { background: #e5e7eb; color: #374151; }
.home-dashboard .state.alert { background: #fecaca; color: #7f1d1d; }
.home-dashboard .state.value { background: #e0f2fe; color: #0c4a6e; }
.home-dashboard .controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 8px; margin-top: 4px; }
.home-dashboard button.act { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 2px 10px;
  font-size: 13px; background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color);
  cursor: pointer; }
.home-dashboard button.act:hover { background: var(--button-secondary-background-fill-hover); }
.home-dashboard button.act:disabled { opacity: .5; cursor: progress; }
.home-dashboard .slider { display: flex; align-items: center; gap: 6px; flex: 1 1 200px; font-size: 13px; }
.home-dashboard .slider .what { white-space: nowrap; }
.home-dashboard .slider input { flex: 1 1 auto; min-width: 80px; }
.home-dashboard .slider output { min-width: 52px; text-align: right; font-variant-numeric: tabular-nums; }
#home-status { position: sticky; top: 0; z-index: 5; background: var(--background-fill-primary); }
.trace td { overflow-wrap: anywhere; }
.trace table.kv th { text-align: left; padding-right: 12px; vertical-align: top; white-space: nowrap; }
.trace table.actions { border-collapse: collapse; }
.trace table.actions td, .trace table.actions th { border: 1px solid var(--border-color-primary); padding: 2px 6px; }
.trace .err { color: #b91c1c; font-weight: 600; }
.latency svg text { fill: var(--body-text-color); }
#chatbot .placeholder-content { justify-content: flex-start !important; padding: 36px 24px 16px !important; }
#chatbot .placeholder { flex: 0 0 auto !important; height: auto !important; justify-content: flex-start !important;
  margin: 0 !important; text-align: left; }
#chatbot .placeholder-content .examples { margin: 8px 0 0 0 !important; padding: 0 !important; }
#chatbot .options { justify-content: flex-start; margin: 0 0 8px 0; padding-left: var(--spacing-xl, 12px); }
#chatbot button.option { border-style: solid; border-color: var(--color-accent); color: var(--color-accent);
  background: var(--background-fill-primary); }
#chatbot .examples { display: flex; flex-wrap: wrap; gap: 8px; }
#chatbot button.example { flex: 1 1 200px; padding: 8px 12px; min-height: 0; }
@media (max-width: 640px) {
  #app-title { display: none; }
  #chat-top { gap: 6px !important; }
  #chat-top > #conv-select { flex: 1 1 55% !important; min-width: 0 !important; }
  #chat-top > #new-conversation { flex: 0 0 auto !important; min-width: 0 !important; align-self: stretch; }
  #chat-top > #room-select { flex: 1 1 100% !important; min-width: 0 !important; }
  #chatbot { height: 44vh !important; max-height: 44vh !important; min-height: 260px !important; }
  #chatbot > .wrapper > label { display: none; }
  #chatbot .placeholder h3 { font-size: 1rem; margin: 0 0 4px 0; }
  #chatbot .placeholder p { margin: 4px 0; font-size: 13px; }
  #chatbot .placeholder h3 + p { display: none; }
  #chatbot .placeholder-content { padding: 8px 10px !important; }
  #chatbot .examples { gap: 5px; }
  #chatbot button.example { flex: 0 1 auto; width: auto; padding: 3px 9px; font-size: 13px; border-radius: 14px; }
  #chat-compose { flex-wrap: nowrap !important; gap: 6px !important; }
  #chat-compose > #chat-input { min-width: 0 !important; }
  #chat-compose > #chat-send { min-width: 64px !important; flex: 0 0 auto !important; }
  #chat-compose span[data-testid="block-info"] { display: none; }
}
"""
"""Styles for the dashboard, trace and chat (passed to ``launch``); narrow screens keep the message box and the
microphone on the first screen."""

HEAD = """<style>
@media (max-width: 640px) { .gradio-container .main.app { padding: 8px 10px !important; } }
</style>"""
"""Page-level style (``launch(head=...)``): Gradio scopes ``CSS`` inside the app, so the page's own side padding, which
a phone needs back, is set here."""

DASHBOARD_JS = """
if (!element.dataset.wired) {
  element.dataset.wired = "1";
  const rowOf = (el) => el.closest("[data-entity]");
  element.addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-service]");
    if (!button || !element.contains(button)) return;
    const row = rowOf(button);
    if (!row) return;
    button.disabled = true;
    trigger("select", {index: 0, value: {entity: row.dataset.entity, service: button.dataset.service}});
  });
  element.addEventListener("input", (ev) => {
    const slider = ev.target.closest("input[type=range][data-kind]");
    const row = slider && rowOf(slider);
    if (!row) return;
    const unit = slider.dataset.unit || "";
    const text = unit === "%" || unit === "" ? slider.value + unit : slider.value + " " + unit;
    row.querySelectorAll('.live[data-kind="' + slider.dataset.kind + '"]').forEach((n) => { n.textContent = text; });
  });
  element.addEventListener("change", (ev) => {
    const slider = ev.target.closest("input[type=range][data-kind]");
    const row = slider && rowOf(slider);
    if (!row) return;
    trigger("select", {index: 1, value: {entity: row.dataset.entity, kind: slider.dataset.kind,
                                          value: Number(slider.value)}});
  });
}
"""
"""The dashboard's only script (ours, never built from data): a row's button or slider release sends
``{entity, service}`` or ``{entity, kind, value}`` as a select event, which the server checks
(``dashboard.row_request``); a moving slider updates the row's shown value at once."""


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


def _accepts_kw(fn: Callable[..., Any] | None, name: str) -> bool:
    if fn is None:
        return False
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


_RETRY_CODES = frozenset({ErrorCode.CONFIRM_WRONG_PIN.value, ErrorCode.CONFIRM_LOCKED.value})
"""Answers after which the engine still holds the action (a wrong PIN, a lock-out): the Confirm row stays."""


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def _out(updates: dict[Any, Any]) -> Any:
    """A callback's dict of updates, or skip-everything when it is empty."""
    return updates or gr.skip()


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
    answer_speaks = _accepts_kw(getattr(assistant, "answer_confirmation", None), "speak")

    def models_status() -> dict[str, Any]:
        """The engine's start-up state (an assistant without one is always ready)."""
        status = getattr(assistant, "models_status", None)
        return dict(status()) if callable(status) else {"state": "ready", "message": ""}

    # ------------------------------------------------------------------ ownership
    def owns(conversation_id: str | None, who: str | None) -> bool:
        """Whether the session's owner may see this conversation (never true without an owner)."""
        return bool(conversation_id and who) and repo.owner_of(conversation_id) == who

    def live_pending(conversation_id: str | None, who: str | None) -> Any | None:
        """The confirmation the engine holds for this owner's conversation, if any and not expired."""
        if not (conversation_id and who):
            return None
        try:
            pending = assistant.pending(conversation_id, owner=who)
        except AssistantError:
            return None
        expires = _get(pending, "expires_at")
        if pending is None or (isinstance(expires, int | float) and expires <= time.time()):
            return None
        return pending

    topics: dict[tuple[str, str], str | None] = {}

    def doc_topic(doc: Any) -> str | None:
        """A section heading of a document (its first one below the title), remembered per document version."""
        key = (str(_get(doc, "id")), str(_get(doc, "updated_at")))
        if key not in topics:
            topics[key] = None
            chunks = getattr(getattr(assistant, "db", None), "knowledge", None)
            try:
                for chunk in chunks.iter_chunks(key[0]) if chunks is not None else ():
                    section = str((chunk.meta or {}).get("section") or "")
                    if " > " in section:
                        topics[key] = section.rsplit(" > ", 1)[-1].strip() or None
                        break
            except Exception:  # a topic is a nicety; the example falls back to the title alone
                _log.debug("no topic for document %s", key[0], exc_info=True)
        return topics[key]

    # ------------------------------------------------------------------ shared formatters (engine reads)
    def dashboard() -> str:
        return home_view.dashboard_html(home.entities(), home.areas(), home.floors(), highlight=live.recently_changed())

    def welcome_examples() -> list[Any]:
        """The empty chat's examples, built from the live home, the skills and the first document."""
        try:
            docs = list(assistant.kb.documents())
        except Exception:  # the knowledge base is optional for the welcome
            docs = []
        examples = views.welcome_examples(
            home.entities(),
            home.areas(),
            documents=docs[:1],
            topic=doc_topic(docs[0]) if docs else None,
            timers=any("timer" in str(sid) for sid in getattr(assistant.skills, "skills", {}) or {}),
        )
        return [{"text": e} for e in examples]

    def conversations_update(who: str | None, selected: str | None = None) -> Any:
        summaries = repo.list_conversations(owner=who) if who else []
        return gr.update(choices=views.conversation_choices(summaries), value=selected or None)

    def turns_update(conversation_id: str | None, selected: str | None = None) -> Any:
        turns = repo.turns(conversation_id) if conversation_id else []
        choices = views.turn_choices(turns)
        value = selected or (choices[-1][1] if choices else None)
        return gr.update(choices=choices, value=value)

    def confirm_updates(pending: Any | None) -> dict[Any, Any]:
        """The chat's Yes/No row for a pending confirmation (hidden for None), tagged with its id."""
        return {
            confirm_row: gr.update(visible=pending is not None),
            confirm_md: views.confirm_prompt(pending) if pending is not None else "",
            confirm_pin: gr.update(visible=bool(_get(pending, "needs_pin")), value=""),
            shown_pending: str(_get(pending, "id")) if pending is not None else None,
        }

    # ------------------------------------------------------------------ chat callbacks
    def finish_turn(result: TurnResult, history: list[dict[str, Any]], who: str, speak: bool) -> dict[Any, Any]:
        """The widgets after a turn: reply, trace, the Yes/No row from the engine's pending state, lists."""
        history[-1] = views.assistant_message(result)
        audio = uploads.write(result.audio, ".wav") if (speak and result.audio) else None
        updates: dict[Any, Any] = {
            chatbot: history,
            text: "",
            reply_audio: gr.update(value=audio, visible=bool(audio)),
            mic: None,
        }
        if result.error == ErrorCode.CONVERSATION_FORBIDDEN.value or not owns(result.conversation_id, who):
            return {**updates, conversation: "", **confirm_updates(None)}
        return {
            **updates,
            conversation: result.conversation_id,
            **confirm_updates(live_pending(result.conversation_id, who)),
            trace: views.trace_html(views.TraceView.from_result(result)),
            turn_select: turns_update(result.conversation_id, result.turn_id),
            dash: dashboard(),
            conv_select: conversations_update(who, result.conversation_id),
        }

    def failed_turn(history: list[dict[str, Any]], exc: BaseException) -> dict[Any, Any]:
        history[-1] = {"role": "assistant", "content": _error_message(exc)}
        return {chatbot: history, text: "", mic: None}

    def run_turn(
        kind: str, payload: Any, history: list[dict[str, Any]], conversation_id: str, area: str, speak: bool, who: str
    ) -> Iterator[dict[Any, Any]]:
        """Run one turn (text streamed, or audio) as the session's owner and yield widget updates."""
        cid = conversation_id or None
        room = area or None
        history = list(history or [])
        history.append(views.user_message(payload) if kind == "text" else views.user_message("(voice message)"))
        if not who:
            history.append({"role": "assistant", "content": "⚠ The page is still starting; send it again."})
            yield {chatbot: history}
            return
        warming = models_status()["state"] == "loading"
        history.append({"role": "assistant", "content": "… (the models are still loading)" if warming else "…"})
        yield {chatbot: history, text: "", confirm_row: gr.update(visible=False), mic: None}
        result: TurnResult | None = None
        try:
            if kind == "audio":
                result = assistant.handle_audio(payload, conversation_id=cid, area=room, owner=who, speak=speak)
            elif speak and not stream_speaks:
                result = assistant.handle_text(payload, conversation_id=cid, area=room, owner=who, speak=True)
            else:
                kwargs = {"speak": True} if speak else {}
                partial = ""
                for item in assistant.stream_text(payload, cid, room, owner=who, **kwargs):
                    if isinstance(item, str):
                        partial += item
                        history[-1] = {"role": "assistant", "content": views.md_escape(partial)}
                        yield {chatbot: history}
                    else:
                        result = item
        except Exception as exc:  # shown in the chat, never a stack trace
            yield failed_turn(history, exc)
            return
        if result is None:
            yield failed_turn(history, RuntimeError("no result"))
            return
        if kind == "audio":
            heard = result.transcript.text if result.transcript else result.text
            history[-2] = (
                views.user_message(heard, voice=True) if heard else views.user_message("(voice: nothing heard)")
            )
        yield finish_turn(result, history, who, speak)

    def send_text(
        message: str, history: list[dict[str, Any]], cid: str, area: str, speak: bool, who: str
    ) -> Iterator[Any]:
        if not (message or "").strip():
            yield gr.skip()
            return
        yield from run_turn("text", message, history, cid, area, speak, who)

    def send_choice(
        history: list[dict[str, Any]], cid: str, area: str, speak: bool, who: str, evt: gr.SelectData
    ) -> Iterator[Any]:
        """A clarification's choice button: its ordinal answer ('the second one') as the next turn."""
        value = evt.value
        choice = str(value.get("value") or value.get("label") or "") if isinstance(value, dict) else str(value or "")
        yield from send_text(choice, history, cid, area, speak, who)

    def send_example(
        history: list[dict[str, Any]], cid: str, area: str, speak: bool, who: str, evt: gr.SelectData
    ) -> Iterator[Any]:
        """A welcome example: sent as typed."""
        value = evt.value
        example = str(value.get("text") or "") if isinstance(value, dict) else str(value or "")
        yield from send_text(example, history, cid, area, speak, who)

    def send_audio(
        audio_path: str | None, history: list[dict[str, Any]], cid: str, area: str, speak: bool, who: str
    ) -> Iterator[Any]:
        if not audio_path:
            yield gr.skip()
            return
        yield from run_turn("audio", Path(audio_path).read_bytes(), history, cid, area, speak, who)

    def answer(yes: bool) -> Callable[..., Iterator[Any]]:
        """The Yes/No buttons: answer exactly the confirmation they were shown for (with the PIN when asked)."""

        def handler(
            history: list[dict[str, Any]],
            cid: str,
            area: str,
            speak: bool,
            who: str,
            pending_id: str | None,
            pin: str | None,
        ) -> Iterator[Any]:
            history = list(history or [])
            if not (cid and who and pending_id):
                notice = views.format_error(ErrorCode.CONFIRM_NOT_PENDING.value)
                yield {
                    chatbot: [*history, {"role": "assistant", "content": notice}],
                    **confirm_updates(live_pending(cid, who)),
                }
                return
            history.append(views.user_message("yes" if yes else "no"))
            history.append({"role": "assistant", "content": "…"})
            yield {chatbot: history, confirm_row: gr.update(visible=False), confirm_pin: gr.update(value="")}
            kwargs: dict[str, Any] = {"speak": True} if (speak and answer_speaks) else {}
            try:
                result = assistant.answer_confirmation(
                    cid, yes=yes, pending_id=pending_id, pin=(pin or None), owner=who, area=area or None, **kwargs
                )
            except Exception as exc:
                yield {**failed_turn(history, exc), **confirm_updates(live_pending(cid, who))}
                return
            yield finish_turn(result, history, who, speak)

        return handler

    def new_conversation() -> dict[Any, Any]:
        return {
            chatbot: gr.update(value=[], examples=welcome_examples()),
            conversation: "",
            **confirm_updates(None),
            conv_select: gr.update(value=None),
            trace: views.trace_html(None),
            turn_select: gr.update(choices=[], value=None),
        }

    def open_conversation(cid: str | None, who: str) -> Any:
        if not cid:
            return gr.skip()
        if not owns(cid, who):
            return {conv_select: gr.update(value=None)}
        turns = repo.turns(cid)
        last = views.TraceView.from_stored(turns[-1]) if turns else None
        history = views.chat_history_from_turns(turns)
        if history and history[-1].get("options") and not assistant.open_question(cid, owner=who):
            history[-1] = {k: v for k, v in history[-1].items() if k != "options"}  # answered or timed out
        return {
            chatbot: history,
            conversation: cid,
            **confirm_updates(live_pending(cid, who)),
            trace: views.trace_html(last),
            turn_select: turns_update(cid),
        }

    def chat_api(
        text: str, conversation_id: str = "", area: str = "", request: gr.Request | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Send one typed message; returns the reply and the turn as JSON (turn_to_dict)."""
        user = getattr(request, "username", None) if request is not None else None
        who = f"user:{user}" if user else identity.API_OWNER
        result = assistant.handle_text(text, conversation_id=conversation_id or None, area=area or None, owner=who)
        return result.reply, turn_to_dict(result)

    def chat_tick(cid: str, history: list[dict[str, Any]], who: str, shown: str | None) -> Any:
        """Every poll: append announcements (a timer rang) and bring the Yes/No row in line with the engine."""
        updates: dict[Any, Any] = {}
        if cid and who and inbox.pending(cid):
            last = history[-1] if history else None
            streaming = last is not None and views.message_text(last).startswith("…")
            if not streaming:  # a reply is streaming into the chat: add the announcement after it
                said = [{"role": "assistant", "content": f"⏰ {views.md_escape(t)}"} for t in inbox.take(cid)]
                updates[chatbot] = [*(history or []), *said]
        pending = live_pending(cid, who)
        if (str(_get(pending, "id")) if pending is not None else None) != shown:
            updates.update(confirm_updates(pending))
        return _out(updates)

    # ------------------------------------------------------------------ dashboard callbacks
    def tick(seen: int, held: dict[str, Any] | None) -> Any:
        """Redraw the dashboard when a state changed; drop a Home-tab confirmation once it expired."""
        updates: dict[Any, Any] = {}
        version = live.version
        if version != seen:
            updates.update({dash: dashboard(), dash_seen: version})
        expires = (held or {}).get("expires_at")
        if isinstance(expires, int | float) and expires <= time.time():
            updates.update(
                {
                    control_msg: views.format_error(ErrorCode.CONFIRM_EXPIRED.value),
                    control_confirm: gr.update(visible=False),
                    control_pin: gr.update(visible=False, value=""),
                    pending_control: None,
                }
            )
        return _out(updates)

    def status_tick(shown: str | None) -> tuple[Any, Any, Any]:
        """Show the start-up banner while models load; stop polling once they are ready."""
        text = views.models_status_markdown(models_status())
        polling = gr.update(active=bool(text))
        if text == shown:
            return gr.skip(), gr.skip(), polling
        return gr.update(value=text, visible=bool(text)), text, polling

    def control_updates(outcome: Any) -> dict[Any, Any]:
        """The Home tab after a control: what was done, or the Confirm row (with a PIN box when asked)."""
        pending = _get(outcome, "pending")
        held = (
            {"id": str(_get(pending, "id")), "expires_at": _get(pending, "expires_at")} if pending is not None else None
        )
        return {
            control_msg: views.control_outcome_markdown(outcome, home.entity),
            dash: dashboard(),
            control_confirm: gr.update(visible=pending is not None),
            control_pin: gr.update(visible=bool(_get(pending, "needs_pin")), value=""),
            pending_control: held,
        }

    def control_failed(exc: BaseException) -> dict[Any, Any]:
        return {
            control_msg: _error_message(exc),
            dash: dashboard(),
            control_confirm: gr.update(visible=False),
            control_pin: gr.update(visible=False, value=""),
            pending_control: None,
        }

    def request_service(who: str, entity_id: str | None, service: str, data: dict[str, Any]) -> Any:
        """Ask the engine to run a control; a sensitive one comes back waiting for Confirm (and the PIN)."""
        if not (who and entity_id and service):
            return gr.skip()
        try:
            outcome = assistant.request_control(entity_id, service, data or None, owner=who)
        except Exception as exc:
            return control_failed(exc)
        return control_updates(outcome)

    def row_action(who: str, evt: gr.SelectData) -> Any:
        """A button or slider on a device's row: checked against what that row offers, then run as a control."""
        payload = evt.value if isinstance(evt.value, dict) else {}
        entity_id = str(payload.get("entity") or "")
        entity = home.entity(entity_id) if entity_id else None
        request = home_view.row_request(entity, payload)
        if request is None:
            return {dash: dashboard()}  # redraw (re-enables the pressed button); nothing is run
        service, data = request
        return request_service(who, entity_id, service, data)

    def confirm_held(held: dict[str, Any] | None, pin: str | None, who: str) -> Any:
        if not (held and who):
            return {
                control_msg: views.format_error(ErrorCode.CONFIRM_NOT_PENDING.value),
                control_confirm: gr.update(visible=False),
                control_pin: gr.update(visible=False, value=""),
                pending_control: None,
            }
        try:
            outcome = assistant.confirm_control(str(held["id"]), pin=(pin or None), owner=who)
        except Exception as exc:
            return control_failed(exc)
        if _get(outcome, "error_code") in _RETRY_CODES:  # still held: the PIN may be tried again
            return {
                control_msg: views.control_outcome_markdown(outcome, home.entity),
                control_pin: gr.update(value=""),
            }
        return control_updates(outcome)

    def cancel_held(held: dict[str, Any] | None, who: str) -> Any:
        if held and who:
            try:
                assistant.cancel_control(str(held["id"]), owner=who)
            except AssistantError as exc:
                _log.info("cancel of a held control failed: %s", exc.code.value)
        return {
            control_msg: "Cancelled.",
            control_confirm: gr.update(visible=False),
            control_pin: gr.update(visible=False, value=""),
            pending_control: None,
        }

    # ------------------------------------------------------------------ trace, KB, history, skills, settings
    def show_trace(turn_id: str | None, who: str) -> str:
        turn = repo.get_turn(turn_id) if turn_id else None
        if turn is None or not owns(turn.conversation_id, who):
            return views.trace_html(None)
        return views.trace_html(views.TraceView.from_stored(turn))

    def kb_refresh() -> tuple[Any, Any]:
        docs = assistant.kb.documents()
        return views.documents_rows(docs), gr.update(choices=[(d.name, d.id) for d in docs], value=None)

    def kb_ingest(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        """Ingest the chosen files as one batch: every good file goes in, and each file gets its own line."""
        if not files:
            return ("Choose one or more files first.", *kb_refresh(), None)

        def report(fraction: float, message: str) -> None:
            progress(max(0.0, min(1.0, fraction)), desc=message)

        uploads_in = [(Path(path).name, Path(path)) for path in files]
        batch = getattr(assistant.kb, "ingest_uploads", None)
        if callable(batch):
            try:
                reports = list(batch(uploads_in, report).reports)
            except Exception as exc:  # the batch itself failed (not one file): say so, keep the page
                return (_error_message(exc), *kb_refresh(), None)
        else:  # an engine without the batch API: one file at a time
            reports = []
            for name, path in uploads_in:
                try:
                    reports.append(assistant.kb.ingest_file(path, name=name, progress=report))
                except AssistantError as exc:
                    reports.append(
                        {"name": name, "status": "failed", "error_code": exc.code.value, "message": exc.message}
                    )
        return (views.ingest_markdown(reports), *kb_refresh(), None)

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

    def history_search(query: str, who: str) -> list[list[Any]]:
        if not ((query or "").strip() and who):
            return []
        return views.history_rows(repo.search_turns(query, limit=100, owner=who))

    def history_select(cid: str | None, who: str) -> tuple[Any, ...]:
        if not owns(cid, who):
            return gr.update(value=None), None
        rows = views.sentiment_rows(repo.sentiment_series(cid))
        import pandas as pd

        return pd.DataFrame(rows, columns=["turn", "score", "label"]), None

    def history_export(cid: str | None, who: str) -> tuple[Any, str]:
        if not cid:
            return None, "Choose a conversation to export."
        if not owns(cid, who):
            return None, views.format_error(ErrorCode.CONVERSATION_FORBIDDEN.value)
        data = repo.export_conversation(cid)
        path = uploads.write(json.dumps(data, indent=2, ensure_ascii=False, default=str).encode(), ".json")
        final = Path(path).with_name(f"conversation-{cid[:8]}.json")
        Path(path).replace(final)
        return str(final), f"Exported conversation {cid[:8]}."

    def history_delete(cid: str | None, who: str) -> tuple[Any, ...]:
        if not cid:
            return "Choose a conversation to delete.", conversations_update(who), conversations_update(who)
        if not owns(cid, who):
            notice = views.format_error(ErrorCode.CONVERSATION_FORBIDDEN.value)
            return notice, conversations_update(who), conversations_update(who)
        repo.delete_conversation(cid)
        return f"Deleted conversation {cid[:8]}.", conversations_update(who), conversations_update(who)

    def history_delete_all(sure: bool, who: str) -> tuple[Any, ...]:
        if not sure:
            return "Tick the box to confirm deleting every conversation.", gr.skip(), gr.skip(), gr.skip()
        if not who:
            return "The page is still starting; try again.", gr.skip(), gr.skip(), gr.skip()
        n = repo.delete_all(owner=who)
        done = f"Deleted all your conversations ({n})."
        return done, conversations_update(who), conversations_update(who), False

    def settings_text() -> str:
        ui_cfg = assistant.config.ui
        extra = {"ui": f"{ui_cfg.host}:{ui_cfg.port}, uploads ≤ {ui_cfg.max_upload_mb} MB"}
        return views.settings_markdown(assistant.describe(), extra)

    # ------------------------------------------------------------------ layout
    with gr.Blocks(title="Home assistant", analytics_enabled=False) as app:
        owner = gr.State("")
        owner_token = gr.BrowserState(None, storage_key=identity.STORAGE_KEY, secret=_BROWSER_SECRET)
        conversation = gr.State("")
        shown_pending = gr.State(None)
        dash_seen = gr.State(-1)
        pending_control = gr.State(None)
        status_shown = gr.State(None)
        gr.Markdown("## Home assistant", elem_id="app-title")
        status_md = gr.Markdown(elem_id="model-status", visible=False, latex_delimiters=[])
        ready = gr.HTML("", elem_id="page-ready", visible=True, padding=False)  # set once the page's load finished
        status_timer = gr.Timer(poll_s)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(elem_id="chat-top"):
                    conv_select = gr.Dropdown(
                        label="Conversation", choices=[], value=None, scale=3, elem_id="conv-select"
                    )
                    new_btn = gr.Button("New chat", scale=1, elem_id="new-conversation")
                    area = gr.Dropdown(
                        label="Room (where you are)",
                        choices=views.area_choices(home.areas(), home.floors()),
                        value="",
                        scale=2,
                        elem_id="room-select",
                    )
                chatbot = gr.Chatbot(
                    label="Conversation",
                    height=420,
                    elem_id="chatbot",
                    buttons=["copy"],
                    sanitize_html=True,
                    allow_tags=False,
                    latex_delimiters=[],
                    placeholder=views.welcome_markdown(),
                    examples=welcome_examples(),
                )
                chat_timer = gr.Timer(poll_s)
                with gr.Row(visible=False, elem_id="confirm-row") as confirm_row:
                    confirm_md = gr.Markdown(elem_id="confirm-question", latex_delimiters=[])
                    confirm_pin = gr.Textbox(
                        label="PIN",
                        type="password",
                        visible=False,
                        max_lines=1,
                        elem_id="confirm-pin",
                        scale=0,
                        min_width=120,
                    )
                    yes_btn = gr.Button("Yes", variant="primary", elem_id="confirm-yes", scale=0)
                    no_btn = gr.Button("No", variant="stop", elem_id="confirm-no", scale=0)
                with gr.Row(elem_id="chat-compose"):
                    text = gr.Textbox(
                        label="Message",
                        placeholder="Type a message…",
                        scale=5,
                        elem_id="chat-input",
                        max_length=assistant.config.pipeline.max_text_chars,
                    )
                    send_btn = gr.Button("Send", variant="primary", scale=1, elem_id="chat-send")
                with gr.Row(elem_id="chat-voice"):
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
                wake = assistant.config.wakeword
                hands_free = build_handsfree(  # "okay nabu", then the command: streamed, detected on the server
                    assistant, owner_state=owner, conversation_state=conversation, area_component=area,
                    word=wake.word, engine=wake.engine, sensitivity=wake.sensitivity,
                )  # fmt: skip
            with gr.Tab("Home", id="home"):
                with gr.Column(elem_id="home-status"):
                    control_msg = gr.Markdown(elem_id="control-result", latex_delimiters=[])
                    with gr.Row(visible=False, elem_id="control-confirm") as control_confirm:
                        control_pin = gr.Textbox(
                            label="PIN",
                            type="password",
                            visible=False,
                            max_lines=1,
                            elem_id="control-pin",
                            scale=0,
                            min_width=120,
                        )
                        confirm_ctl = gr.Button("Confirm", variant="primary", elem_id="control-confirm-yes")
                        cancel_ctl = gr.Button("Cancel", elem_id="control-confirm-no")
                dash = gr.HTML(dashboard(), elem_id="dashboard", js_on_load=DASHBOARD_JS)
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
                kb_msg = gr.Markdown(elem_id="kb-result", latex_delimiters=[])
                kb_table = gr.Dataframe(
                    headers=["Name", "Title", "Chunks", "Size", "Updated", "Id"],
                    datatype=["str", "str", "number", "str", "str", "str"],
                    interactive=False,
                    elem_id="kb-documents",
                )
                with gr.Row():
                    kb_doc = gr.Dropdown(label="Document", choices=[], value=None, scale=3)
                    kb_delete_btn = gr.Button("Delete document", variant="stop", scale=1)
                kb_q = gr.Textbox(
                    label="Test a query", placeholder="What does the knowledge base say about …?", elem_id="kb-query"
                )
                kb_passages = gr.Markdown(elem_id="kb-passages", latex_delimiters=[])
            with gr.Tab("History", id="history") as history_tab:
                with gr.Row():
                    h_query = gr.Textbox(label="Search past turns", scale=4, elem_id="history-query")
                    h_search = gr.Button("Search", scale=1)
                h_table = gr.Dataframe(
                    headers=["Time", "Conversation", "Request", "Reply", "Intent", "Sentiment", "Error"],
                    datatype=["str"] * 7,
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
                    h_sure = gr.Checkbox(label="Yes, delete every conversation of mine", value=False)
                    h_delete_all = gr.Button("Delete all", variant="stop")
                h_file = gr.File(label="Export", interactive=False, elem_id="history-export")
                h_msg = gr.Markdown(latex_delimiters=[])
            with gr.Tab("Skills", id="skills"):
                gr.Markdown(
                    views.skills_markdown(assistant.skills.skills, assistant.skills.errors),
                    elem_id="skills",
                    latex_delimiters=[],
                )
            with gr.Tab("Settings", id="settings"):
                settings_md = gr.Markdown(settings_text(), elem_id="settings", latex_delimiters=[])

        # -------------------------------------------------------------- wiring
        chat_inputs = [chatbot, conversation, area, speak, owner]

        def show_handsfree_turn(result: TurnResult, history: list[dict[str, Any]], who: str) -> dict[Any, Any]:
            heard = result.transcript.text if result.transcript else result.text
            return finish_turn(result, [*(history or []), views.user_message(heard, voice=True), {}], who, False)

        chat_outputs = [
            chatbot,
            text,
            conversation,
            confirm_row,
            confirm_md,
            confirm_pin,
            shown_pending,
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
        chatbot.option_select(send_choice, chat_inputs, chat_outputs, **_private())
        hands_free.on_result(show_handsfree_turn, [chatbot, owner], chat_outputs)
        chatbot.example_select(send_example, chat_inputs, chat_outputs, **_private())
        yes_btn.click(answer(True), [*chat_inputs, shown_pending, confirm_pin], chat_outputs, **_private())
        no_btn.click(answer(False), [*chat_inputs, shown_pending, confirm_pin], chat_outputs, **_private())
        new_btn.click(new_conversation, None, chat_outputs, **_private())
        conv_select.input(open_conversation, [conv_select, owner], chat_outputs, **_private())
        gr.api(chat_api, api_name="chat")

        timer.tick(
            tick,
            [dash_seen, pending_control],
            [dash, dash_seen, control_msg, control_confirm, control_pin, pending_control],
            **_private(show_progress="hidden"),
        )
        chat_timer.tick(
            chat_tick,
            [conversation, chatbot, owner, shown_pending],
            [chatbot, confirm_row, confirm_md, confirm_pin, shown_pending],
            **_private(show_progress="hidden"),
        )
        status_timer.tick(
            status_tick, status_shown, [status_md, status_shown, status_timer], **_private(show_progress="hidden")
        )
        ctl_out = [control_msg, dash, control_confirm, control_pin, pending_control]
        dash.select(row_action, owner, ctl_out, **_private())
        confirm_ctl.click(confirm_held, [pending_control, control_pin, owner], ctl_out, **_private())
        cancel_ctl.click(
            cancel_held,
            [pending_control, owner],
            [control_msg, control_confirm, control_pin, pending_control],
            **_private(),
        )

        turn_select.input(show_trace, [turn_select, owner], trace, **_private())
        kb_ingest_btn.click(kb_ingest, kb_files, [kb_msg, kb_table, kb_doc, kb_files], **_private())
        kb_delete_btn.click(kb_delete, kb_doc, [kb_msg, kb_table, kb_doc], **_private())
        kb_q.submit(kb_query, kb_q, kb_passages, **_private())
        history_tab.select(conversations_update, owner, h_conv, **_private())
        h_search.click(history_search, [h_query, owner], h_table, **_private())
        h_query.submit(history_search, [h_query, owner], h_table, **_private())
        h_conv.change(history_select, [h_conv, owner], [h_plot, h_file], **_private())
        h_export.click(history_export, [h_conv, owner], [h_file, h_msg], **_private())
        h_delete.click(history_delete, [h_conv, owner], [h_msg, h_conv, conv_select], **_private())
        h_delete_all.click(history_delete_all, [h_sure, owner], [h_msg, h_conv, conv_select, h_sure], **_private())

        def on_load(token: Any, request: gr.Request) -> dict[Any, Any]:
            """Who this session is (signed-in user, else the browser's kept token), then the owner's lists, and the
            owner's most recent conversation reopened in the chat (a reload keeps the chat)."""
            who, keep = identity.owner_for(username=getattr(request, "username", None), token=token)
            summaries = repo.list_conversations(limit=1, owner=who)
            latest = str(summaries[0].id) if summaries else None
            status = views.models_status_markdown(models_status())
            kb_rows, kb_choices = kb_refresh()
            updates: dict[Any, Any] = {
                owner: who,
                owner_token: keep,
                h_conv: conversations_update(who),
                kb_table: kb_rows,
                kb_doc: kb_choices,
                settings_md: settings_text(),
                dash: dashboard(),
                dash_seen: live.version,
                status_md: gr.update(value=status, visible=bool(status)),
                status_shown: status,
                conv_select: conversations_update(who, latest),
            }
            restored = open_conversation(latest, who) if latest else None
            if isinstance(restored, dict):
                updates.update(restored)
            updates[chatbot] = gr.update(value=updates.get(chatbot, []), examples=welcome_examples())
            updates[ready] = '<span data-ready="1"></span>'
            return updates

        app.load(
            on_load,
            owner_token,
            [
                owner,
                owner_token,
                conv_select,
                h_conv,
                kb_table,
                kb_doc,
                settings_md,
                dash,
                dash_seen,
                status_md,
                status_shown,
                chatbot,
                conversation,
                confirm_row,
                confirm_md,
                confirm_pin,
                shown_pending,
                trace,
                turn_select,
                ready,
            ],
            **_private(),
        )
    return app
