"""The nearest generated sentence: a fallback that reads a reworded request as the closest sentence Home Assistant's
templates can say.

Every template line is walked at random (seeded) into delexicalised sentences: ``{name}``, ``{area}`` and ``{floor}``
become placeholders, numbers become ``<n>``, other value lists (colours, states) are drawn. A request is
delexicalised the same way (the home's names, aliases, areas and floors, longest first; digits). Among the generated
sentences with the same placeholders, the one sharing most words and word pairs with the request (Jaccard) is
re-filled with the request's own names and numbers, and the template tier parses it: the answer is an exact parse of
a sentence the templates know, so its intent and slots are valid by construction. Nothing is learned from evaluation
rows; the sentences come from the templates alone.

It is asked when nothing else understood the request, and to tell apart skill intents the similarity tier cannot
(then the sentence may add no word that tells intents apart: ``nearest(adds=False)``). Asking it before the semantic
tier (similarity >= 0.75) was measured and rejected: leave-one-template-out intent+slots 21.38 -> 22.16 %, but SLURP
iot 76.19 -> 73.81 % and device_actions wrong actions 0.39 -> 0.44 %.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hassil.expression import ListReference, Sentence
from hassil.intents import Intents, RangeSlotList, TextSlotList
from hassil.parse_expression import parse_sentence

from assistant.nlu.learn.generate import _Walk
from assistant.nlu.normalize import normalize
from assistant.nlu.templates import ha_intents_data

__all__ = ["NearestSentences", "delexicalise", "nearest_sentences"]

_PLACE = {"name": "<name>", "area": "<area>", "floor": "<floor>"}
NEUTRAL_SHARE = 0.18
"""A word the generated sentences of at least this share of intents say is neutral (it tells no intent apart)."""


@dataclass(frozen=True, slots=True)
class _Variant:
    unit: str
    tokens: tuple[str, ...]
    grams: frozenset[str]

    @property
    def intent(self) -> str:
        return self.unit.split("/", 1)[0]


class _PlaceholderWalk(_Walk):
    def __init__(self, rng: random.Random, rules: Any, lists: Mapping[str, Any]) -> None:
        super().__init__(rng, rules, {})
        self.lists = lists

    def _list(self, ref: ListReference, depth: int) -> str:
        if ref.list_name in _PLACE:
            return f" {_PLACE[ref.list_name]} "
        lst = self.lists.get(ref.list_name)
        if isinstance(lst, RangeSlotList):
            return " <n> "
        if isinstance(lst, TextSlotList) and lst.values:
            return self.text(self.rng.choice(lst.values).text_in, depth + 1)
        self.ok = False  # a wildcard (free text): not generated
        return ""


def _grams(tokens: Sequence[str]) -> frozenset[str]:
    return frozenset((*tokens, *(f"{a} {b}" for a, b in itertools.pairwise(tokens))))


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(normalize(text.replace("<", " ").replace(">", " ")).split())


class NearestSentences:
    """Generated, delexicalised sentences of every template line, grouped by their placeholders."""

    def __init__(self, data: Mapping[str, Any], *, per_line: int = 40, seed: int = 0) -> None:
        """Walk each line of ``data`` (Home Assistant's intents dict) ``per_line`` times."""
        intents = Intents.from_dict(dict(data))
        rules = intents.expansion_rules
        rng = random.Random(seed)
        self._by_sig: dict[tuple[str, ...], list[_Variant]] = defaultdict(list)
        self._unit_grams: dict[str, Counter[str]] = defaultdict(Counter)
        self._intent_grams: dict[str, Counter[str]] = defaultdict(Counter)
        self.vocabulary: set[str] = set()
        intents_of: dict[str, set[str]] = defaultdict(set)
        for name, entry in data.get("intents", {}).items():
            for k, block in enumerate(entry.get("data", [])):
                local = dict(rules)
                for rname, rtext in (block.get("expansion_rules") or {}).items():
                    local[rname] = parse_sentence(rtext, keep_text=True)
                for j, raw in enumerate(block.get("sentences", [])):
                    sentence: Sentence = parse_sentence(raw, keep_text=True)
                    seen: set[tuple[str, ...]] = set()
                    for _ in range(per_line):
                        walk = _PlaceholderWalk(rng, local, intents.slot_lists)
                        text = walk.text(sentence.expression)
                        if not walk.ok:
                            break
                        toks = tuple(_placeholder_tokens(text))
                        if not toks or toks in seen:
                            continue
                        seen.add(toks)
                        self.vocabulary.update(toks)
                        for t in toks:
                            intents_of[t].add(name)
                        sig = tuple(sorted(t for t in toks if t.startswith("<")))
                        variant = _Variant(f"{name}/{k}/{j}", toks, _grams(toks))
                        self._by_sig[sig].append(variant)
                        self._unit_grams[variant.unit].update(variant.grams)
                        self._intent_grams[name].update(variant.grams)
        self._vocabulary_grams: frozenset[str] = frozenset(g for c in self._intent_grams.values() for g in c)
        self._unit_total = {u: c.total() for u, c in self._unit_grams.items()}
        self._intent_total = {i: c.total() for i, c in self._intent_grams.items()}
        spread = max(1, round(NEUTRAL_SHARE * len(data.get("intents", {}))))
        self.spread: dict[str, int] = {t: len(ns) for t, ns in intents_of.items()}
        """How many intents' templates say each word."""
        self.neutral: frozenset[str] = frozenset(t for t, ns in intents_of.items() if len(ns) >= spread)
        """Words the templates of many intents say ('the', 'my', 'in', 'is'): they tell no intent apart."""

    def intent_odds(
        self, tokens: Sequence[str], intents: Collection[str], *, exclude: Collection[str] = ()
    ) -> dict[str, float]:
        """How likely each of ``intents`` is to have said delexicalised ``tokens``, learned from the generated
        sentences (naive Bayes over their words and word pairs, add-one smoothed, equal priors; lines in
        ``exclude`` left out), as probabilities summing to 1 over the intents the templates have. Words that tell
        intents apart ('create', 'add ... to', 'how long') weigh in whatever line said them."""
        grams = [g for g in _grams(tokens) if g in self._vocabulary_grams]
        logs: dict[str, float] = {}
        for intent in intents:
            counts = self._intent_grams.get(intent)
            if not counts:
                continue
            held = [u for u in exclude if u.split("/", 1)[0] == intent and u in self._unit_grams]
            total = self._intent_total[intent] - sum(self._unit_total[u] for u in held) + len(self._vocabulary_grams)
            logs[intent] = sum(
                math.log((counts[g] - sum(self._unit_grams[u][g] for u in held) + 1) / total) for g in grams
            )
        if not logs:
            return {}
        top = max(logs.values())
        weights = {i: math.exp(v - top) for i, v in logs.items()}
        norm = sum(weights.values())
        return {i: w / norm for i, w in weights.items()}

    def nearest(
        self,
        tokens: Sequence[str],
        *,
        exclude: Collection[str] = (),
        top: int = 3,
        adds: bool = True,
        intents: Collection[str] | None = None,
    ) -> list[tuple[float, tuple[str, ...]]]:
        """The ``top`` generated sentences closest to delexicalised ``tokens`` (with the same placeholders), best
        first, as (Jaccard similarity, tokens); lines in ``exclude`` are skipped. A generated sentence must hold every
        request word the templates know that tells intents apart (a dropped 'off' or 'temp' would change the action;
        'the' or 'across' would not), and the request may hold at most one word they never say. With ``adds``
        False, the sentence may not add such a word either (choosing between intents, 'cancel' must be said); with
        ``intents``, only sentences of those intents."""
        sig = tuple(sorted(t for t in tokens if t.startswith("<")))
        grams = _grams(tokens)
        known = {t for t in tokens if t in self.vocabulary and t not in self.neutral}
        unknown = len([t for t in tokens if t not in self.vocabulary])
        said = set(tokens)
        if unknown > 1:
            return []  # more than one word the templates never say: not a rewording of theirs
        scored = [
            (len(grams & v.grams) / len(grams | v.grams), v.tokens)
            for v in self._by_sig.get(sig, ())
            if v.unit not in exclude
            and (intents is None or v.intent in intents)
            and known <= set(v.tokens)
            and (adds or set(v.tokens) - self.neutral <= said)
        ]
        scored.sort(key=lambda p: -p[0])
        out: list[tuple[float, tuple[str, ...]]] = []
        for score, toks in scored:
            if toks not in [t for _s, t in out]:
                out.append((score, toks))
            if len(out) >= top:
                break
        return out


def _placeholder_tokens(text: str) -> list[str]:
    out: list[str] = []
    for piece in re.split(r"(<name>|<area>|<floor>|<n>)", text):
        if piece in ("<name>", "<area>", "<floor>", "<n>"):
            out.append(piece)
        elif piece.strip():
            out.extend(normalize(piece).split())
    return out


def _phrases(index: Any) -> dict[tuple[str, ...], str]:
    phrases: dict[tuple[str, ...], str] = {}
    for e in index.entities.values():
        for n in (e.name, *e.aliases):
            phrases.setdefault(tuple(normalize(n).split()), "<name>")
    for a in index.areas.values():
        for n in (a.name, *a.aliases):
            phrases[tuple(normalize(n).split())] = "<area>"
    for f in index.floors.values():
        for n in (f.name, *getattr(f, "aliases", ())):
            phrases.setdefault(tuple(normalize(n).split()), "<floor>")
    return phrases


def delexicalise(norm: str, index: Any) -> tuple[list[str], list[tuple[str, str]]]:
    """A normalised request as tokens with placeholders, and the (placeholder, words said) fillers in order."""
    phrases = _phrases(index)
    longest = max((len(p) for p in phrases), default=0)
    words = norm.split()
    tokens: list[str] = []
    fillers: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            kind = phrases.get(tuple(words[i : i + size]))
            if kind is not None:
                tokens.append(kind)
                fillers.append((kind, " ".join(words[i : i + size])))
                i += size
                break
        else:
            number = re.fullmatch(r"(\d+(?:\.\d+)?)(%|°)?", words[i])
            if number:
                tokens.append("<n>")
                fillers.append(("<n>", number.group(1)))
                if number.group(2):
                    tokens.append(normalize(number.group(2)) or "%")
            else:
                tokens.append(words[i])
            i += 1
    return tokens, fillers


def refill(tokens: Sequence[str], fillers: Sequence[tuple[str, str]]) -> str | None:
    """The generated sentence with the request's own fillers, in order of kind; None if they do not fit."""
    queues: dict[str, list[str]] = defaultdict(list)
    for kind, said in fillers:
        queues[kind].append(said)
    out = []
    for t in tokens:
        if t in ("<name>", "<area>", "<floor>", "<n>"):
            if not queues[t]:
                return None
            out.append(queues[t].pop(0))
        else:
            out.append(t)
    return " ".join(out)


@lru_cache(maxsize=2)
def nearest_sentences(language: str = "en", per_line: int = 40, seed: int = 0) -> NearestSentences:
    """The generated sentences of Home Assistant's data for a language (built once per process)."""
    return NearestSentences(ha_intents_data(language), per_line=per_line, seed=seed)
