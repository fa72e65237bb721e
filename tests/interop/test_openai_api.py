"""The OpenAI-compatible endpoint on a real uvicorn server on 127.0.0.1, driven by the ``openai`` client."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import openai
import pytest

from assistant import Assistant
from assistant.interop.access import Credentials, check_http_bind
from assistant.interop.openai_api import OpenAIServer, create_openai_app, http_auth_check, serve_openai
from contracts.messages import AssistantError

from .conftest import set_state, state

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(interop_assistant: Assistant) -> Iterator[OpenAIServer]:
    with serve_openai(interop_assistant, "127.0.0.1", 0, block=False) as running:
        yield running


@pytest.fixture(scope="module")
def secured(interop_assistant: Assistant) -> Iterator[OpenAIServer]:
    """The same routes with the UI's credentials required."""
    check = http_auth_check(Credentials("alice", PASSWORD))
    with OpenAIServer(create_openai_app(interop_assistant, auth_check=check), "127.0.0.1", 0) as running:
        yield running


def _client(server: OpenAIServer, api_key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key=api_key, max_retries=0, timeout=120)


def _ask(client: openai.OpenAI, text: str, **kwargs: Any) -> Any:
    return client.chat.completions.create(model="assistant", messages=[{"role": "user", "content": text}], **kwargs)


def test_models_lists_the_assistant(server: OpenAIServer) -> None:
    assert [m.id for m in _client(server).models.list()] == ["assistant"]


def test_chat_completion_replies_and_changes_the_home(server: OpenAIServer, interop_assistant: Assistant) -> None:
    set_state(interop_assistant, "light.turn_off", "light.kitchen")
    response = _ask(_client(server), "turn on the kitchen light")
    assert response.choices[0].message.content
    assert response.choices[0].finish_reason == "stop"
    assert state(interop_assistant, "light.kitchen") == "on"
    extra = response.model_extra or {}
    assert extra["conversation_id"] and extra["needs_confirmation"] is False
    assert any(a["entity_id"] == "light.kitchen" and a["success"] for a in extra["actions"])


def test_streaming_yields_chunks(server: OpenAIServer, interop_assistant: Assistant) -> None:
    set_state(interop_assistant, "light.turn_on", "light.kitchen")
    stream = _ask(_client(server), "turn off the kitchen light", stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) >= 3  # role, content, finish
    assert text.strip()
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert state(interop_assistant, "light.kitchen") == "off"


def test_streaming_generated_text_arrives_in_pieces(server: OpenAIServer) -> None:
    stream = _ask(_client(server), "write a short poem about autumn", stream=True)
    pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 1, pieces
    assert "".join(pieces).strip()


def test_unlock_needs_yes_in_the_same_conversation(server: OpenAIServer, interop_assistant: Assistant) -> None:
    set_state(interop_assistant, "lock.lock", "lock.front_door")
    client = _client(server)
    header = {"X-Conversation-Id": "openai-test-unlock-1"}
    first = _ask(client, "unlock the front door", extra_headers=header)
    assert (first.model_extra or {})["needs_confirmation"] is True
    assert state(interop_assistant, "lock.front_door") == "locked"
    _ask(client, "yes", extra_headers={"X-Conversation-Id": "openai-test-unlock-other"})  # another conversation
    assert state(interop_assistant, "lock.front_door") == "locked"
    _ask(client, "yes")  # no conversation named: a new one
    assert state(interop_assistant, "lock.front_door") == "locked"
    raw = client.chat.completions.with_raw_response.create(
        model="assistant", messages=[{"role": "user", "content": "yes"}], extra_headers=header
    )
    assert raw.headers["x-conversation-id"] == "openai-test-unlock-1"
    assert state(interop_assistant, "lock.front_door") == "unlocked"
    set_state(interop_assistant, "lock.lock", "lock.front_door")


