"""Tiny WAV helpers (stdlib only)."""

from __future__ import annotations

import io
import wave
from collections.abc import Sequence

__all__ = ["concat_wavs"]


def concat_wavs(parts: Sequence[bytes]) -> bytes:
    """Join WAV files with the same format into one WAV (the first part's format wins)."""
    if not parts:
        return b""
    if len(parts) == 1:
        return parts[0]
    out = io.BytesIO()
    with wave.open(io.BytesIO(parts[0]), "rb") as first:
        params = first.getparams()
    with wave.open(out, "wb") as writer:
        writer.setparams(params)
        for part in parts:
            with wave.open(io.BytesIO(part), "rb") as reader:
                writer.writeframes(reader.readframes(reader.getnframes()))
    return out.getvalue()
