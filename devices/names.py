"""The one normal form of a spoken or written name, shared by the registry and the understanding of requests."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold_accents", "normalize_name"]

_APOSTROPHES = re.compile(r"[’‘`´ʼ]")
_NOT_NAME = re.compile(r"(?:[^\w'.]|_|(?<!\d)\.|\.(?!\d))+")
"""Runs of what a name form drops: punctuation and symbols, '_', and dots other than a decimal point."""


def fold_accents(text: str) -> str:
    """Accents and compatibility forms folded away (NFKD, combining marks dropped): 'Café' → 'Cafe', 'ﬁ' → 'fi'."""
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():
        return decomposed
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def normalize_name(text: str) -> str:
    """The matching form of a name: accents folded, case folded, punctuation to spaces, spaces collapsed.

    Apostrophes stay (one kind, "'"): they belong to spoken words ("Kid’s Room" → "kid's room"); so does the dot of
    a decimal number ('2.4 GHz'). 'Café Lamp' → 'cafe lamp', 'The Kitchen-Light!' → 'the kitchen light'.
    """
    folded = _APOSTROPHES.sub("'", fold_accents(text).casefold())
    return " ".join(_NOT_NAME.sub(" ", folded).split())
