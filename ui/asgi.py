"""One ASGI app (FastAPI) per server process: the JSON turn API, the OpenAI-compatible API and the Gradio web UI.

``create_asgi_app(assistant, host=..., port=...)`` builds it: ``/api/turn``, ``/api/confirm``, ``/api/pending/{id}``,
``/api/health`` (``assistant.interop.turn_api``), ``/v1/chat/completions`` and ``/v1/models``
(``assistant.interop.openai_api``), and the UI mounted on ``/`` with ``gr.mount_gradio_app`` under the same rules as
``ui.server.launch_options``: loopback unless ``ui.username``/``ui.password`` are set, logins throttled
(``LoginThrottle``, shared by the UI's sign-in and the APIs' HTTP Basic check), bounded uploads, no analytics, no
share link, no monitoring or MCP endpoints, no server-side rendering.

``serve_asgi`` runs it with uvicorn in this process (``assistant serve``, ``--workers 1``). ``serve_processes`` runs N
such processes on consecutive ports (``assistant serve --workers N``): Gradio's queue (the ``/gradio_api/queue/join``
POST and the event stream that answers it) and ``gr.State`` live in one process's memory, so a browser must keep
talking to one process. uvicorn's ``--workers`` share one socket and spread connections over processes at random,
which would split a session's join and its event stream; so each process gets its own port and a load balancer pins
a browser to one (cookie or client-address affinity, see docs/DEPLOY.md). Everything a conversation needs between
requests (owner token, turns, pending confirmations) is in the store, so a browser moved to another process (its
process crashed) continues its conversations after a reload, and the JSON APIs may go to any process.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from contracts.messages import AssistantError, ErrorCode

__all__ = ["WORKER_ENV", "create_asgi_app", "mount_options", "serve_asgi", "serve_processes", "worker_ports"]

_log = logging.getLogger("assistant.ui")

WORKER_ENV = "ASSISTANT_SERVE_WORKER"
"""Set to ``INDEX/COUNT`` in each process ``serve_processes`` starts (``/api/health`` reports the pid)."""

_MOUNT_KEYS = (
    "auth",
    "auth_message",
    "max_file_size",
    "footer_links",
    "run_history",
    "enable_monitoring",
    "ssr_mode",
    "mcp_server",
    "pwa",
    "show_error",
)
"""The ``launch_options`` that ``gr.mount_gradio_app`` takes too (``share`` and ``quiet`` only exist for launch)."""


def mount_options(config: Any, *, host: str, port: int) -> dict[str, Any]:
    """``ui.server.launch_options`` (the same checks and errors) as ``gr.mount_gradio_app`` keyword arguments."""
    from ui.server import launch_options

    plan = launch_options(config, host=host, port=port)
    options = {key: plan[key] for key in _MOUNT_KEYS}
    options.update(server_name=host, server_port=port)
    return options


def create_asgi_app(assistant: Any, *, host: str, port: int) -> Any:
    """The FastAPI app of one server process (the caller closes ``assistant`` after the server stops)."""
    import gradio as gr
    from fastapi import FastAPI

    from assistant.interop.openai_api import auth_check_from_config, create_openai_router
    from assistant.interop.turn_api import create_turn_router
    from ui.app import CSS, HEAD, create_app, theme

    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("GRADIO_RUN_HISTORY", "False")
    options = mount_options(assistant.config, host=host, port=port)
    auth = auth_check_from_config(assistant.config, verify=options["auth"])  # one throttle for UI and APIs

    app = FastAPI(title="assistant", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(create_turn_router(assistant, auth_check=auth))
    app.include_router(create_openai_router(assistant, auth_check=auth))
    blocks = create_app(assistant)
    blocks.queue(default_concurrency_limit=4)
    return gr.mount_gradio_app(app, blocks, path="/", theme=theme(), css=CSS, head=HEAD, **options)


def check_port_free(host: str, port: int) -> None:
    """Raise AssistantError(config-invalid) with a clear sentence when ``host:port`` is taken."""
    from ui.server import _check_port_free

    _check_port_free(host, port)


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve_asgi(
    assistant: Any,
    *,
    host: str,
    port: int,
    on_listening: Callable[[], None] | None = None,
    block: bool = True,
) -> Any:
    """Serve ``create_asgi_app`` with uvicorn; print the ready line once it listens, then run ``on_listening``.

    Blocks until interrupted (SIGINT/SIGTERM) unless ``block=False``; then it returns the running
    ``uvicorn.Server`` (stop it with ``server.should_exit = True``).
    """
    import uvicorn

    app = create_asgi_app(assistant, host=host, port=port)  # refuses a bad host or auth before listening
    check_port_free(host, port)
    config = uvicorn.Config(
        app,
        host=host.strip("[]"),
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=5,
        ws_max_size=16 * 1024 * 1024,
    )
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.05)
        print(f"Assistant UI ready on {_url(host, port)} (OpenAI-compatible API on /v1, turn API on /api)", flush=True)
        if on_listening is not None:
            on_listening()

    threading.Thread(target=announce, name="serve-ready", daemon=True).start()
    if not block:
        thread = threading.Thread(target=server.run, name="serve", daemon=True)
        thread.start()
        return server
    try:
        server.run()
    finally:
        assistant.close()
    return server


def worker_ports(port: int, workers: int) -> list[int]:
    """The ports of ``workers`` processes: ``port``, ``port + 1``, ..."""
    if workers < 1:
        raise AssistantError(ErrorCode.CONFIG_INVALID, f"--workers must be at least 1, not {workers}.")
    if not port > 0 or port + workers - 1 > 65535:
        raise AssistantError(
            ErrorCode.CONFIG_INVALID,
            f"Ports {port}..{port + workers - 1} are not all valid.",
            details={"key": "ui.port"},
        )
    return [port + i for i in range(workers)]


def _stop_all(procs: Sequence[subprocess.Popen[bytes]], *, grace_s: float = 20.0) -> None:
    """SIGTERM every process still running, then SIGKILL what has not exited after ``grace_s``."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + grace_s
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _supervise(
    procs: list[subprocess.Popen[bytes]],
    start: Callable[[int], subprocess.Popen[bytes]],
    ports: Sequence[int],
    stopping: threading.Event,
    restart_delay_s: float,
) -> None:
    """Start again, after ``restart_delay_s``, every process that exits, until ``stopping`` is set."""
    while not stopping.wait(0.5):
        for i, proc in enumerate(procs):
            code = proc.poll()
            if code is None:
                continue
            _log.warning("UI process %d (port %d) exited with %s; restarting it", i + 1, ports[i], code)
            print(f"UI process {i + 1} on port {ports[i]} exited ({code}); restarting it", file=sys.stderr)
            if stopping.wait(restart_delay_s):
                return
            procs[i] = start(i)


