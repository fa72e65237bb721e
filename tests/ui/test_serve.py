"""`assistant serve` end to end: the page on 127.0.0.1, the /chat API through gradio_client, and the auth rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ui.served import Served, run_serve_expecting_failure, serve_subprocess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One real server for this module (real store, simulated default home, embedded models)."""
    with serve_subprocess(tmp_path_factory.mktemp("serve") / "data") as server:
        yield server


def test_serves_the_page_on_loopback(served: Served) -> None:
    resp = httpx.get(served.url, timeout=10)
    assert resp.status_code == 200 and "gradio" in resp.text.lower()
    assert served.url.startswith("http://127.0.0.1:")
    assert (served.data_dir / "assistant.sqlite").exists()


def test_chat_endpoint_through_gradio_client(served: Served) -> None:
    from gradio_client import Client

    client = Client(served.url, verbose=False)
    reply, turn = client.predict("turn on the kitchen light", "", "", api_name="/chat")
    assert reply and turn["reply"] == reply
    assert turn["intent"] == "HassTurnOn"
    assert "light.kitchen" in turn["targets"]
    assert any(a["entity_id"] == "light.kitchen" and a["success"] for a in turn["actions"])
    assert set(turn["timings_ms"]) >= {"nlu", "total"}
    # continue the same conversation
    _, second = client.predict("turn it off", turn["conversation_id"], "", api_name="/chat")
    assert second["conversation_id"] == turn["conversation_id"]


def test_non_loopback_host_without_auth_refuses_to_start(tmp_path: Path) -> None:
    proc = run_serve_expecting_failure(tmp_path / "data", "0.0.0.0")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "config-invalid" in proc.stderr
    assert "requires ui.username and ui.password" in proc.stderr
