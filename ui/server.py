"""Serve the web UI: loopback by default, auth required elsewhere, throttled logins, bounded uploads, no sharing,
no analytics."""

from __future__ import annotations

import hmac
import logging
import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.interop.access import configured_credentials, is_loopback
from assistant.messages import AssistantError, ErrorCode

__all__ = ["LoginThrottle", "is_loopback", "launch_options", "serve"]

_log = logging.getLogger("assistant.ui")

_GLOBAL = "\x00all"
"""The counter every failed login adds to, whatever the username."""


@dataclass(slots=True)
class _Failures:
    count: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    """Gradio's ``auth`` callable: checks one username and password, with exponential back-off after failures.

    After ``free_failures`` wrong logins for a username (or ``global_free_failures`` for all usernames together),
    every login for it (or every login) is refused without being checked for ``base_s`` seconds, doubling with each
    further failure up to ``max_s``. A right login resets its username's counter; a counter idle for ``forget_s``
    starts again from zero. Credentials are compared in constant time.
    """

    def __init__(
        self,
        username: str,
        password: str,
        *,
        free_failures: int = 5,
        global_free_failures: int = 20,
        base_s: float = 1.0,
        max_s: float = 60.0,
        forget_s: float = 900.0,
        max_tracked: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._username = username.encode()
        self._password = password.encode()
        self._free = {False: free_failures, True: global_free_failures}
        self._base_s = base_s
        self._max_s = max_s
        self._forget_s = forget_s
        self._max_tracked = max_tracked
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self.refused = 0
        """Logins refused unchecked because of the back-off (for tests and logs)."""

    def __call__(self, username: str, password: str) -> bool:
        """True only for the right credentials while neither the username nor the whole login is backed off."""
        user_key = "user:" + (username or "").strip().casefold()[:256]
        with self._lock:
            now = self._clock()
            for key in (user_key, _GLOBAL):
                entry = self._failures.get(key)
                if entry is not None and now < entry.blocked_until:
                    self.refused += 1
                    return False
            user_ok = hmac.compare_digest((username or "").encode(), self._username)
            password_ok = hmac.compare_digest((password or "").encode(), self._password)
            if user_ok and password_ok:
                self._failures.pop(user_key, None)
                return True
            for key in (user_key, _GLOBAL):
                self._fail(key, now)
            _log.warning("login failed (%s)", ErrorCode.AUTH_INVALID.value)
            return False

    def _fail(self, key: str, now: float) -> None:
        entry = self._failures.pop(key, None) or _Failures()
        if now - entry.last > self._forget_s:
            entry = _Failures()
        entry.count += 1
        entry.last = now
        over = entry.count - self._free[key == _GLOBAL]
        if over >= 0:
            wait = min(self._max_s, self._base_s * 2.0 ** min(over, 32))
            entry.blocked_until = now + wait
            _log.warning(
                "logins %s refused for %.0f s after %d failures (%s)",
                "of every user" if key == _GLOBAL else "of one username",
                wait,
                entry.count,
                ErrorCode.AUTH_THROTTLED.value,
            )
        self._failures[key] = entry  # most recent last
        while len(self._failures) > self._max_tracked:
            oldest = next(k for k in self._failures if k != _GLOBAL)
            del self._failures[oldest]

    def backoff_s(self, username: str | None = None) -> float:
        """Seconds left before a login for ``username`` (or any login, for None) is checked again."""
        key = _GLOBAL if username is None else "user:" + username.strip().casefold()[:256]
        with self._lock:
            entry = self._failures.get(key)
            return max(0.0, entry.blocked_until - self._clock()) if entry else 0.0


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
