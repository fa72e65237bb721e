"""Vocabulary-constrained post-correction: snap near-miss words to the home's names and the command words.

A transcript word (or pair of words) that is not in the vocabulary is replaced by a vocabulary entry only when the
snap is confident: the spelling and a coarse phonetic key must both be close (normalised Levenshtein similarity at
or above ``min_similarity``), the best entry must beat the runner-up by ``min_margin``, and the word must not be an
inflection of the entry ("minutes" is never snapped to "minute"). Words already in the vocabulary are never touched,
and a common English word (``common``, e.g. the model tokenizer's whole-word tokens) is only snapped together with
its neighbour to a two-word name ("bad light" → "Bed Light"), never alone ("could" stays, though "cold" is a
command word), so a correct sentence cannot be made wrong by a name that merely sounds alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

__all__ = ["Snap", "VocabularySnapper", "phonetic_key"]

_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_PHONETIC_RULES = (
    (re.compile(r"ph"), "f"),
    (re.compile(r"ck|q|c(?=[aou])|c$"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"[zx]"), "s"),
    (re.compile(r"gh"), ""),
    (re.compile(r"[bp]"), "p"),
    (re.compile(r"[dt]"), "t"),
    (re.compile(r"[gj]"), "k"),
    (re.compile(r"v"), "f"),
)
_INFLECTIONS = ("s", "es", "ed", "d", "ing", "er", "r", "'s")
_MIN_CHARS = 4


def phonetic_key(word: str) -> str:
    """A coarse sound key: voiced/unvoiced pairs merged, vowels after the first letter dropped, repeats collapsed."""
    text = re.sub(r"[^a-z]", "", word.lower())
    if not text:
        return ""
    for pattern, repl in _PHONETIC_RULES:
        text = pattern.sub(repl, text)
    head, tail = text[:1], re.sub(r"[aeiouyhw]", "", text[1:])
    return re.sub(r"(.)\1+", r"\1", head + tail)


def _similarity(a: str, b: str) -> float:
    return float(Levenshtein.normalized_similarity(a, b))


def _inflected(word: str, entry: str) -> bool:
    return any(word == entry + s or entry == word + s for s in _INFLECTIONS)


@dataclass(frozen=True, slots=True)
class Snap:
    """One replacement made."""

    heard: str
    """The transcript words replaced."""
    entry: str
    """The vocabulary entry written instead."""
    score: float
    """Combined spelling and sound similarity, 0..1."""


class VocabularySnapper:
    """Snaps near-miss words of a transcript to a fixed vocabulary of phrases (names) and single words."""

    def __init__(
        self,
        phrases: Iterable[str],
        words: Iterable[str] = (),
        *,
        min_similarity: float = 0.8,
        min_margin: float = 0.08,
        common: Iterable[str] = (),
    ) -> None:
        entries = {" ".join(_WORD.findall(p)) for p in [*phrases, *words]}
        self._entries = sorted(e for e in entries if e)
        self._known = {_plain(w) for e in self._entries for w in e.split()}
        self._keys = {e: (_plain(e).replace(" ", ""), phonetic_key(e)) for e in self._entries}
        self._common = {_plain(w) for w in common} - self._known
        self._min_similarity = min_similarity
        self._min_margin = min_margin

    @property
    def vocabulary(self) -> frozenset[str]:
        """Lower-cased words the snapper knows (never replaced)."""
        return frozenset(self._known)

    def _best(self, heard: str, n_words: int, same_count: bool) -> tuple[str, float] | None:
        letters = _plain(heard).replace(" ", "")
        if len(letters) < _MIN_CHARS:
            return None
        key = phonetic_key(heard)
        scored: list[tuple[float, str]] = []
        for entry, (entry_letters, entry_key) in self._keys.items():
            entry_words = len(entry.split())
            if abs(entry_words - n_words) > 1 or (same_count and entry_words != n_words):
                continue
            if _inflected(letters, entry_letters):
                continue
            spelling, sound = _similarity(letters, entry_letters), _similarity(key, entry_key)
            if min(spelling, sound) >= self._min_similarity:
                scored.append(((spelling + sound) / 2, entry))
        if not scored:
            return None
        scored.sort(reverse=True)
        best_score, best = scored[0]
        if len(scored) > 1 and best_score - scored[1][0] < self._min_margin:
            return None
        return best, best_score

    def correct(self, text: str) -> tuple[str, list[Snap]]:
        """The text with confident snaps applied (other characters kept), and the snaps made."""
        matches = list(_WORD.finditer(text))
        out: list[str] = []
        snaps: list[Snap] = []
        cursor = i = 0
        while i < len(matches):
            done = False
            for width in (2, 1):  # a pair first: "Active Acre" may be one word said as two
                group = matches[i : i + width]
                known = [_plain(m.group()) in self._known for m in group]
                if len(group) < width or all(known):
                    continue
                if width == 1 and _plain(group[0].group()) in self._common:
                    continue  # a real word on its own: not a near miss
                if width == 2 and text[group[0].end() : group[1].start()].strip():
                    continue  # punctuation between the words: not one phrase
                heard = " ".join(m.group() for m in group)
                found = self._best(heard, width, same_count=any(known))  # never drop a known word
                if found is None:
                    continue
                entry, score = found
                out.append(text[cursor : group[0].start()])
                out.append(_match_case(entry, group[0].group()))
                snaps.append(Snap(heard=heard, entry=entry, score=round(score, 3)))
                cursor, i, done = group[-1].end(), i + width, True
                break
            if not done:
                i += 1
        out.append(text[cursor:])
        return "".join(out), snaps


def _plain(word: str) -> str:
    return word.lower().replace("'", "")


def _match_case(entry: str, heard: str) -> str:
    if entry.islower() and heard[:1].isupper():
        return entry[:1].upper() + entry[1:]
    return entry
