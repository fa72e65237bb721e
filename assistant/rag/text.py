"""Text helpers for retrieval: word tokens, stemming (the engine's Snowball stemmer), stop words and sentences."""

from __future__ import annotations

import re

from assistant.stemming import stem

__all__ = ["STOP_WORDS", "analyze", "sentences", "stem", "tokens"]

_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_BLOCK_START = re.compile(r"#|[-*+]\s|\d+[.)]\s|\|")

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


def _blocks(text: str) -> list[str]:
    """Paragraphs, with headings and list items as blocks of their own."""
    blocks: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or _BLOCK_START.match(stripped):
            if current:
                blocks.append(" ".join(current))
            current = [stripped] if stripped else []
            if stripped.startswith("#"):
                blocks.append(stripped)
                current = []
        else:
            current.append(stripped)
    if current:
        blocks.append(" ".join(current))
    return blocks


def sentences(text: str) -> list[str]:
    """Split text into sentences (also at blank lines, headings and list items); strips Markdown marks."""
    out: list[str] = []
    for block in _blocks(text):
        for part in _SENTENCE_END.split(block):
            cleaned = re.sub(r"\s+", " ", part.strip().lstrip("#>*-| ").strip())
            if cleaned:
                out.append(cleaned)
    return out
