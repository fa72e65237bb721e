"""The home's command grammar for recognition: Home Assistant's sentence patterns with the home's names in the slots.

Speech-to-Phrase's idea, applied after Whisper instead of instead of it: the sentences a home understands form a
finite graph (hassil's templates compiled to a word FST, with ``{name}``, ``{area}``, ``{brightness}``... as slot
arcs). ``HomeGrammar.nearest`` finds the in-grammar sentence closest to a transcript (a word edit distance over the
graph, substitutions priced by spelling and sound, so "activate wood lighting" is 0.7 away from "activate Mood
Lighting" and "said bed light brightness 50%" 0.9 away from "set bed light brightness 50 percent"). The rescorer
(``assistant.asr.rescoring``) uses that distance to prefer n-best hypotheses that are commands of this home, and
repairs a hypothesis to its grammar sentence only when it is close; anything far from the grammar (questions,
dictation, to-do items) is left as Whisper heard it.

The graph is compiled once per language (~1 s); the home's names are slot values, passed per call, so a registry
change costs nothing. Name slots accept every name (hassil's domain constraints are not applied): a superset.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import Levenshtein

from assistant.asr.correction import phonetic_key
from assistant.asr.normalizer import normalize_text

__all__ = ["GrammarMatch", "HomeGrammar", "grammar_tokens"]

_EPS, _WORD, _SLOT = 0, 1, 2
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_SLOT_WORD = re.compile(r"^\{(\w+)\}(.*)$")
_SUFFIX_WORDS = {"%": "percent", "°": "degrees", "k": "kelvin", "kelvin": "kelvin"}
_MAX_SLOT_WORDS = 4
_INF = float("inf")


def grammar_tokens(text: str) -> list[str]:
    """Lower-case words for matching: '%' → percent, '°' → degrees, number words → digits, punctuation dropped."""
    return normalize_text(text.replace("°", " degrees ")).split()


@dataclass(frozen=True, slots=True)
class GrammarMatch:
    """The in-grammar sentence nearest to a transcript."""

    text: str
    """The grammar sentence, slot values spelled as the home spells them ('set Bed Light brightness to 50 percent')."""
    cost: float
    """Word edit distance to the transcript (substitutions of similar-sounding words cost 0.5-1)."""
    words: int
    """Words in the transcript."""
    intent: str
    """The Home Assistant intent whose sentence it is."""


@dataclass(frozen=True, slots=True)
class _Graph:
    rank: dict[int, int]
    """State → its place in a topological order."""
    arcs: dict[int, tuple[tuple[int, str, int], ...]]
    """state → (kind, label, next state)."""
    finals: frozenset[int]
    start: int
    intent_of: dict[int, str]
    """First state of each intent's sub-graph → intent name."""
    vocab: dict[int, tuple[frozenset[str], frozenset[str]]]
    """First state of each intent's sub-graph → (words, slots) on its arcs."""
    ranges: frozenset[str]
    """Slots that take a number."""
    values: dict[str, tuple[str, ...]]
    """Other slots' values (colours, states, modes...), template syntax expanded."""


def _expand(template: str) -> list[str]:
    from hassil.parse_expression import parse_sentence
    from hassil.sample import sample_expression

    try:
        return sorted({" ".join(s.split()) for s in sample_expression(parse_sentence(template).expression)})
    except Exception:  # an unusual template: take it literally
        return [template]


