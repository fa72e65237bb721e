"""The Gradio app: chat (text and voice), home dashboard, turn trace, knowledge base, history, skills, settings.

Display and input only. ``create_app`` assembles the page: each tab lives in its own module under ``ui.tabs`` (its
components returned by name, its callbacks returning updates by component), and is handed only the narrow part of the
``Assistant`` it calls (``ui.ports``); records from the engine become typed view records once (``ui.records``).

Each browser session has an owner (``ui.identity``): the signed-in user, else a random token the browser keeps. Every
engine call carries it, so a session lists, opens, answers, exports and deletes only its own conversations. A
pending confirmation is shown with the id it was shown for; the poll tick hides it as soon as the engine no longer
holds it (answered elsewhere, expired), and a stale press is refused by the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui import identity
from ui.handsfree import build_handsfree
from ui.live import AnnouncementInbox, ChangeCounter
from ui.ports import ModelsStatus
from ui.style import CSS, DASHBOARD_JS, HEAD, MONO_FONTS, SYSTEM_FONTS, theme
from ui.tabs import chat, history, home, knowledge, page, settings, skills, trace
from ui.tabs.common import Session, Shared, Updates, private

__all__ = ["CSS", "DASHBOARD_JS", "HEAD", "MONO_FONTS", "SYSTEM_FONTS", "create_app", "theme"]


@dataclass(frozen=True)
class _Tabs:
    """Every tab's components, by name."""

    page: page.Page
    chat: chat.ChatTab
    home: home.HomeTab
    trace: trace.TraceTab
    knowledge: knowledge.KnowledgeTab
    history: history.HistoryTab
    settings: settings.SettingsTab


def _models_status(assistant: Any) -> ModelsStatus:
    def models_status() -> dict[str, Any]:
        """The engine's start-up state (an assistant without one is always ready)."""
        status = getattr(assistant, "models_status", None)
        return dict(status()) if callable(status) else {"state": "ready", "message": ""}

    return models_status


def _handsfree(assistant: Any) -> Any:
    """The hands-free builder for the Chat tab ("okay nabu", then the command: streamed, detected on the server)."""
    wake = assistant.config.wakeword

    def build(session: Session, area: gr.Dropdown) -> Any:
        return build_handsfree(
            assistant, owner_state=session.owner, conversation_state=session.conversation, area_component=area,
            word=wake.word, engine=wake.engine, sensitivity=wake.sensitivity,
        )  # fmt: skip

    return build


def _build_tabs(assistant: Any, shared: Shared, welcome: chat.Welcome, poll_s: float) -> tuple[Session, _Tabs]:
    """The session's states, then every tab's components, in page order (inside the ``gr.Blocks`` context)."""
    owner = gr.State("")  # the states first, in this order (as the page always had them)
    owner_token = page.browser_token()
    session = Session(owner=owner, conversation=gr.State(""))
    shown_pending = gr.State(None)
    dash_seen = gr.State(-1)
    pending_control = gr.State(None)
    status_shown = gr.State(None)
    top = page.build(poll_s=poll_s, owner_token=owner_token, status_shown=status_shown)
    with gr.Tabs():
        with gr.Tab("Chat", id="chat"):
            chat_tab = chat.build(
                home=assistant.home,
                welcome=welcome,
                max_text_chars=assistant.config.pipeline.max_text_chars,
                poll_s=poll_s,
                session=session,
                handsfree=_handsfree(assistant),
                shown_pending=shown_pending,
            )
        with gr.Tab("Home", id="home"):
            home_tab = home.build(shared=shared, poll_s=poll_s, dash_seen=dash_seen, pending_control=pending_control)
        with gr.Tab("Trace", id="trace"):
            trace_tab = trace.build()
        with gr.Tab("Knowledge base", id="kb"):
            kb_tab = knowledge.build()
        with gr.Tab("History", id="history") as history_tab:
            hist_tab = history.build(history_tab)
        with gr.Tab("Skills", id="skills"):
            skills.build(assistant.skills.skills, assistant.skills.errors)
        with gr.Tab("Settings", id="settings"):
            settings_tab = settings.build(assistant, assistant.config.ui)
    return session, _Tabs(
        page=top,
        chat=chat_tab,
        home=home_tab,
        trace=trace_tab,
        knowledge=kb_tab,
        history=hist_tab,
        settings=settings_tab,
    )


@dataclass(frozen=True)
class _Callbacks:
    """The tabs' callbacks that more than their own tab reads (the page load draws from all of them)."""

    chat: chat.ChatCallbacks
    home: home.HomeCallbacks
    knowledge: knowledge.KnowledgeCallbacks
    history: history.HistoryCallbacks