def serve_processes(
    *,
    config: Any,
    host: str,
    port: int,
    workers: int,
    worker_args: Sequence[str] = (),
    restart_delay_s: float = 2.0,
) -> int:
    """Run ``workers`` ``assistant serve`` processes on consecutive ports and keep them running (blocks).

    Each process is ``python -m assistant serve --workers 1 --host HOST --port PORT+i`` plus ``worker_args`` (config
    and home options). A process that exits is started again after ``restart_delay_s``; SIGINT or SIGTERM stops them
    all. Returns 0 after a requested stop.
    """
    ports = worker_ports(port, workers)
    mount_options(config, host=host, port=port)  # the auth and loopback rule, before anything starts
    for p in ports:
        check_port_free(host, p)
    stopping = threading.Event()

    def start(index: int) -> subprocess.Popen[bytes]:
        env = {**os.environ, WORKER_ENV: f"{index + 1}/{workers}", "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "assistant", "serve", "--workers", "1", "--host", host]
        return subprocess.Popen([*cmd, "--port", str(ports[index]), *worker_args], env=env)

    def stop(_signum: int, _frame: Any) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs = [start(i) for i in range(workers)]
    print(
        f"Serving {workers} UI processes on {', '.join(_url(host, p) for p in ports)}: put a load balancer with "
        "sticky sessions in front (docs/DEPLOY.md); the JSON and OpenAI APIs may go to any of them.",
        flush=True,
    )
    try:
        _supervise(procs, start, ports, stopping, restart_delay_s)
    finally:
        _stop_all(procs)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
