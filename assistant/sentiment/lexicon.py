"""Lexicon and rule signals: VADER (negation, intensifiers, 'but' clauses, caps) plus conversational patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["CONVERSATIONAL_PATTERNS", "Pattern", "RuleSignals", "conversational_signals", "is_thanks", "vader"]


@dataclass(frozen=True, slots=True)
class Pattern:
    """A conversational pattern with a polarity contribution."""

    name: str
    """Name shown in the trace."""
    regex: re.Pattern[str]
    """What it matches (lower-cased text)."""
    weight: float
    """Added to the polarity score."""
    kind: str = "general"
    """'correction', 'thanks', 'praise', 'complaint' or 'general'."""


def _p(name: str, pattern: str, weight: float, kind: str = "general") -> Pattern:
    return Pattern(name, re.compile(pattern), weight, kind)


CONVERSATIONAL_PATTERNS: tuple[Pattern, ...] = (
    _p("not-again", r"\bnot again\b|\b(?:again|once more)\?*!+", -0.45, "complaint"),
    _p("ugh", r"\b(?:ugh+|argh+|grr+|ffs|jeez|omg)\b", -0.4, "complaint"),
    _p("fed-up", r"\b(?:fed up|sick (?:and tired )?of|tired of|had enough)\b", -0.4, "complaint"),
    _p("insult", r"\b(?:useless|stupid|dumb|hopeless|pathetic|idiot\w*|incompetent|ridiculous)\b", -0.5, "complaint"),
    _p(
        "correction",
        r"\b(?:that'?s|that is|this is) not what i (?:asked|said|meant|wanted)\b"
        r"|^\s*no[,.!]?\s+i (?:said|meant|asked)\b"
        r"|\bi (?:already|just) (?:said|told you|asked)\b"
        r"|\bnot (?:that|this) one\b|\bwrong (?:one|light|room|device|again)\b"
        r"|\b(?:that'?s|that is|it'?s|you(?:'?re| are| got it)) (?:all )?wrong\b",
        -0.45,
        "correction",
    ),
    _p("not-working", r"\b(?:doesn'?t|does not|didn'?t|did not|isn'?t|is not|won'?t|never) work(?:s|ing|ed)?\b", -0.4),
    _p("why-cant-you", r"\bwhy (?:can'?t|won'?t|don'?t|didn'?t|do) you\b", -0.35, "complaint"),
    _p(
        "repeat-count",
        r"\b(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time\b|\bhow many times\b",
        -0.35,
        "complaint",
    ),
    _p("listening", r"\bare you (?:even )?listening\b|\bforget it\b|\bnever mind,? (?:you|it)\b", -0.4, "complaint"),
    _p("thanks", r"\b(?:thanks?|thank you|thx|ty|cheers|appreciate (?:it|that))\b", 0.4, "thanks"),
    _p(
        "praise",
        r"\b(?:perfect|awesome|brilliant|excellent|great job|nice job|good job|well done"
        r"|you'?re (?:the best|great|a star|amazing|helpful)|love it)\b",
        0.35,
        "praise",
    ),
)
"""Patterns for text typical of talking to an assistant, which review-trained signals miss."""

_vader_instance: Any = None


def vader() -> Any:
    """The shared VADER analyzer (loaded once; read-only afterwards, so thread-safe)."""
    global _vader_instance
    if _vader_instance is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _vader_instance = SentimentIntensityAnalyzer()
    return _vader_instance


@dataclass(frozen=True, slots=True)
class RuleSignals:
    """What the rules found in one text."""

    score: float
    """Sum of pattern weights, clipped to [-1, 1]."""
    hits: tuple[Pattern, ...]
    """Patterns that matched."""


def conversational_signals(text: str, patterns: tuple[Pattern, ...] = CONVERSATIONAL_PATTERNS) -> RuleSignals:
    """Match the conversational patterns against ``text``."""
    lowered = text.lower().replace("’", "'")
    hits = tuple(p for p in patterns if p.regex.search(lowered))
    total = sum(p.weight for p in hits)
    return RuleSignals(max(-1.0, min(1.0, total)), hits)


def is_thanks(text: str) -> bool:
    """True when the text thanks or praises the assistant."""
    return any(p.kind in {"thanks", "praise"} for p in conversational_signals(text).hits)
