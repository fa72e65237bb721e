"""Serve the web UI: loopback by default, auth required elsewhere, bounded uploads, no sharing, no analytics."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from assistant.messages import AssistantError, ErrorCode

__all__ = ["is_loopback", "launch_options", "serve"]

_log = logging.getLogger("assistant.ui")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    name = host.strip().strip("[]").lower()
    if name in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def launch_options(config: Any, *, host: str, port: int) -> dict[str, Any]:
    """Validate the bind address and auth, and build ``launch`` kwargs.

    Raises AssistantError(config-invalid) for a non-loopback host without a username and password.
    """
    ui = config.ui
    username = ui.username or os.environ.get("ASSISTANT_UI__USERNAME") or None
    password = ui.password or os.environ.get("ASSISTANT_UI__PASSWORD") or None
    auth: tuple[str, str] | None = None
    if username or password:
        if not (username and password):
            raise AssistantError(
                ErrorCode.CONFIG_INVALID,
                "ui.username and ui.password must be set together (or ASSISTANT_UI__PASSWORD).",
                details={"key": "ui.password" if username else "ui.username"},
            )
        auth = (username, password)
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
    from ui.app import CSS, create_app, theme

    app = create_app(assistant)
    app.queue(default_concurrency_limit=4)
    app.launch(prevent_thread_lock=True, theme=theme(), css=CSS, **plan)
    shown = f"[{host}]" if ":" in host else host
    print(f"Assistant UI ready on http://{shown}:{port}", flush=True)
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
