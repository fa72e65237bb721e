"""Home-aware choice among Whisper's n-best hypotheses: a hypothesis that is (nearly) a command of this home wins.

Whisper's beam search returns several hypotheses with their average token log-probabilities. Each is measured
against the home's grammar (``HomeGrammar.nearest``: Home Assistant's sentence patterns with the home's names); a
hypothesis within ``max_cost`` edits (and ``max_cost_per_word`` per heard word) is a *command reading*, scored
``logprob - weight * cost``. The best command reading wins when its acoustic score is within ``max_drop`` of the
top hypothesis, and the transcript becomes its grammar sentence (names spelled as the home spells them, numbers as
digits). When no hypothesis is near the grammar (a question, dictation, a to-do item), the top hypothesis is kept
unchanged: open speech is never forced into a command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.asr.grammar import GrammarMatch, HomeGrammar, grammar_tokens

__all__ = ["Choice", "Hypothesis", "choose"]


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """One beam-search result."""

    text: str
    """Decoded text."""
    logprob: float
    """Average token log-probability (CTranslate2's length-normalised score)."""


@dataclass(frozen=True, slots=True)
class Choice:
    """What the rescorer picked."""

    text: str
    """The transcript to use."""
    source: str
    """'grammar' (an in-grammar sentence) or 'open' (the top hypothesis as decoded)."""
    index: int
    """Which hypothesis it came from (0 = Whisper's best)."""
    cost: float | None = None
    """Grammar edit cost of that hypothesis (None when no hypothesis was near the grammar)."""
    intent: str | None = None
    """The intent of the grammar sentence."""


def choose(
    hypotheses: Sequence[Hypothesis],
    grammar: HomeGrammar,
    *,
    weight: float = 0.3,
    max_cost: float = 1.5,
    max_cost_per_word: float = 0.25,
    max_drop: float = 1.0,
) -> Choice:
    """The grammar reading of the best near-command hypothesis, else the top hypothesis unchanged."""
    if not hypotheses:
        return Choice(text="", source="open", index=0)
    top = hypotheses[0]
    best: tuple[float, int, GrammarMatch] | None = None
    seen: dict[str, GrammarMatch | None] = {}
    for i, hyp in enumerate(hypotheses):
        if top.logprob - hyp.logprob > max_drop:
            continue
        key = " ".join(grammar_tokens(hyp.text))
        if not key:
            continue
        if key not in seen:
            limit = min(max_cost, max_cost_per_word * len(key.split()))
            seen[key] = grammar.nearest(hyp.text, max_cost=limit)
        match = seen[key]
        if match is None:
            continue
        score = hyp.logprob - weight * match.cost
        if best is None or score > best[0]:
            best = (score, i, match)
    if best is None:
        return Choice(text=top.text.strip(), source="open", index=0)
    _score, index, match = best
    return Choice(text=match.text, source="grammar", index=index, cost=match.cost, intent=match.intent)
