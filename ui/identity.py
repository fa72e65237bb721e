"""Who is using the UI: the signed-in user when auth is on, else a random token the browser keeps.

Conversations belong to an owner id; the UI passes it to every engine call, so one browser (or user) never lists,
opens or answers another's conversations. The browser token is made on the server and kept in the browser's
localStorage (``gr.BrowserState``), so a reload keeps the owner; the store only ever sees a hash of it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

__all__ = ["API_OWNER", "STORAGE_KEY", "new_token", "owner_for", "valid_token"]

STORAGE_KEY = "assistant-owner"
"""The localStorage key of the browser token."""

API_OWNER = "api"
"""The owner of conversations started through the /chat API without a signed-in user."""

_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,128}")


def new_token() -> str:
    """A fresh random browser token (256 bits)."""
    return secrets.token_urlsafe(32)


def valid_token(token: Any) -> bool:
    """Whether a value read back from the browser has the shape of a token we made."""
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None


def owner_for(*, username: str | None, token: Any) -> tuple[str, str]:
    """(owner id, browser token to keep): ``user:NAME`` when signed in, else ``browser:`` + a hash of the token.

    A missing or malformed token is replaced by a new one, so an owner id is never empty or chosen by the page.
    """
    keep = token if valid_token(token) else new_token()
    if username and username.strip():
        return f"user:{username.strip()}", keep
    return f"browser:{hashlib.sha256(keep.encode()).hexdigest()[:32]}", keep
