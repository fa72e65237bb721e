"""The Chat tab: conversation picker, room, the chat (typed, spoken, hands-free), the Yes/No row of a confirmation.

A turn's callbacks yield updates by component: the chat, the input box, the confirmation row, and after the turn the
trace (Trace tab), the dashboard (Home tab) and the conversation list. A pending confirmation is shown with the id it
was shown for; the poll tick hides it as soon as the engine no longer holds it (answered elsewhere, expired), and a
stale press is refused by the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from contracts.messages import ErrorCode, TurnResult
from ui import views
from ui.live import AnnouncementInbox
from ui.ports import ChatEngine, ChunkReader, HomeReader, KnowledgeBase
from ui.records import PendingView
from ui.tabs.common import Session, Shared, Updates, accepts_kw, error_message, out, private
from ui.tabs.home import HomeTab
from ui.tabs.trace import TraceTab

__all__ = ["ChatCallbacks", "ChatTab", "Welcome", "build", "wire", "wire_tick"]

_log = logging.getLogger("assistant.ui")

History = list[dict[str, Any]]


@dataclass(frozen=True)
class ChatTab:
    """The Chat tab's components."""

    conv_select: gr.Dropdown
    new_btn: gr.Button
    area: gr.Dropdown
    chatbot: gr.Chatbot
    timer: gr.Timer
    confirm_row: gr.Row
    confirm_md: gr.Markdown
    confirm_pin: gr.Textbox
    yes_btn: gr.Button
    no_btn: gr.Button
    text: gr.Textbox
    send_btn: gr.Button
    mic: gr.Audio
    speak: gr.Checkbox
    reply_audio: gr.Audio
    shown_pending: gr.State
    """The id of the confirmation the Yes/No row shows (None when hidden)."""
    hands_free: Any
    """The hands-free parts (``ui.handsfree.HandsFreeParts``)."""


class Welcome:
    """The empty chat's examples, built from the live home, the skills and the first document."""

    def __init__(
        self,
        *,
        home: HomeReader,
        kb: KnowledgeBase,
        chunks: ChunkReader | None,
        skill_ids: Callable[[], Iterable[Any]],
    ) -> None:
        self._home, self._kb, self._chunks, self._skill_ids = home, kb, chunks, skill_ids
        self._topics: dict[tuple[str, str], str | None] = {}

    def topic(self, doc: Any) -> str | None:
        """A section heading of a document (its first one below the title), remembered per document version."""
        key = (str(doc.id), str(doc.updated_at))
        if key not in self._topics:
            self._topics[key] = self._first_subsection(key[0])
        return self._topics[key]

    def _first_subsection(self, document_id: str) -> str | None:
        try:
            for chunk in self._chunks.iter_chunks(document_id) if self._chunks is not None else ():
                section = str((chunk.meta or {}).get("section") or "")
                if " > " in section:
                    return section.rsplit(" > ", 1)[-1].strip() or None
        except Exception:  # a topic is a nicety; the example falls back to the title alone
            _log.debug("no topic for document %s", document_id, exc_info=True)
        return None

    def examples(self) -> list[Any]:
        """The examples as the chat shows them (``{"text": ...}`` each)."""
        try:
            docs = list(self._kb.documents())
        except Exception:  # the knowledge base is optional for the welcome
            docs = []
        examples = views.welcome_examples(
            self._home.entities(),
            self._home.areas(),
            documents=docs[:1],
            topic=self.topic(docs[0]) if docs else None,
            timers=any("timer" in str(sid) for sid in self._skill_ids() or {}),
        )
        return [{"text": e} for e in examples]