def _slot_lists(data: dict[str, Any]) -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """Which slot reads which list: walks every template (and expansion rule) for ``{list:slot}`` references."""
    from hassil import Intents
    from hassil.expression import Alternative, Group, ListReference, RuleReference

    intents = Intents.from_dict(data)
    slot_to_lists: dict[str, set[str]] = {}
    seen_rules: set[str] = set()

    def walk(expr: Any, rules: dict[str, Any]) -> None:
        if isinstance(expr, ListReference):
            slot_to_lists.setdefault(expr.slot_name, set()).add(expr.list_name)
        elif isinstance(expr, Group | Alternative) or hasattr(expr, "items"):
            for item in getattr(expr, "items", ()):
                walk(item, rules)
        elif isinstance(expr, RuleReference) and expr.rule_name not in seen_rules:
            seen_rules.add(expr.rule_name)
            body = rules.get(expr.rule_name)
            if body is not None:
                walk(body.expression, rules)

    for intent in intents.intents.values():
        for intent_data in intent.data:
            rules = {**intents.expansion_rules, **intent_data.expansion_rules}
            seen_rules.clear()
            for sentence in intent_data.sentences:
                walk(sentence.expression, rules)
    raw = data.get("lists", {})
    ranges: set[str] = set()
    values: dict[str, set[str]] = {}
    for slot, lists in slot_to_lists.items():
        for name in lists:
            spec = raw.get(name) or {}
            if "range" in spec:
                ranges.add(slot)
            for value in spec.get("values", ()):
                text = value.get("in") if isinstance(value, dict) else str(value)
                if text:
                    values.setdefault(slot, set()).update(_expand(str(text)))
    return frozenset(ranges), {k: tuple(sorted(v)) for k, v in values.items()}


def _split_label(label: str) -> list[tuple[int, str]]:
    """A hassil FST word as (kind, label) steps: '{brightness}%' → slot brightness, word percent."""
    if label in ("<eps>", "<skip>", "<space>"):
        return [(_EPS, "")]
    slot = _SLOT_WORD.match(label)
    if slot:
        steps = [(_SLOT, slot.group(1))]
        rest = slot.group(2).lstrip("-")
        if rest:
            steps += [(_WORD, w) for w in grammar_tokens(_SUFFIX_WORDS.get(rest, rest))]
        return steps
    word = _SUFFIX_WORDS.get(label, label)
    return [(_WORD, w) for w in grammar_tokens(word)] or [(_EPS, "")]


@lru_cache(maxsize=2)
def _graph(language: str) -> _Graph:
    from hassil import Intents
    from hassil.fst import intents_to_fst

    from assistant.nlu.templates import ha_intents_data

    data = ha_intents_data(language)
    fst = intents_to_fst(Intents.from_dict(data)).remove_spaces()
    arcs: dict[int, list[tuple[int, str, int]]] = {}
    next_state = max(fst.states) + 1
    intent_of: dict[int, str] = {}
    for state, out in fst.arcs.items():
        for arc in out:
            if arc.out_label.startswith("intent:"):
                intent_of[arc.to_state] = arc.out_label.split(":", 1)[1]
            steps = _split_label(arc.in_label)
            src = state
            for i, (kind, label) in enumerate(steps):
                dst = arc.to_state if i == len(steps) - 1 else next_state
                if dst == next_state:
                    next_state += 1
                arcs.setdefault(src, []).append((kind, label, dst))
                src = dst
    indegree: dict[int, int] = {}
    for steps_out in arcs.values():
        for _k, _l, dst in steps_out:
            indegree[dst] = indegree.get(dst, 0) + 1
    stack = [fst.start]
    order: list[int] = []
    while stack:  # the template graph is acyclic: Kahn's order
        state = stack.pop()
        order.append(state)
        for _k, _l, dst in arcs.get(state, ()):
            indegree[dst] -= 1
            if indegree[dst] == 0:
                stack.append(dst)
    vocab: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
    for root in intent_of:
        words: set[str] = set()
        slots: set[str] = set()
        todo, seen = [root], {root}
        while todo:
            for kind, label, dst in arcs.get(todo.pop(), ()):
                (words if kind == _WORD else slots if kind == _SLOT else set()).add(label)
                if dst not in seen:
                    seen.add(dst)
                    todo.append(dst)
        vocab[root] = (frozenset(words), frozenset(slots))
    ranges, values = _slot_lists(data)
    return _Graph(
        rank={state: i for i, state in enumerate(order)},
        arcs={s: tuple(a) for s, a in arcs.items()},
        finals=frozenset(fst.final_states),
        start=fst.start,
        intent_of=intent_of,
        vocab=vocab,
        ranges=ranges,
        values=values,
    )


