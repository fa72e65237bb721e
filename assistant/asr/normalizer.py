"""Whisper's English text normaliser (the one OpenAI's WER figures use), applied to reference and hypothesis alike.

It lowercases, removes punctuation and fillers, expands contractions ("what's" → "what is"), standardises numbers
("five" → "5", "fifty percent" → "50%") and spellings. The implementation is the port shipped in ``transformers``
(``EnglishTextNormalizer``); the British → American spelling table is not embedded, so spellings are left as said.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

__all__ = ["whisper_normalize"]


@lru_cache(maxsize=1)
def _normalizer() -> Callable[[str], str]:
    from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

    return EnglishTextNormalizer({})  # type: ignore[no-any-return]


def whisper_normalize(text: str) -> str:
    """Normalise ``text`` the Whisper way; words separated by single spaces."""
    return " ".join(_normalizer()(text.replace("’", "'")).split())
