"""``assistant serve`` as one ASGI app per process, ``--workers N`` on consecutive ports, and the command plugins
(``assistant.commands``) that bring ``serve`` to the engine's CLI."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from assistant.config import load_config
from contracts.messages import AssistantError, ErrorCode
from tests.ui.served import PROJECT_ROOT, _env, free_port

# ---------------------------------------------------------------------------------------------- command plugins


def _plugins(monkeypatch: pytest.MonkeyPatch, *entries: EntryPoint) -> None:
    import importlib.metadata

    def entry_points(*, group: str) -> list[EntryPoint]:
        return [e for e in entries if e.group == group]

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def _app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """A group, even with one command."""

    @app.command()
    def ask() -> None:
        typer.echo("asked")

    return app


def test_serve_is_registered_through_the_entry_point_group() -> None:
    from importlib.metadata import entry_points

    from assistant.cli import COMMANDS_GROUP, app

    (serve,) = [e for e in entry_points(group=COMMANDS_GROUP) if e.name == "serve"]
    assert serve.value == "ui.cli:serve"
    assert "serve" in {c.name for c in app.registered_commands}


def test_a_command_plugin_that_fails_to_load_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.cli import _load_command_plugins

    group = "test.commands"
    _plugins(
        monkeypatch,
        EntryPoint("broken", "no_such_module_here:serve", group),
        EntryPoint("good", "ui.cli:serve", group),
    )
    app = _app()
    assert _load_command_plugins(group, target=app) == ["broken", "good"]
    result = CliRunner().invoke(app, ["broken", "--port", "1"])
    assert result.exit_code == 2
    assert "error [config-invalid]: The command 'broken' (no_such_module_here:serve) could not be loaded" in (
        result.output
    )
    assert "ModuleNotFoundError" in result.output and "Traceback" not in result.output
    assert CliRunner().invoke(app, ["ask"]).output == "asked\n"  # the others still work
    assert "--workers" in CliRunner().invoke(app, ["good", "--help"]).output


def test_a_command_plugin_never_replaces_a_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.cli import _load_command_plugins

    _plugins(monkeypatch, EntryPoint("ask", "ui.cli:serve", "test.commands"))
    app = _app()
    assert _load_command_plugins("test.commands", target=app) == []
    assert CliRunner().invoke(app, ["ask"]).output == "asked\n"


def test_the_engine_imports_nothing_of_ui() -> None:
    found = subprocess.run(
        ["grep", "-rn", "--include=*.py", r"ui\.", "assistant/"], capture_output=True, text=True, cwd=PROJECT_ROOT
    ).stdout
    assert [line for line in found.splitlines() if "import" in line] == []


# ---------------------------------------------------------------------------------------------- the app's rules


def test_mount_options_keep_the_launch_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.interop.access import LoginThrottle
    from ui.asgi import mount_options

    monkeypatch.delenv("ASSISTANT_UI__PASSWORD", raising=False)
    monkeypatch.delenv("ASSISTANT_UI__USERNAME", raising=False)
    local = mount_options(load_config(), host="127.0.0.1", port=7860)
    assert local["auth"] is None and local["max_file_size"] == "25mb"
    assert local["enable_monitoring"] is False and local["mcp_server"] is False and local["ssr_mode"] is False
    assert "share" not in local
    with pytest.raises(AssistantError) as err:
        mount_options(load_config(), host="0.0.0.0", port=7860)
    assert err.value.code == ErrorCode.CONFIG_INVALID
    remote = mount_options(load_config(ui={"username": "ann", "password": "pw"}), host="0.0.0.0", port=7860)
    assert isinstance(remote["auth"], LoginThrottle)


def test_worker_ports_are_consecutive_and_valid() -> None:
    from ui.asgi import worker_ports

    assert worker_ports(7860, 3) == [7860, 7861, 7862]
    for port, workers in ((65535, 2), (7860, 0)):
        with pytest.raises(AssistantError):
            worker_ports(port, workers)


@pytest.fixture(scope="module")
def real_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from assistant.app import Assistant

    a = Assistant.create(data_dir=str(tmp_path_factory.mktemp("asgi-data")))
    try:
        yield a
    finally:
        a.close()


@pytest.mark.slow
def test_asgi_app_serves_the_apis_and_the_page(real_assistant: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from ui.asgi import create_asgi_app

    monkeypatch.delenv("ASSISTANT_UI__PASSWORD", raising=False)
    monkeypatch.delenv("ASSISTANT_UI__USERNAME", raising=False)
    app = create_asgi_app(real_assistant, host="127.0.0.1", port=7860)
    with TestClient(app) as client:
        assert client.get("/api/health").json()["status"] == "ok"
        assert client.get("/v1/models").json()["data"][0]["id"]
        page = client.get("/")
        assert page.status_code == 200 and "gradio" in page.text.lower()
        turn = client.post("/api/turn", json={"text": "turn on the kitchen light"}).json()
        assert turn["intent"] == "HassTurnOn"


@pytest.mark.slow
def test_asgi_app_with_credentials_guards_the_page_and_the_apis(
    real_assistant: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ui.username/password (here from the environment) the UI needs the sign-in and the APIs HTTP auth."""
    from fastapi.testclient import TestClient

    from ui.asgi import create_asgi_app

    monkeypatch.setenv("ASSISTANT_UI__USERNAME", "ann")
    monkeypatch.setenv("ASSISTANT_UI__PASSWORD", "s3cret-pass")
    app = create_asgi_app(real_assistant, host="0.0.0.0", port=7860)
    with TestClient(app) as client:
        assert client.get("/config").status_code == 401  # the page's config (and every event) needs the sign-in
        assert client.post("/login", data={"username": "ann", "password": "wrong"}).status_code == 400
        assert client.post("/api/turn", json={"text": "hello"}).status_code == 401
        assert client.get("/v1/models").status_code == 401
        assert client.get("/v1/models", auth=("ann", "s3cret-pass")).status_code == 200
        assert client.post("/login", data={"username": "ann", "password": "s3cret-pass"}).status_code == 200
        assert client.get("/config").status_code == 200