def build(
    *,
    home: HomeReader,
    welcome: Welcome,
    max_text_chars: int,
    poll_s: float,
    session: Session,
    handsfree: Callable[[Session, gr.Dropdown], Any],
    shown_pending: gr.State,
) -> ChatTab:
    """The Chat tab's components, in the current ``gr.Tab`` (``shown_pending`` is made with the page's states)."""
    with gr.Row(elem_id="chat-top"):
        conv_select = gr.Dropdown(label="Conversation", choices=[], value=None, scale=3, elem_id="conv-select")
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
        examples=welcome.examples(),
    )
    timer = gr.Timer(poll_s)
    with gr.Row(visible=False, elem_id="confirm-row") as confirm_row:
        confirm_md = gr.Markdown(elem_id="confirm-question", latex_delimiters=[])
        confirm_pin = gr.Textbox(
            label="PIN", type="password", visible=False, max_lines=1, elem_id="confirm-pin", scale=0, min_width=120
        )
        yes_btn = gr.Button("Yes", variant="primary", elem_id="confirm-yes", scale=0)
        no_btn = gr.Button("No", variant="stop", elem_id="confirm-no", scale=0)
    with gr.Row(elem_id="chat-compose"):
        text = gr.Textbox(
            label="Message", placeholder="Type a message…", scale=5, elem_id="chat-input", max_length=max_text_chars
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
    hands_free = handsfree(session, area)  # "okay nabu", then the command: streamed, detected on the server
    return ChatTab(
        conv_select=conv_select,
        new_btn=new_btn,
        area=area,
        chatbot=chatbot,
        timer=timer,
        confirm_row=confirm_row,
        confirm_md=confirm_md,
        confirm_pin=confirm_pin,
        yes_btn=yes_btn,
        no_btn=no_btn,
        text=text,
        send_btn=send_btn,
        mic=mic,
        speak=speak,
        reply_audio=reply_audio,
        shown_pending=shown_pending,
        hands_free=hands_free,
    )


def _selected(value: Any, *keys: str) -> str:
    """The text of a selected chat button (an option's value or label, an example's text)."""
    if isinstance(value, dict):
        return str(next((value.get(k) for k in keys if value.get(k)), None) or "")
    return str(value or "")


class ChatCallbacks:
    """The Chat tab's callbacks: each calls the engine once and returns updates by component."""

    def __init__(
        self,
        tab: ChatTab,
        *,
        engine: ChatEngine,
        shared: Shared,
        welcome: Welcome,
        inbox: AnnouncementInbox,
        session: Session,
        trace: TraceTab,
        home: HomeTab,
    ) -> None:
        self.tab, self.engine, self.shared, self.welcome, self.inbox = tab, engine, shared, welcome, inbox
        self.session, self.trace, self.home = session, trace, home
        self.stream_speaks = accepts_kw(engine.stream_text, "speak")
        self.answer_speaks = accepts_kw(getattr(engine, "answer_confirmation", None), "speak")

    # -------------------------------------------------------------- shown state
    def confirm_updates(self, pending: PendingView | None, *, clear_pin: bool = True) -> Updates:
        """The chat's Yes/No row for a pending confirmation (hidden for None), tagged with its id.

        ``clear_pin=False`` leaves the PIN box's text alone while showing a confirmation: the poll passes it, because
        its answer may arrive after the turn's own (which already showed the row) and after the user typed the PIN.
        """
        t = self.tab
        cleared = {"value": ""} if clear_pin or pending is None else {}
        return {
            t.confirm_row: gr.update(visible=pending is not None),
            t.confirm_md: views.confirm_prompt(pending) if pending is not None else "",
            t.confirm_pin: gr.update(visible=pending is not None and pending.needs_pin, **cleared),
            t.shown_pending: pending.id if pending is not None else None,
        }

    def finish_turn(self, result: TurnResult, history: History, who: str, speak: bool) -> Updates:
        """The widgets after a turn: reply, trace, the Yes/No row from the engine's pending state, lists."""
        t, shared = self.tab, self.shared
        history[-1] = views.assistant_message(result)
        audio = shared.uploads.write(result.audio, ".wav") if (speak and result.audio) else None
        updates: Updates = {
            t.chatbot: history,
            t.text: "",
            t.reply_audio: gr.update(value=audio, visible=bool(audio)),
            t.mic: None,
        }
        cid = result.conversation_id
        if result.error == ErrorCode.CONVERSATION_FORBIDDEN.value or not shared.owns(cid, who):
            return {**updates, self.session.conversation: "", **self.confirm_updates(None)}
        return {
            **updates,
            self.session.conversation: cid,
            **self.confirm_updates(shared.live_pending(cid, who)),
            self.trace.trace: views.trace_html(views.TraceView.from_result(result)),
            self.trace.turn_select: shared.turns_update(cid, result.turn_id),
            self.home.dash: shared.dashboard(),
            t.conv_select: shared.conversations_update(who, cid),
        }

    def failed_turn(self, history: History, exc: BaseException) -> Updates:
        history[-1] = {"role": "assistant", "content": error_message(exc)}
        return {self.tab.chatbot: history, self.tab.text: "", self.tab.mic: None}

    # -------------------------------------------------------------- turns
    def _call(self, kind: str, payload: Any, cid: str | None, room: str | None, speak: bool, who: str) -> Iterator[Any]:
        """The engine's turn: streamed text pieces (``str``), then the ``TurnResult``."""
        engine = self.engine
        if kind == "audio":
            yield engine.handle_audio(payload, conversation_id=cid, area=room, owner=who, speak=speak)
        elif speak and not self.stream_speaks:
            yield engine.handle_text(payload, conversation_id=cid, area=room, owner=who, speak=True)
        else:
            kwargs = {"speak": True} if speak else {}
            yield from engine.stream_text(payload, cid, room, owner=who, **kwargs)

    def _streamed(self, items: Iterator[Any], history: History) -> Iterator[Updates | TurnResult]:
        """Chat updates for each streamed piece, then the turn's result (None when the engine gave none)."""
        partial = ""
        result: TurnResult | None = None
        for item in items:
            if isinstance(item, str):
                partial += item
                history[-1] = {"role": "assistant", "content": views.md_escape(partial)}
                yield {self.tab.chatbot: history}
            else:
                result = item
        if result is None:
            raise _NoResult
        yield result

    def run_turn(
        self, kind: str, payload: Any, history: History, conversation_id: str, area: str, speak: bool, who: str
    ) -> Iterator[Updates]:
        """Run one turn (text streamed, or audio) as the session's owner and yield widget updates."""
        t = self.tab
        history = list(history or [])
        history.append(views.user_message(payload) if kind == "text" else views.user_message("(voice message)"))
        if not who:
            history.append({"role": "assistant", "content": "⚠ The page is still starting; send it again."})
            yield {t.chatbot: history}
            return
        warming = self.shared.models_status()["state"] == "loading"
        history.append({"role": "assistant", "content": "… (the models are still loading)" if warming else "…"})
        yield {t.chatbot: history, t.text: "", t.confirm_row: gr.update(visible=False), t.mic: None}
        result: TurnResult | None = None
        try:
            items = self._call(kind, payload, conversation_id or None, area or None, speak, who)
            for item in self._streamed(items, history):
                if isinstance(item, dict):
                    yield item
                else:
                    result = item
        except _NoResult:
            yield self.failed_turn(history, RuntimeError("no result"))
            return
        except Exception as exc:  # shown in the chat, never a stack trace
            yield self.failed_turn(history, exc)
            return
        assert result is not None
        if kind == "audio":
            heard = result.transcript.text if result.transcript else result.text
            history[-2] = (
                views.user_message(heard, voice=True) if heard else views.user_message("(voice: nothing heard)")
            )
        yield self.finish_turn(result, history, who, speak)

    def send_text(self, message: str, history: History, cid: str, area: str, speak: bool, who: str) -> Iterator[Any]:
        if not (message or "").strip():
            yield gr.skip()
            return
        yield from self.run_turn("text", message, history, cid, area, speak, who)

    def send_choice(
        self, history: History, cid: str, area: str, speak: bool, who: str, evt: gr.SelectData
    ) -> Iterator[Any]:
        """A clarification's choice button: its ordinal answer ('the second one') as the next turn."""
        yield from self.send_text(_selected(evt.value, "value", "label"), history, cid, area, speak, who)

    def send_example(
        self, history: History, cid: str, area: str, speak: bool, who: str, evt: gr.SelectData
    ) -> Iterator[Any]:
        """A welcome example: sent as typed."""
        yield from self.send_text(_selected(evt.value, "text"), history, cid, area, speak, who)

    def send_audio(
        self, audio_path: str | None, history: History, cid: str, area: str, speak: bool, who: str
    ) -> Iterator[Any]:
        if not audio_path:
            yield gr.skip()
            return
        yield from self.run_turn("audio", Path(audio_path).read_bytes(), history, cid, area, speak, who)

    def show_handsfree_turn(self, result: TurnResult, history: History, who: str) -> Updates:
        heard = result.transcript.text if result.transcript else result.text
        return self.finish_turn(result, [*(history or []), views.user_message(heard, voice=True), {}], who, False)

    # -------------------------------------------------------------- confirmation
    def answer(self, yes: bool) -> Callable[..., Iterator[Any]]:
        """The Yes/No buttons: answer exactly the confirmation they were shown for (with the PIN when asked)."""

        def handler(
            history: History, cid: str, area: str, speak: bool, who: str, pending_id: str | None, pin: str | None
        ) -> Iterator[Any]:
            yield from self._answer(yes, list(history or []), cid, area, speak, who, pending_id, pin)

        return handler

    def _answer(
        self,
        yes: bool,
        history: History,
        cid: str,
        area: str,
        speak: bool,
        who: str,
        pending_id: str | None,
        pin: str | None,
    ) -> Iterator[Updates]:
        t, shared = self.tab, self.shared
        if not (cid and who and pending_id):
            notice = views.format_error(ErrorCode.CONFIRM_NOT_PENDING.value)
            yield {
                t.chatbot: [*history, {"role": "assistant", "content": notice}],
                **self.confirm_updates(shared.live_pending(cid, who)),
            }
            return
        history.append(views.user_message("yes" if yes else "no"))
        history.append({"role": "assistant", "content": "…"})
        yield {t.chatbot: history, t.confirm_row: gr.update(visible=False), t.confirm_pin: gr.update(value="")}
        kwargs: dict[str, Any] = {"speak": True} if (speak and self.answer_speaks) else {}
        try:
            result = self.engine.answer_confirmation(
                cid, yes=yes, pending_id=pending_id, pin=(pin or None), owner=who, area=area or None, **kwargs
            )
        except Exception as exc:
            yield {**self.failed_turn(history, exc), **self.confirm_updates(shared.live_pending(cid, who))}
            return
        yield self.finish_turn(result, history, who, speak)

    # -------------------------------------------------------------- conversations
    def new_conversation(self) -> Updates:
        t = self.tab
        return {
            t.chatbot: gr.update(value=[], examples=self.welcome.examples()),
            self.session.conversation: "",
            **self.confirm_updates(None),
            t.conv_select: gr.update(value=None),
            self.trace.trace: views.trace_html(None),
            self.trace.turn_select: gr.update(choices=[], value=None),
        }

    def open_conversation(self, cid: str | None, who: str) -> Any:
        t, shared = self.tab, self.shared
        if not cid:
            return gr.skip()
        if not shared.owns(cid, who):
            return {t.conv_select: gr.update(value=None)}
        turns = shared.repo.turns(cid)
        last = views.TraceView.from_stored(turns[-1]) if turns else None
        history = views.chat_history_from_turns(turns)
        if history and history[-1].get("options") and not self.engine.open_question(cid, owner=who):
            history[-1] = {k: v for k, v in history[-1].items() if k != "options"}  # answered or timed out
        return {
            t.chatbot: history,
            self.session.conversation: cid,
            **self.confirm_updates(shared.live_pending(cid, who)),
            self.trace.trace: views.trace_html(last),
            self.trace.turn_select: shared.turns_update(cid),
        }

    def chat_tick(self, cid: str, history: History, who: str, shown: str | None) -> Any:
        """Every poll: append announcements (a timer rang) and bring the Yes/No row in line with the engine."""
        updates: Updates = {}
        if cid and who and self.inbox.pending(cid):
            last = history[-1] if history else None
            streaming = last is not None and views.message_text(last).startswith("…")
            if not streaming:  # a reply is streaming into the chat: add the announcement after it
                said = [{"role": "assistant", "content": f"⏰ {views.md_escape(t)}"} for t in self.inbox.take(cid)]
                updates[self.tab.chatbot] = [*(history or []), *said]
        pending = self.shared.live_pending(cid, who)
        if (pending.id if pending is not None else None) != shown:  # ``shown`` may be stale: never wipe a typed PIN
            updates.update(self.confirm_updates(pending, clear_pin=False))
        return out(updates)

    def load_updates(self, who: str, latest: str | None) -> Updates:
        """The page's first draw: the owner's conversations, the latest one reopened, the welcome examples."""
        updates: Updates = {self.tab.conv_select: self.shared.conversations_update(who, latest)}
        restored = self.open_conversation(latest, who) if latest else None
        if isinstance(restored, dict):
            updates.update(restored)
        chatbot = self.tab.chatbot
        updates[chatbot] = gr.update(value=updates.get(chatbot, []), examples=self.welcome.examples())
        return updates

    def load_outputs(self) -> list[Any]:
        """What ``load_updates`` draws, but the conversation list (the page load lists it with its own)."""
        t = self.tab
        return [
            t.chatbot,
            self.session.conversation,
            t.confirm_row,
            t.confirm_md,
            t.confirm_pin,
            t.shown_pending,
            self.trace.trace,
            self.trace.turn_select,
        ]


class _NoResult(Exception):
    """The engine's turn ended without a ``TurnResult``."""


def wire(callbacks: ChatCallbacks) -> None:
    """Connect the Chat tab's events (call inside the ``gr.Blocks`` context, after every tab is built)."""
    t, session, cb = callbacks.tab, callbacks.session, callbacks
    inputs = [t.chatbot, session.conversation, t.area, t.speak, session.owner]
    outputs = [
        t.chatbot,
        t.text,
        session.conversation,
        t.confirm_row,
        t.confirm_md,
        t.confirm_pin,
        t.shown_pending,
        t.reply_audio,
        callbacks.trace.trace,
        callbacks.trace.turn_select,
        callbacks.home.dash,
        t.conv_select,
        t.mic,
    ]
    t.text.submit(cb.send_text, [t.text, *inputs], outputs, **private())
    t.send_btn.click(cb.send_text, [t.text, *inputs], outputs, **private())
    t.mic.stop_recording(cb.send_audio, [t.mic, *inputs], outputs, **private())
    t.mic.upload(cb.send_audio, [t.mic, *inputs], outputs, **private())
    t.chatbot.option_select(cb.send_choice, inputs, outputs, **private())
    t.hands_free.on_result(cb.show_handsfree_turn, [t.chatbot, session.owner], outputs)
    t.chatbot.example_select(cb.send_example, inputs, outputs, **private())
    t.yes_btn.click(cb.answer(True), [*inputs, t.shown_pending, t.confirm_pin], outputs, **private())
    t.no_btn.click(cb.answer(False), [*inputs, t.shown_pending, t.confirm_pin], outputs, **private())
    t.new_btn.click(cb.new_conversation, None, outputs, **private())
    t.conv_select.input(cb.open_conversation, [t.conv_select, session.owner], outputs, **private())


def wire_tick(callbacks: ChatCallbacks) -> None:
    """The chat's poll: announcements, and the Yes/No row kept in line with the engine."""
    t, session, cb = callbacks.tab, callbacks.session, callbacks
    t.timer.tick(
        cb.chat_tick,
        [session.conversation, t.chatbot, session.owner, t.shown_pending],
        [t.chatbot, t.confirm_row, t.confirm_md, t.confirm_pin, t.shown_pending],
        **private(show_progress="hidden"),
    )
