"""The hybrid analyzer's lexicon fast path: when the embedding is skipped, and that the result stays consistent."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from assistant.config import SentimentConfig
from assistant.sentiment import HybridSentimentAnalyzer, create_analyzer
from assistant.sentiment.analyzers import lexicon_decides
from assistant.sentiment.head import PolarityHead
from contracts.messages import SentimentLabel

DIM = 4


class CountingEmbedder:
    """Fake embedder: a fixed vector, and a record of every text it was asked to embed."""

    def __init__(self, vector: Sequence[float]) -> None:
        self.calls: list[str] = []
        self._vector = np.asarray(vector, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.extend(texts)
        return np.tile(self._vector, (len(texts), 1))


def _analyzer(embedder: CountingEmbedder, *, fast_path: bool = True) -> HybridSentimentAnalyzer:
    head = PolarityHead(np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32), 0.0, "fake")
    return HybridSentimentAnalyzer(embedder, model_name="fake", head=head, fast_path=fast_path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("turn on the kitchen light", "command"),
        ("what's the temperature in the bedroom", "command"),
        ("perfect, thanks!", "confident"),
        ("you're useless", "confident"),
        ("the food was not good at all", None),  # negation: the embedding is needed
        ("great screen but the battery dies fast", None),  # contrast
        ("I expected it to be wonderful", None),  # expectation
        ("the film runs two hours", None),  # unmarked statement, not a command
        ("what happened next. it went off", None),  # more than one clause
        ("turn on the Desk Fan", "command"),  # 'fan', 'cool', 'alarm' name devices and modes in a command
        ("set the thermostat to cool", "command"),
        ("turn off the alarm", "command"),
        ("kill the lights", "command"),
        ("I love my new fan", "confident"),  # outside a command the words keep their sentiment
        ("turn off the fan, you useless thing", "confident"),
    ],
)
def test_lexicon_decides(text: str, reason: str | None) -> None:
    analyzer = _analyzer(CountingEmbedder([0.0] * DIM))
    result = analyzer.analyze(text)
    fast = [s for s in result.signals if s.startswith("fast path")]
    assert fast == ([f"fast path: {reason}"] if reason else []), result
    assert analyzer.embedded_turns == (0 if reason else 1)


def test_fast_path_skips_the_embedder_and_keeps_labels() -> None:
    embedder = CountingEmbedder([-1.0, 0.0, 0.0, 0.0])  # an embedding head that would say "negative"
    analyzer = _analyzer(embedder)
    assert analyzer.analyze("turn on the kitchen light").label is SentimentLabel.NEUTRAL
    thanks = analyzer.analyze("wonderful, thank you")
    assert thanks.label is SentimentLabel.POSITIVE and thanks.score >= 0.5
    assert embedder.calls == []
    assert analyzer.analyze("the food was not good at all").label is SentimentLabel.NEGATIVE
    assert embedder.calls == ["the food was not good at all"]


def test_fast_path_off_always_embeds() -> None:
    embedder = CountingEmbedder([0.5, 0.0, 0.0, 0.0])
    analyzer = _analyzer(embedder, fast_path=False)
    analyzer.analyze("turn on the kitchen light")
    analyzer.analyze("perfect, thanks!")
    assert len(embedder.calls) == 2 and analyzer.embedded_turns == 2


def test_margin_is_respected() -> None:
    assert lexicon_decides("this is good", 0.44, marked=True, margin=0.5) is None
    assert lexicon_decides("this is great", 0.62, marked=True, margin=0.5) == "confident"
    assert lexicon_decides("this is great", 0.62, marked=True, margin=0.7) is None
    long_text = "this is great " + "and then some more words " * 6
    assert lexicon_decides(long_text, 0.9, marked=True, margin=0.5) is None


def test_config_reaches_the_analyzer() -> None:
    embedder = CountingEmbedder([0.0] * DIM)
    analyzer = create_analyzer(SentimentConfig(fast_path=False, llm_probe=False), embedder=embedder)
    assert isinstance(analyzer, HybridSentimentAnalyzer)
    analyzer._head = PolarityHead(np.zeros(DIM, dtype=np.float32), 0.0, "fake")
    analyzer.analyze("turn on the kitchen light")
    assert embedder.calls == ["turn on the kitchen light"]