def _callbacks(
    assistant: Any, tabs: _Tabs, *, shared: Shared, welcome: chat.Welcome, inbox: AnnouncementInbox, session: Session
) -> _Callbacks:
    """Each tab's callbacks, given the narrow part of the engine it calls (``ui.ports``)."""
    return _Callbacks(
        chat=chat.ChatCallbacks(
            tabs.chat,
            engine=assistant,
            shared=shared,
            welcome=welcome,
            inbox=inbox,
            session=session,
            trace=tabs.trace,
            home=tabs.home,
        ),
        home=home.HomeCallbacks(tabs.home, engine=assistant, home=assistant.home, shared=shared),
        knowledge=knowledge.KnowledgeCallbacks(tabs.knowledge, kb=assistant.kb, top_k=assistant.config.rag.top_k),
        history=history.HistoryCallbacks(tabs.history, shared=shared, conv_select=tabs.chat.conv_select),
    )


def _wire_api(assistant: Any) -> None:
    """``/chat``: the only event callable through the API."""

    def chat_api(
        text: str, conversation_id: str = "", area: str = "", request: gr.Request | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Send one typed message; returns the reply and the turn as JSON (turn_to_dict)."""
        return page.chat_api(assistant, text, conversation_id, area, request)

    gr.api(chat_api, api_name="chat")


def _wire_status(top: page.Page, models_status: ModelsStatus) -> None:
    """The start-up banner's poll (it stops once the models are ready)."""

    def status_tick(shown: str | None) -> Updates:
        return page.status_tick(top, models_status, shown)

    top.status_timer.tick(
        status_tick,
        top.status_shown,
        [top.status_md, top.status_shown, top.status_timer],
        **private(show_progress="hidden"),
    )


def _wire_load(
    app: gr.Blocks, assistant: Any, tabs: _Tabs, cbs: _Callbacks, *, shared: Shared, session: Session
) -> None:
    """The page load: who this session is, then every tab's first draw."""
    top = tabs.page

    def on_load(token: Any, request: gr.Request) -> Updates:
        """Who this session is (signed-in user, else the browser's kept token), then the owner's lists, and the
        owner's most recent conversation reopened in the chat (a reload keeps the chat)."""
        who, keep = identity.owner_for(username=getattr(request, "username", None), token=token)
        summaries = shared.repo.list_conversations(limit=1, owner=who)
        latest = str(summaries[0].id) if summaries else None
        return {
            session.owner: who,
            top.owner_token: keep,
            tabs.history.conversation: shared.conversations_update(who),
            **cbs.knowledge.refresh(),
            **settings.load_updates(tabs.settings, assistant, assistant.config.ui),
            **cbs.home.load_updates(),
            **page.status_updates(top, shared.models_status),
            **cbs.chat.load_updates(who, latest),
            top.ready: '<span data-ready="1"></span>',
        }

    outputs = [
        session.owner,
        top.owner_token,
        tabs.chat.conv_select,
        tabs.history.conversation,
        tabs.knowledge.table,
        tabs.knowledge.document,
        tabs.settings.settings_md,
        tabs.home.dash,
        tabs.home.dash_seen,
        top.status_md,
        top.status_shown,
        *cbs.chat.load_outputs(),
        top.ready,
    ]
    app.load(on_load, top.owner_token, outputs, **private())


def create_app(assistant: Any, *, counter: ChangeCounter | None = None, poll_s: float = 1.0) -> gr.Blocks:
    """Build the Blocks app for an ``Assistant`` (not launched)."""
    live = counter or ChangeCounter()
    if counter is None:
        live.attach(assistant.subscribe)
    inbox = AnnouncementInbox()
    inbox.attach(assistant.subscribe)
    models_status = _models_status(assistant)
    shared = Shared(
        repo=assistant.db.conversations,
        home=assistant.home,
        confirmations=assistant,
        live=live,
        models_status=models_status,
    )
    welcome = chat.Welcome(
        home=assistant.home,
        kb=assistant.kb,
        chunks=getattr(getattr(assistant, "db", None), "knowledge", None),
        skill_ids=lambda: getattr(assistant.skills, "skills", {}),
    )
    with gr.Blocks(title="Home assistant", analytics_enabled=False) as app:
        session, tabs = _build_tabs(assistant, shared, welcome, poll_s)
        cbs = _callbacks(assistant, tabs, shared=shared, welcome=welcome, inbox=inbox, session=session)
        chat.wire(cbs.chat)
        _wire_api(assistant)  # events are wired in the page's historical order: their api names stay put
        home.wire_tick(cbs.home)
        chat.wire_tick(cbs.chat)
        _wire_status(tabs.page, models_status)
        home.wire(cbs.home, session)
        trace.wire(tabs.trace, shared=shared, session=session)
        knowledge.wire(cbs.knowledge)
        history.wire(cbs.history, session)
        _wire_load(app, assistant, tabs, cbs, shared=shared, session=session)
    return app
