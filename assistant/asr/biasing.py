"""Recognition biasing: the home's entity names, aliases and area names as a bounded Whisper prompt."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["bias_prompt", "unique_names"]

_SPACE = re.compile(r"\s+")


def unique_names(names: Iterable[str]) -> list[str]:
    """Names stripped, whitespace collapsed, de-duplicated case-insensitively, first spelling and order kept."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in names:
        name = _SPACE.sub(" ", str(raw)).strip().strip(",.;:")
        key = name.casefold()
        if name and key not in seen:
            seen.add(key)
            out.append(name)
    return out


def bias_prompt(names: Iterable[str], max_chars: int) -> str | None:
    """Comma-separated names, cut on a name boundary so the prompt is at most ``max_chars``; None when empty.

    Whisper reads the prompt as preceding text, so the names' spelling and capitalisation carry over to the
    transcript ("Hue Go lamp" rather than "you go lamp"). Earlier names win when the budget runs out.
    """
    if max_chars <= 0:
        return None
    parts: list[str] = []
    length = 0
    for name in unique_names(names):
        extra = len(name) + (2 if parts else 0)
        if length + extra > max_chars:
            if not parts and len(name) <= max_chars:
                parts.append(name)
            continue
        parts.append(name)
        length += extra
    return ", ".join(parts) if parts else None
