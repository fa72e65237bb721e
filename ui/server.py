"""Serve the web UI: loopback by default, auth required elsewhere, throttled logins, bounded uploads, no sharing,
no analytics.

``launch_options`` is the rule every way of serving the UI applies. ``assistant serve`` runs ``ui.asgi`` (one FastAPI
app: UI, ``/api``, ``/v1``; ``--workers N`` processes); ``serve`` below is Gradio's own ``launch`` in this process
(UI and ``/v1``), kept for embedding the UI in another program and for tests."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from assistant.interop.access import LoginThrottle, configured_credentials, is_loopback
from contracts.messages import AssistantError, ErrorCode

__all__ = ["LoginThrottle", "is_loopback", "launch_options", "serve"]

_log = logging.getLogger("assistant.ui")


def launch_options(config: Any, *, host: str, port: int) -> dict[str, Any]:
    """Validate the bind address and auth, and build ``launch`` kwargs.

    Raises AssistantError(config-invalid) for a non-loopback host without a username and password, and for a blank
    (empty or whitespace-only) username or password. ``auth`` is a ``LoginThrottle``.
    """
    ui = config.ui
    credentials = configured_credentials(config)  # the one rule every HTTP front end shares
    auth = LoginThrottle(credentials.username, credentials.password) if credentials is not None else None
    if not is_loopback(host) and auth is None:
        raise AssistantError(
            ErrorCode.CONFIG_INVALID,
            f"Refusing to serve the UI on {host}: binding to a non-loopback address requires ui.username and "
            "ui.password in the config (or ASSISTANT_UI__USERNAME / ASSISTANT_UI__PASSWORD). "
            "Use --host 127.0.0.1 for local access only.",
            details={"key": "ui.password", "host": host},
        )
    if not 0 < port < 65536:
        raise AssistantError(ErrorCode.CONFIG_INVALID, f"Invalid UI port {port}.", details={"key": "ui.port"})
    return dict(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="Sign in to your home assistant." if auth else None,
        share=False,
        max_file_size=f"{int(ui.max_upload_mb)}mb",
        footer_links=[],
        run_history=False,
        enable_monitoring=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        show_error=False,
        quiet=True,
    )


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            raise AssistantError(
                ErrorCode.CONFIG_INVALID,
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}. Choose another port with --port.",
                details={"key": "ui.port"},
            ) from exc


def _mount_apis(app: Any, assistant: Any, plan: dict[str, Any]) -> None:
    """Serve the OpenAI-compatible chat API beside the UI, under the UI's sign-in and login back-off."""
    from assistant.interop.openai_api import auth_check_from_config, create_openai_router

    verify = plan.get("auth")
    app.server_app.include_router(
        create_openai_router(assistant, auth_check=auth_check_from_config(assistant.config, verify=verify))
    )


def serve(
    assistant: Any, *, host: str, port: int, block: bool = True, on_listening: Callable[[], None] | None = None
) -> Any:
    """Build and launch the app; prints the URL when it is ready. Blocks until interrupted unless ``block=False``.

    ``on_listening`` runs once the page answers (the CLI starts loading models there).
    """
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("GRADIO_RUN_HISTORY", "False")
    plan = launch_options(assistant.config, host=host, port=port)
    _check_port_free(host, port)
    from ui.app import CSS, HEAD, create_app, theme

    app = create_app(assistant)
    app.queue(default_concurrency_limit=4)
    app.launch(prevent_thread_lock=True, theme=theme(), css=CSS, head=HEAD, **plan)
    _mount_apis(app, assistant, plan)
    shown = f"[{host}]" if ":" in host else host
    print(f"Assistant UI ready on http://{shown}:{port} (OpenAI-compatible API on /v1)", flush=True)
    if on_listening is not None:
        on_listening()
    if not block:
        return app
    try:
        app.block_thread()
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        pass
    finally:
        app.close()
        assistant.close()
    return app
