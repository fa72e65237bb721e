"""Intent odds learned from the generated template sentences (``NearestSentences.intent_odds``): naive Bayes over the
words and word pairs of every line's delexicalised sentences, with held-out lines left out, deciding among a skill's
intents when it is sure (``Understanding._tie_break``). Requests written for these tests."""

from __future__ import annotations

import pytest

from assistant.nlu.nearest import nearest_sentences
from assistant.nlu.normalize import normalize

TIMERS = ("HassStartTimer", "HassIncreaseTimer", "HassDecreaseTimer", "HassTimerStatus", "HassCancelTimer")


def _tokens(text: str) -> list[str]:
    return ["<n>" if w.isdigit() else w for w in normalize(text).split()]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("create a timer for 20 minutes", "HassStartTimer"),
        ("set a timer for 12 minutes", "HassStartTimer"),
        ("add 5 minutes to my timer", "HassIncreaseTimer"),
        ("take 3 minutes off the timer", "HassDecreaseTimer"),
        ("how much time is left on the timer", "HassTimerStatus"),
    ],
)
def test_the_words_of_a_skills_sentences_tell_its_intents_apart(text: str, want: str) -> None:
    odds = nearest_sentences().intent_odds(_tokens(text), TIMERS)
    assert set(odds) == set(TIMERS)
    assert sum(odds.values()) == pytest.approx(1.0)
    assert max(odds, key=lambda i: odds[i]) == want


def test_held_out_lines_are_left_out_and_the_odds_are_deterministic() -> None:
    ns = nearest_sentences()
    tokens = _tokens("create a timer for 20 minutes")
    lines = sorted({v.unit for vs in ns._by_sig.values() for v in vs if v.intent == "HassStartTimer"})
    assert ns.intent_odds(tokens, TIMERS) == ns.intent_odds(tokens, TIMERS)
    without = ns.intent_odds(tokens, TIMERS, exclude=lines)
    assert without["HassStartTimer"] < ns.intent_odds(tokens, TIMERS)["HassStartTimer"]
    assert without["HassStartTimer"] < 0.5  # no line of it left: nothing learned for it


def test_intents_without_sentences_are_not_scored() -> None:
    odds = nearest_sentences().intent_odds(_tokens("start a timer"), ("HassStartTimer", "NoSuchIntent"))
    assert set(odds) == {"HassStartTimer"}
