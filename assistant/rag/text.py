"""Text helpers for retrieval: word tokens, stemming (the engine's Snowball stemmer) and stop words.

Splitting passages into sentences belongs to answering, which the FAQ skill does (``skills/faq/text.py``)."""

from __future__ import annotations

import re

from assistant.stemming import stem

__all__ = ["STOP_WORDS", "analyze", "stem", "tokens"]

_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)

_STOP_TEXT = """
a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
once only or other our ours ourselves out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until up very was we were what when
where which while who whom why will with would you your yours yourself yourselves s t don shall may might must
also whose many much
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())
"""Function words dropped before BM25 scoring (question words carry no topical signal)."""


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (numbers kept whole, apostrophes inside words kept)."""
    return [m.group(0).lower() for m in _WORD.finditer(text)]


def analyze(text: str) -> list[str]:
    """Index terms: tokens without stop words, stemmed."""
    out: list[str] = []
    for token in tokens(text):
        word = token[:-2] if token.endswith(("'s", "'t")) else token
        if word and word not in STOP_WORDS:
            out.append(stem(word))
    return out
