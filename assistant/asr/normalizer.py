"""Whisper's English text normaliser (the one OpenAI's WER figures use), applied to reference and hypothesis alike.

It lowercases, removes punctuation and fillers, expands contractions ("what's" → "what is"), standardises numbers
("five" → "5", "fifty percent" → "50%") and spellings. The implementation is the port shipped in ``transformers``
(``EnglishTextNormalizer``); the British → American spelling table is not embedded, so spellings are left as said.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

__all__ = ["normalize_text", "whisper_normalize"]


@lru_cache(maxsize=1)
def _normalizer() -> Callable[[str], str]:
    from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

    return EnglishTextNormalizer({})  # type: ignore[no-any-return]


def whisper_normalize(text: str) -> str:
    """Normalise ``text`` the Whisper way; words separated by single spaces."""
    return " ".join(_normalizer()(text.replace("’", "'")).split())


# normalize_text keeps its own small number reader on purpose (not text2num as the NLU does): it is the matching key
# of the grammar decoder and of the ASR tests, applied alike to grammar sentences and transcripts, and every number word
# must become digits there ('one' and 'zero' included) while ordinals and 'a hundred' stay words: text2num writes
# 'second' as '2nd', 'first' as '1st' and 'a hundred' as 'a 100', which would change the grammar. The WER figures
# use whisper_normalize above (OpenAI's normaliser as ported in transformers), not this.
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}


def _numbers_to_digits(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in _UNITS or word in _TENS:
            value = _UNITS.get(word, _TENS.get(word, 0))
            i += 1
            if word in _TENS and i < len(words) and words[i] in _UNITS and 0 < _UNITS[words[i]] < 10:
                value += _UNITS[words[i]]
                i += 1
            if i < len(words) and words[i] == "hundred":
                value *= 100
                i += 1
                if i + 1 < len(words) and words[i] == "and" and (words[i + 1] in _UNITS or words[i + 1] in _TENS):
                    i += 1
                if i < len(words) and (words[i] in _UNITS or words[i] in _TENS):
                    rest = _numbers_to_digits(words[i : i + 2])
                    if rest and rest[0].isdigit():
                        value += int(rest[0])
                        i += 2 if len(rest) == 1 and len(words[i : i + 2]) == 2 else 1
            out.append(str(value))
            continue
        out.append(word)
        i += 1
    return out


def normalize_text(text: str) -> str:
    """Lowercase, '%' → ' percent', punctuation stripped (apostrophes kept), number words → digits."""
    lowered = text.lower().replace("’", "'").replace("%", " percent ")
    lowered = re.sub(r"(?<=\d),(?=\d{3})", "", lowered)
    lowered = re.sub(r"[-/]", " ", lowered)
    lowered = re.sub(r"[^\w\s']", " ", lowered)
    words = [w.strip("'") for w in lowered.split()]
    return " ".join(_numbers_to_digits([w for w in words if w]))
