"""The app's wiring over a fake assistant: the page builds, the /chat API answers, UI events stay private."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.conftest import FakeAssistant
from ui.app import CSS, create_app, theme
from ui.live import ChangeCounter
from ui.server import launch_options


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeAssistant]]:
    """The app over a fake assistant, launched in-process on a free loopback port."""
    assistant = FakeAssistant(tmp_path_factory.mktemp("ui-app") / "data")
    app = create_app(assistant)
    port = _free_port()
    app.queue()
    app.launch(
        prevent_thread_lock=True,
        theme=theme(),
        css=CSS,
        **launch_options(assistant.config, host="127.0.0.1", port=port),
    )
    try:
        yield f"http://127.0.0.1:{port}/", assistant
    finally:
        app.close()
        assistant.close()


def test_page_is_served_on_loopback(served: tuple[str, Any]) -> None:
    url, _ = served
    resp = httpx.get(url, timeout=10)
    assert resp.status_code == 200
    assert "<title>Home assistant</title>" in resp.text or "Home assistant" in resp.text


def test_chat_endpoint_with_gradio_client(served: tuple[str, FakeAssistant]) -> None:
    from gradio_client import Client

    url, assistant = served
    client = Client(url, verbose=False)
    reply, turn = client.predict("turn on the kitchen light", "", "kitchen", api_name="/chat")
    assert reply == "Turned on the kitchen light."
    assert turn["intent"] == "HassTurnOn" and turn["actions"][0]["entity_id"] == "light.kitchen"
    assert assistant.home.states()["light.kitchen"]["state"] == "on"
    # the same conversation continues: the confirmation flow works through the API too
    _, asked = client.predict("unlock the front door", "", "", api_name="/chat")
    assert asked["needs_confirmation"] is True
    reply, done = client.predict("yes", asked["conversation_id"], "", api_name="/chat")
    assert reply == "Unlocked the Front Door." and done["actions"][0]["confirmed_by_user"] is True
    stored = assistant.db.conversations.turns(asked["conversation_id"])
    assert [t.user_text for t in stored] == ["unlock the front door", "yes"]


def test_only_chat_is_exposed_as_api(served: tuple[str, Any]) -> None:
    from gradio_client import Client

    url, _ = served
    info = Client(url, verbose=False).view_api(return_format="dict", print_info=False)
    assert isinstance(info, dict)
    assert list(info["named_endpoints"]) == ["/chat"]
    assert not info["unnamed_endpoints"]


def test_change_counter_counts_state_changes(fake_assistant: FakeAssistant) -> None:
    counter = ChangeCounter(highlight_s=60)
    counter.attach(fake_assistant.subscribe)
    before = counter.version
    fake_assistant.home.call_service("light.turn_on", ["light.kitchen"])
    assert counter.version == before + 1
    assert counter.recently_changed() == {"light.kitchen"}
    counter.detach()
    fake_assistant.home.call_service("light.turn_off", ["light.kitchen"])
    assert counter.version == before + 1


def test_create_app_builds_every_tab(fake_assistant: FakeAssistant, tmp_path: Path) -> None:
    app = create_app(fake_assistant)
    labels = {getattr(b, "label", None) for b in app.blocks.values()}
    assert {"Chat", "Home", "Trace", "Knowledge base", "History", "Skills", "Settings"} <= labels


def test_chat_api_cannot_reach_a_browser_conversation(served: tuple[str, FakeAssistant]) -> None:
    from gradio_client import Client

    url, assistant = served
    asked = assistant.handle_text("unlock the front door", owner="browser:someone")
    held = assistant.pending(asked.conversation_id, owner="browser:someone")
    assert held is not None
    _reply, turn = Client(url, verbose=False).predict("yes", asked.conversation_id, "", api_name="/chat")
    assert turn["error"] == "conversation-forbidden" and not turn["actions"]
    assert assistant.pending(asked.conversation_id, owner="browser:someone") == held  # untouched
    assert [t.user_text for t in assistant.db.conversations.turns(asked.conversation_id)] == ["unlock the front door"]
