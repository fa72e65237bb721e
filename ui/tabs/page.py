"""The page around the tabs: the session's identity, the models' start-up banner, and the ``/chat`` API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.serialize import turn_to_dict
from ui import identity, views
from ui.ports import ModelsStatus
from ui.tabs.common import Updates

__all__ = ["BROWSER_SECRET", "Page", "browser_token", "build", "chat_api", "status_tick"]

BROWSER_SECRET = "assistant-owner-token"
"""Gradio hands this key to the page, so it only obfuscates the stored token; a fixed one keeps the token readable
after a server restart. The token's own randomness is what keeps an owner private."""


@dataclass(frozen=True)
class Page:
    """The page's own components (above the tabs)."""

    owner_token: gr.BrowserState
    """The random owner token the browser keeps (used when nobody signed in)."""
    status_shown: gr.State
    """The banner text shown (None before the first poll)."""
    status_md: gr.Markdown
    ready: gr.HTML
    """Set once the page's load finished (tests wait for it)."""
    status_timer: gr.Timer


def browser_token() -> gr.BrowserState:
    """The owner token the browser keeps (made with the session's states, before the title)."""
    return gr.BrowserState(None, storage_key=identity.STORAGE_KEY, secret=BROWSER_SECRET)


def build(*, poll_s: float, owner_token: gr.BrowserState, status_shown: gr.State) -> Page:
    """The title, the start-up banner and the ready marker (the page's states are made before, with the others)."""
    gr.Markdown("## Home assistant", elem_id="app-title")
    status_md = gr.Markdown(elem_id="model-status", visible=False, latex_delimiters=[])
    ready = gr.HTML("", elem_id="page-ready", visible=True, padding=False)
    status_timer = gr.Timer(poll_s)
    return Page(
        owner_token=owner_token, status_shown=status_shown, status_md=status_md, ready=ready, status_timer=status_timer
    )


def status_updates(page: Page, models_status: ModelsStatus) -> Updates:
    """The banner as a page load draws it."""
    status = views.models_status_markdown(models_status())
    return {page.status_md: gr.update(value=status, visible=bool(status)), page.status_shown: status}


def status_tick(page: Page, models_status: ModelsStatus, shown: str | None) -> Updates:
    """Show the start-up banner while models load; stop polling once they are ready."""
    text = views.models_status_markdown(models_status())
    polling = gr.update(active=bool(text))
    if text == shown:
        return {page.status_timer: polling}
    return {
        page.status_md: gr.update(value=text, visible=bool(text)),
        page.status_shown: text,
        page.status_timer: polling,
    }


def chat_api(
    assistant: Any, text: str, conversation_id: str = "", area: str = "", request: gr.Request | None = None
) -> tuple[str, dict[str, Any]]:
    """Send one typed message; returns the reply and the turn as JSON (turn_to_dict)."""
    user = getattr(request, "username", None) if request is not None else None
    who = f"user:{user}" if user else identity.API_OWNER
    result = assistant.handle_text(text, conversation_id=conversation_id or None, area=area or None, owner=who)
    return result.reply, turn_to_dict(result)
