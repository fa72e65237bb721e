"""Who may connect to the interop servers: loopback by default, credentials (HTTP) or an explicit opt-in (Wyoming).

The HTTP rule is the web UI's (``ui/server.py``'s ``launch_options``): a non-loopback bind needs ``ui.username`` and
``ui.password`` (or ``ASSISTANT_UI__USERNAME`` / ``ASSISTANT_UI__PASSWORD``), set together and not blank. The
Wyoming protocol has no authentication at all, so a non-loopback Wyoming address needs ``allow_remote`` and must sit
on a trusted network.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from assistant.messages import AssistantError, ErrorCode

__all__ = [
    "Credentials",
    "WyomingAddress",
    "check_http_bind",
    "check_wyoming_uri",
    "configured_credentials",
    "constant_time_verify",
    "is_loopback",
]

Verify = Callable[[str, str], bool]
"""(username, password) -> accepted; the UI's ``LoginThrottle`` has this shape."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost' (the same rule as the web UI)."""
    name = host.strip().strip("[]").lower()
    if name in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Credentials:
    """The one username and password of the assistant's web UI, reused by its HTTP APIs."""

    username: str
    """``ui.username``."""
    password: str = ""
    """``ui.password`` (also accepted alone as a Bearer token)."""

    def __repr__(self) -> str:  # never print the password
        return f"Credentials(username={self.username!r}, password='***')"


def configured_credentials(config: Any) -> Credentials | None:
    """``ui.username`` / ``ui.password`` (or their environment variables); None when neither is set.

    Raises AssistantError(config-invalid) when only one is set or one is blank (whitespace only).
    """
    ui = config.ui
    username = ui.username or os.environ.get("ASSISTANT_UI__USERNAME") or None
    password = ui.password or os.environ.get("ASSISTANT_UI__PASSWORD") or None
    if not (username or password):
        return None
    if not (username and password):
        raise AssistantError(
            ErrorCode.CONFIG_INVALID,
            "ui.username and ui.password must be set together (or ASSISTANT_UI__PASSWORD).",
            details={"key": "ui.password" if username else "ui.username"},
        )
    for key, value in (("ui.username", username), ("ui.password", password)):
        if not value.strip():
            raise AssistantError(
                ErrorCode.CONFIG_INVALID,
                f"{key} must not be blank (only spaces); choose a real username and password.",
                details={"key": key},
            )
    return Credentials(username, password)


def check_http_bind(
    config: Any, *, host: str, port: int, what: str = "the OpenAI-compatible API"
) -> Credentials | None:
    """The credentials to require, after checking that ``host`` may be bound (loopback, or credentials are set)."""
    credentials = configured_credentials(config)
    if not is_loopback(host) and credentials is None:
        raise AssistantError(
            ErrorCode.CONFIG_INVALID,
            f"Refusing to serve {what} on {host}: binding to a non-loopback address requires ui.username and "
            "ui.password in the config (or ASSISTANT_UI__USERNAME / ASSISTANT_UI__PASSWORD). "
            "Use --host 127.0.0.1 for local access only.",
            details={"key": "ui.password", "host": host},
        )
    if not 0 < port < 65536:
        raise AssistantError(ErrorCode.CONFIG_INVALID, f"Invalid port {port}.", details={"key": "port"})
    return credentials


def constant_time_verify(credentials: Credentials) -> Verify:
    """A ``Verify`` that compares both values in constant time (no throttling: pass the UI's throttle for that)."""
    user = credentials.username.encode()
    password = credentials.password.encode()

    def verify(username: str, given: str) -> bool:
        user_ok = hmac.compare_digest((username or "").encode(), user)
        password_ok = hmac.compare_digest((given or "").encode(), password)
        return user_ok and password_ok

    return verify


@dataclass(frozen=True, slots=True)
class WyomingAddress:
    """A checked Wyoming server address."""

    uri: str
    """As given: ``tcp://HOST:PORT``, ``unix://PATH`` or ``stdio://``."""
    scheme: str
    """``tcp``, ``unix`` or ``stdio``."""
    host: str | None = None
    """The TCP host."""
    port: int | None = None
    """The TCP port."""


def check_wyoming_uri(uri: str, *, allow_remote: bool = False) -> WyomingAddress:
    """Parse a Wyoming URI and refuse a non-loopback TCP host unless ``allow_remote`` (Wyoming has no auth)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("unix", "stdio"):
        if parsed.scheme == "unix" and not parsed.path:
            raise AssistantError(ErrorCode.CONFIG_INVALID, f"No socket path in {uri!r}.", details={"key": "uri"})
        return WyomingAddress(uri, parsed.scheme)
    if parsed.scheme != "tcp":
        raise AssistantError(
            ErrorCode.CONFIG_INVALID,
            f"Unsupported Wyoming URI {uri!r}: use tcp://HOST:PORT, unix://PATH or stdio://.",
            details={"key": "uri"},
        )
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError as exc:
        raise AssistantError(ErrorCode.CONFIG_INVALID, f"Invalid port in {uri!r}.", details={"key": "uri"}) from exc
    if not host or port is None or not 0 < port < 65536:
        raise AssistantError(
            ErrorCode.CONFIG_INVALID, f"A Wyoming tcp:// URI needs a host and a port: {uri!r}.", details={"key": "uri"}
        )
    if not is_loopback(host) and not allow_remote:
        raise AssistantError(
            ErrorCode.CONFIG_INVALID,
            f"Refusing to serve Wyoming on {host}: the Wyoming protocol has no authentication, so anyone who can "
            "reach the port could control the home. Pass --allow-remote only on a trusted network (e.g. the LAN "
            "Home Assistant is on, behind a firewall), or use tcp://127.0.0.1:PORT.",
            details={"key": "uri", "host": host},
        )
    return WyomingAddress(uri, "tcp", host, port)