# ---------------------------------------------------------------------------------------------- --workers 2


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], Path]]:
    """``assistant serve --workers 2`` on one temporary SQLite store: the base URLs of its two processes."""
    tmp = tmp_path_factory.mktemp("workers")
    data = tmp / "data"
    data.mkdir()
    port = free_port()
    while True:  # two free consecutive ports
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            break
        except OSError:
            port = free_port()
    log = tmp / "serve.log"
    urls = [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--workers", "2", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=_env(data),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 300
            while True:
                text = log.read_text(errors="replace")
                if proc.poll() is not None:
                    raise RuntimeError(f"assistant serve --workers 2 exited with {proc.returncode}:\n{text[-4000:]}")
                if all(f"Assistant UI ready on {u}" in text for u in urls):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"assistant serve --workers 2 did not start:\n{text[-4000:]}")
                time.sleep(0.5)
            yield urls, log
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.mark.slow
def test_two_workers_serve_the_page_and_the_apis(two_workers: tuple[list[str], Path]) -> None:
    urls, log = two_workers
    pids = set()
    for url in urls:
        page = httpx.get(url + "/", timeout=30)
        assert page.status_code == 200 and "gradio" in page.text.lower()
        health = httpx.get(url + "/api/health", timeout=30).json()
        pids.add(health["worker"])
        models = httpx.get(url + "/v1/models", timeout=30).json()
        assert models["data"] and models["data"][0]["id"]
        turn = httpx.post(url + "/api/turn", json={"text": "turn on the kitchen light"}, timeout=300).json()
        assert turn["intent"] == "HassTurnOn" and turn["actions"][0]["success"]
    assert len(pids) == 2, "two processes"
    assert "Serving 2 UI processes" in log.read_text()


@pytest.mark.slow
def test_a_confirmation_asked_on_one_worker_is_answered_on_the_other(two_workers: tuple[list[str], Path]) -> None:
    (one, two), _ = two_workers
    cid = "c-workers-confirm"
    asked = httpx.post(one + "/api/turn", json={"text": "unlock the front door", "conversation_id": cid}, timeout=300)
    assert asked.json()["needs_confirmation"]
    pending = httpx.get(f"{two}/api/pending/{cid}", timeout=30).json()
    assert pending and pending["question"]
    body = {"conversation_id": cid, "pending_id": pending["id"], "yes": True}
    done = httpx.post(two + "/api/confirm", json=body, timeout=300).json()
    assert done["actions"] and done["actions"][0]["confirmed_by_user"] and done["actions"][0]["success"]
    assert httpx.get(f"{one}/api/pending/{cid}", timeout=30).json() is None  # answered once, for both


@pytest.mark.slow
def test_a_conversation_started_in_one_ui_process_continues_in_the_other(two_workers: tuple[list[str], Path]) -> None:
    """What a browser moved to another process does after a reload: its conversation is in the store."""
    from gradio_client import Client

    (one, two), _ = two_workers
    _, first = Client(one + "/", verbose=False).predict("turn on the kitchen light", "", "", api_name="/chat")
    cid = first["conversation_id"]
    _, second = Client(two + "/", verbose=False).predict("turn off the kitchen light", cid, "", api_name="/chat")
    assert second["conversation_id"] == cid and second["intent"] == "HassTurnOff"
    listed = httpx.get(f"{two}/api/pending/{cid}", timeout=30)  # the API owner may read it on either process
    assert listed.status_code == 200


@pytest.mark.slow
def test_a_killed_worker_is_restarted(two_workers: tuple[list[str], Path]) -> None:
    import os
    import signal

    (one, _two), log = two_workers
    pid = httpx.get(one + "/api/health", timeout=30).json()["worker"]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            again = httpx.get(one + "/api/health", timeout=5).json()["worker"]
            if again != pid:
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    else:
        raise AssertionError(f"the killed worker was not restarted:\n{log.read_text()[-3000:]}")
    assert "restarting it" in log.read_text()


def test_workers_on_a_public_address_without_auth_refuse_before_starting(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--workers", "2", "--host", "0.0.0.0", "--port", str(free_port())],
        cwd=PROJECT_ROOT,
        env=_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "error [config-invalid]" in proc.stderr and "requires ui.username and ui.password" in proc.stderr
    assert "Serving" not in proc.stdout