def test_resent_history_continues_the_conversation(server: OpenAIServer, interop_assistant: Assistant) -> None:
    """A chat client that sends the whole history (Open WebUI) keeps one conversation without any header."""
    set_state(interop_assistant, "lock.lock", "lock.front_door")
    client = _client(server)
    question = [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "unlock the front door"}]
    first = client.chat.completions.create(model="assistant", messages=question)  # type: ignore[arg-type]
    asked = first.choices[0].message.content or ""
    assert state(interop_assistant, "lock.front_door") == "locked"
    history = [*question, {"role": "assistant", "content": asked}, {"role": "user", "content": "yes"}]
    second = client.chat.completions.create(model="assistant", messages=history)  # type: ignore[arg-type]
    assert (second.model_extra or {})["conversation_id"] == (first.model_extra or {})["conversation_id"]
    assert state(interop_assistant, "lock.front_door") == "unlocked"
    set_state(interop_assistant, "lock.lock", "lock.front_door")


def test_user_field_keys_a_conversation(server: OpenAIServer) -> None:
    client = _client(server)
    a = _ask(client, "what time is it", user="bob")
    b = _ask(client, "thanks", user="bob")
    c = _ask(client, "thanks", user="carol")
    ids = [(r.model_extra or {})["conversation_id"] for r in (a, b, c)]
    assert ids[0] == ids[1] != ids[2]


def test_another_owners_conversation_is_forbidden(server: OpenAIServer) -> None:
    client = _client(server)
    first = _ask(client, "hello", user="dave")
    cid = (first.model_extra or {})["conversation_id"]  # owned by openai:dave
    with pytest.raises(openai.PermissionDeniedError) as err:
        _ask(client, "unlock the front door", extra_headers={"X-Conversation-Id": cid})
    assert err.value.code == "conversation-forbidden"


def test_bad_requests_are_openai_errors(server: OpenAIServer) -> None:
    client = _client(server)
    with pytest.raises(openai.BadRequestError) as err:
        _ask(client, "hi", extra_headers={"X-Conversation-Id": "not a valid id!"})
    assert err.value.code == "input-invalid"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="assistant", messages=[{"role": "system", "content": "only a system"}])


def test_credentials_required_when_configured(secured: OpenAIServer) -> None:
    with pytest.raises(openai.AuthenticationError):
        _client(secured, api_key="wrong").models.list()
    assert [m.id for m in _client(secured, api_key=PASSWORD).models.list()] == ["assistant"]
    reply = _ask(_client(secured, api_key=PASSWORD), "what time is it")
    assert reply.choices[0].message.content
    # HTTP Basic with the UI's username and password works too
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(secured.url + "/models", headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.load(response)["data"][0]["id"] == "assistant"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(secured.url + "/models", timeout=30)
    assert refused.value.code == 401
    assert "Basic" in refused.value.headers["WWW-Authenticate"]


def _config(username: str | None = None, password: str | None = None) -> Any:
    return SimpleNamespace(ui=SimpleNamespace(username=username, password=password, max_upload_mb=10))


@pytest.mark.parametrize(
    ("host", "username", "password"),
    [
        ("127.0.0.1", None, None),
        ("localhost", None, None),
        ("::1", None, None),
        ("0.0.0.0", None, None),
        ("192.168.1.10", None, None),
        ("0.0.0.0", "alice", PASSWORD),
        ("0.0.0.0", "alice", None),
        ("127.0.0.1", None, PASSWORD),
        ("0.0.0.0", "alice", "   "),
        ("0.0.0.0", "  ", PASSWORD),
    ],
)
def test_bind_rule_matches_the_web_ui(
    host: str, username: str | None, password: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``assistant openai-api`` refuses exactly what ``ui.server.launch_options`` refuses."""
    from ui.server import launch_options

    monkeypatch.delenv("ASSISTANT_UI__USERNAME", raising=False)
    monkeypatch.delenv("ASSISTANT_UI__PASSWORD", raising=False)
    config = _config(username, password)
    try:
        launch_options(config, host=host, port=7860)
        ui_refused = None
    except AssistantError as exc:
        ui_refused = exc.code.value
    try:
        check_http_bind(config, host=host, port=8000)
        api_refused = None
    except AssistantError as exc:
        api_refused = exc.code.value
    assert api_refused == ui_refused
