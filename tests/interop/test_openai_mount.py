"""The router mounted beside a Gradio app, the way ``ui/server.py`` can serve it next to the web UI."""

from __future__ import annotations

import socket

import gradio as gr
import openai
import pytest

from assistant import Assistant
from assistant.interop.access import Credentials
from assistant.interop.openai_api import create_openai_router, http_auth_check

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_router_beside_a_gradio_app_with_auth(interop_assistant: Assistant) -> None:
    port = _free_port()
    with gr.Blocks(analytics_enabled=False) as demo:
        gr.Markdown("hello")
    throttle_calls: list[str] = []

    def verify(username: str, password: str) -> bool:  # stands in for the UI's LoginThrottle
        throttle_calls.append(username)
        return username == "alice" and password == "pw-123"

    demo.launch(
        prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, auth=verify, quiet=True, ssr_mode=False
    )
    try:
        demo.server_app.include_router(
            create_openai_router(interop_assistant, auth_check=http_auth_check(Credentials("alice"), verify=verify))
        )
        base = f"http://127.0.0.1:{port}/v1"
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=base, api_key="nope", max_retries=0).models.list()
        client = openai.OpenAI(base_url=base, api_key="pw-123", max_retries=0, timeout=120)
        assert [m.id for m in client.models.list()] == ["assistant"]
        reply = client.chat.completions.create(model="assistant", messages=[{"role": "user", "content": "hello"}])
        assert reply.choices[0].message.content
        assert throttle_calls and set(throttle_calls) == {"alice"}
    finally:
        demo.close()


def test_the_served_ui_answers_the_openai_api_on_the_same_port(interop_assistant: Assistant) -> None:
    from ui.server import serve

    port = _free_port()
    app = serve(interop_assistant, host="127.0.0.1", port=port, block=False)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0, timeout=120)
        assert [m.id for m in client.models.list()] == ["assistant"]
        reply = client.chat.completions.create(
            model="assistant", messages=[{"role": "user", "content": "turn on the kitchen light"}]
        )
        assert reply.choices[0].message.content
        assert interop_assistant.home.states()["light.kitchen"]["state"] == "on"
    finally:
        app.close()