@lru_cache(maxsize=8192)
def _key(word: str) -> str:
    return phonetic_key(word)


def _similarity(a: str, b: str) -> float:
    spelling = Levenshtein.normalized_similarity(a, b)
    sound = Levenshtein.normalized_similarity(_key(a), _key(b))
    return float(spelling + sound) / 2.0


class HomeGrammar:
    """Home Assistant's sentences over one home's names; ``nearest`` finds the closest in-grammar sentence."""

    def __init__(self, names: Iterable[str], *, language: str = "en", min_similarity: float = 0.5) -> None:
        """``names``: entity, area and floor names and aliases (all fill every name, area and floor slot)."""
        self._graph = _graph(language)
        phrases = {" ".join(grammar_tokens(n)): n for n in names if grammar_tokens(n)}
        self._names = phrases
        self._slot_values: dict[str, dict[str, str]] = {
            slot: {" ".join(grammar_tokens(v)): v for v in vals if grammar_tokens(v)}
            for slot, vals in self._graph.values.items()
        }
        for slot in ("name", "area", "floor"):
            self._slot_values[slot] = dict(phrases)
        self._min_similarity = min_similarity
        self._sub_cache: dict[tuple[str, str], float] = {}
        self._bound_cache: dict[tuple[int, tuple[str, ...]], float] = {}

    @property
    def names(self) -> tuple[str, ...]:
        """The names the slots accept."""
        return tuple(self._names.values())

    def _sub(self, grammar_word: str, heard: str) -> float:
        """Cost of hearing ``heard`` where the grammar has ``grammar_word``: 0 equal, 0.5-1 alike, else 1."""
        if grammar_word == heard:
            return 0.0
        key = (grammar_word, heard)
        cost = self._sub_cache.get(key)
        if cost is None:
            sim = _similarity(grammar_word, heard)
            cost = 1.0 - 0.5 * sim if sim >= self._min_similarity else 1.0
            self._sub_cache[key] = cost
        return cost

    def _phrase_cost(self, value: Sequence[str], span: Sequence[str]) -> float:
        previous = [float(j) for j in range(len(span) + 1)]
        for i, word in enumerate(value, start=1):
            current = [float(i)] + [0.0] * len(span)
            for j, heard in enumerate(span, start=1):
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + self._sub(word, heard))
            previous = current
        return previous[-1]

    def _slot_spans(self, slot: str, hyp: Sequence[str], max_cost: float) -> list[list[tuple[int, float, str]]]:
        """For each start position: (words consumed, cost, value written) of the slot's best fits."""
        spans: list[list[tuple[int, float, str]]] = [[] for _ in range(len(hyp) + 1)]
        if slot in self._graph.ranges:
            for j, word in enumerate(hyp):
                if _NUMBER.match(word):
                    spans[j].append((1, 0.0, word))
            return spans
        values = self._slot_values.get(slot)
        if not values:
            return spans
        for j in range(len(hyp)):
            best: dict[int, tuple[float, str]] = {}
            for key, shown in values.items():
                words = key.split()
                for k in range(max(1, len(words) - 1), min(len(words) + 1, _MAX_SLOT_WORDS, len(hyp) - j) + 1):
                    cost = self._phrase_cost(words, hyp[j : j + k])
                    if cost > 0.5 * len(words):
                        continue  # a value must be half heard: 'mad' is no evidence for 'Kitchen'
                    if cost <= max_cost and cost < best.get(k, (_INF, ""))[0]:
                        best[k] = (cost, shown)
            spans[j] = [(k, cost, shown) for k, (cost, shown) in best.items()]
        return spans

    def _lower_bound(self, root: int, hyp: Sequence[str]) -> float:
        """No sentence of this intent is nearer than this: each heard word costs its cheapest match in the intent."""
        words, slots = self._graph.vocab[root]
        key = (root, tuple(hyp))
        bound = self._bound_cache.get(key)
        if bound is not None:
            return bound
        slot_words: set[str] = set()
        numbers = False
        for slot in slots:
            if slot in self._graph.ranges:
                numbers = True
            for value in self._slot_values.get(slot, ()):
                slot_words.update(value.split())
        bound = 0.0
        for heard in hyp:
            if heard in words or heard in slot_words or (numbers and _NUMBER.match(heard)):
                continue
            bound += min([1.0, *(self._sub(w, heard) for w in words | slot_words)])
        self._bound_cache[key] = bound
        return bound

    def nearest(self, text: str, *, max_cost: float = 3.0) -> GrammarMatch | None:
        """The in-grammar sentence within ``max_cost`` word edits of ``text`` with the least cost, or None."""
        hyp = grammar_tokens(text)
        if not hyp:
            return None
        g = self._graph
        n = len(hyp)
        cost: dict[int, list[float]] = {g.start: [float(j) for j in range(n + 1)]}
        back: dict[int, list[tuple[int, int, str] | None]] = {g.start: [None] * (n + 1)}
        spans_cache: dict[str, list[list[tuple[int, float, str]]]] = {}
        pruned = {root for root in g.intent_of if self._lower_bound(root, hyp) > max_cost}

        queue = [(g.rank[g.start], g.start)]
        bound = [max_cost]  # lowered to the best complete match found so far

        def relax(state: int, j: int, value: float, step: tuple[int, int, str]) -> None:
            if value > bound[0]:
                return
            if j == n and state in g.finals:
                bound[0] = value
            row = cost.get(state)
            if row is None:
                row = cost[state] = [_INF] * (n + 1)
                back[state] = [None] * (n + 1)
                heapq.heappush(queue, (g.rank[state], state))
            if value < row[j]:
                row[j] = value
                back[state][j] = step

        while queue:  # only the states reached within max_cost, in topological order
            _rank, state = heapq.heappop(queue)
            row = cost[state]
            for j in range(1, n + 1):  # a heard word the grammar does not have
                if row[j - 1] + 1.0 < row[j]:
                    row[j] = row[j - 1] + 1.0
                    back[state][j] = (state, j - 1, "")
            for kind, label, dst in g.arcs.get(state, ()):
                if dst in pruned:
                    continue
                for j, here in enumerate(row):
                    if here > bound[0]:
                        continue
                    if kind == _EPS:
                        relax(dst, j, here, (state, j, ""))
                    elif kind == _WORD:
                        relax(dst, j, here + 1.0, (state, j, label))  # a grammar word not heard
                        if j < n:
                            relax(dst, j + 1, here + self._sub(label, hyp[j]), (state, j, label))
                    else:
                        spans = spans_cache.get(label)
                        if spans is None:
                            spans = spans_cache[label] = self._slot_spans(label, hyp, max_cost)
                        for k, extra, shown in spans[j]:
                            relax(dst, j + k, here + extra, (state, j, shown))
        best_state, best = -1, _INF
        for state in g.finals:
            final_row = cost.get(state)
            if final_row is not None and final_row[n] < best:
                best_state, best = state, final_row[n]
        if best_state < 0 or best > max_cost:
            return None
        words: list[str] = []
        intent = ""
        state, j = best_state, n
        while True:
            step = back[state][j]
            if step is None:
                break
            if state in g.intent_of:
                intent = g.intent_of[state]
            prev_state, prev_j, shown = step
            if shown:
                words.append(shown)
            state, j = prev_state, prev_j
        if state in g.intent_of:
            intent = g.intent_of[state]
        return GrammarMatch(text=" ".join(reversed(words)), cost=round(best, 3), words=n, intent=intent)
