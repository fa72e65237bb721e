"""Routing between the home and the skills: an ungrounded question goes to the knowledge skill, a writing request
to the text-generation skill, never to a guessed device."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.nlu.lexicon import GENERATE, INFO_QUESTION
from contracts.skills import IntentSpec

__all__ = ["PROCEDURAL", "OpenIntent", "OpenIntents", "open_intents", "request_kind"]

PROCEDURAL = re.compile(
    r"^(how (often |long |much |many |soon )?(do|does|did|can|should|would|could|must) (i|we|you|one)\b|how to\b|"
    r"(what|when|where|which|who|how) (should|must|can|do) (i|we)\b|(should|can|could|may|must) (i|we)\b"
    r"(?! (please|turn|switch|set|put|open|close|lock|unlock|start|stop|dim|make|have|get)\b)|"
    r"why (do|does|is|are|did|won't|can't|isn't|doesn't)\b|(tell me|explain|show me) (how|why|what|when|where)\b)"
)
"""How-to and advice questions ('how often should I ...', 'why does ...'): knowledge, not device state."""


@dataclass(frozen=True, slots=True)
class OpenIntent:
    """A skill intent that takes free text: where open questions or writing requests go."""

    name: str
    """Intent name (e.g. FaqAsk, GenerateText)."""
    skill_id: str
    """Owning skill."""
    slot: str | None
    """The free-text slot that receives the request, if the intent declares one."""


@dataclass(frozen=True, slots=True)
class OpenIntents:
    """The open-question and free-writing intents found among the skills' declarations."""

    question: OpenIntent | None = None
    """Answers questions (its examples are mostly questions and it takes free text)."""
    generate: OpenIntent | None = None
    """Writes text (its examples are mostly writing requests and it takes free text)."""
    question_like: frozenset[str] = frozenset()
    """Every skill intent whose examples are mostly questions (weather, help, ...)."""


def _share(examples: Sequence[str], rx: re.Pattern[str]) -> float:
    if not examples:
        return 0.0
    return sum(1 for x in examples if rx.search(x.lower().strip())) / len(examples)


def open_intents(specs: Sequence[tuple[str, IntentSpec]]) -> OpenIntents:
    """Find the open-question and writing intents from what the skills declare (examples and text slots)."""
    question: tuple[float, OpenIntent] | None = None
    generate: tuple[float, OpenIntent] | None = None
    question_like: set[str] = set()
    for sid, spec in specs:
        text_slots = [s for s, kind in spec.slots.items() if kind == "text"]
        q = _share(spec.examples, INFO_QUESTION)
        g = _share(spec.examples, GENERATE)
        if q >= 0.5:
            question_like.add(spec.name)
        if not text_slots:
            continue
        slot = next((s for s in text_slots if s in ("question", "query", "request", "text")), text_slots[0])
        rank = len(spec.examples)
        if q >= 0.6 and q > g and (question is None or rank > question[0]):
            question = (rank, OpenIntent(spec.name, sid, slot))
        if g >= 0.6 and g > q and (generate is None or rank > generate[0]):
            generate = (rank, OpenIntent(spec.name, sid, slot))
    return OpenIntents(
        question=question[1] if question else None,
        generate=generate[1] if generate else None,
        question_like=frozenset(question_like),
    )


def request_kind(norm: str) -> str:
    """'generate', 'procedural' (how-to/advice), 'question' or 'command' for a normalised request."""
    if GENERATE.search(norm):
        return "generate"
    if PROCEDURAL.search(norm):
        return "procedural"
    if INFO_QUESTION.search(norm):
        return "question"
    return "command"
