"""Who may connect to the interop servers: loopback by default, credentials (HTTP) or an explicit opt-in (Wyoming).

The HTTP rule is the web UI's (``ui/server.py``'s ``launch_options``): a non-loopback bind needs ``ui.username`` and
``ui.password`` (or ``ASSISTANT_UI__USERNAME`` / ``ASSISTANT_UI__PASSWORD``), set together and not blank. The
Wyoming protocol has no authentication at all, so a non-loopback Wyoming address needs ``allow_remote`` and must sit
on a trusted network.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "Credentials",
    "LoginThrottle",
    "WyomingAddress",
    "check_http_bind",
    "check_wyoming_uri",
    "configured_credentials",
    "constant_time_verify",
    "is_loopback",
]

Verify = Callable[[str, str], bool]
"""(username, password) -> accepted; ``LoginThrottle`` has this shape."""

_log = logging.getLogger("assistant.access")

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
    """A ``Verify`` that compares both values in constant time (no throttling: pass a ``LoginThrottle`` for that)."""
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
