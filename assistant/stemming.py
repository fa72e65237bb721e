"""The one English stemmer of the engine (Snowball 'english', a.k.a. Porter2), for retrieval and understanding alike."""

from __future__ import annotations

import threading
from functools import lru_cache

import snowballstemmer

__all__ = ["stem"]

_local = threading.local()


def _stemmer() -> snowballstemmer.EnglishStemmer:
    """A stemmer per thread: a Snowball stemmer object keeps state while it stems a word."""
    found: snowballstemmer.EnglishStemmer | None = getattr(_local, "stemmer", None)
    if found is None:
        found = _local.stemmer = snowballstemmer.stemmer("english")
    return found


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball English stem of a lower-cased word ('heating' → 'heat', 'batteries' → 'batteri').

    A stem is a matching key, not a word: compare stems with stems. Digits and words of up to two letters pass
    unchanged.
    """
    w = word.lower()
    if len(w) <= 2 or w.isdigit():
        return w
    return str(_stemmer().stemWord(w))
