"""The sentiment analyzers: lexicon rules, the hybrid analyzer with the real embedder, configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.config import EmbeddingsConfig, SentimentConfig
from assistant.embeddings import SentenceTransformerEmbedder, create_embedder
from assistant.sentiment import (
    HybridSentimentAnalyzer,
    TransformersSentimentAnalyzer,
    VaderSentimentAnalyzer,
    create_analyzer,
    label_for,
)
from assistant.sentiment.head import HEAD_FILE, fingerprint, load_or_train_head
from assistant.sentiment.lexicon import conversational_signals, is_thanks
from contracts.messages import AssistantError, ErrorCode, SentimentLabel

CONVERSATIONAL = Path(__file__).with_name("conversational.yaml")


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    return create_embedder(EmbeddingsConfig(device="cpu"))


@pytest.fixture(scope="session")
def hybrid(embedder: SentenceTransformerEmbedder) -> HybridSentimentAnalyzer:
    analyzer = create_analyzer(SentimentConfig(), embedder=embedder)
    assert isinstance(analyzer, HybridSentimentAnalyzer)
    return analyzer


def test_label_for_bands() -> None:
    assert label_for(0.05, 0.2)[0] is SentimentLabel.NEUTRAL
    assert label_for(0.5, 0.2)[0] is SentimentLabel.POSITIVE
    assert label_for(-0.5, 0.2)[0] is SentimentLabel.NEGATIVE
    assert label_for(-1.0, 0.2)[1] == 1.0


def test_conversational_patterns() -> None:
    assert {p.name for p in conversational_signals("Ugh, not again!").hits} >= {"ugh", "not-again"}
    assert [p.kind for p in conversational_signals("No, I said the kitchen").hits] == ["correction"]
    assert conversational_signals("that's not what I asked").score < 0
    assert is_thanks("perfect, thanks!")
    assert not is_thanks("turn on the kitchen light")


def test_vader_engine_handles_negation_and_intensifiers() -> None:
    vader = create_analyzer(SentimentConfig(engine="vader"), embedder=None)
    assert isinstance(vader, VaderSentimentAnalyzer)
    good, not_good = vader.analyze("the movie was good"), vader.analyze("the movie was not good")
    very_good = vader.analyze("the movie was very good")
    assert good.score > 0 > not_good.score
    assert very_good.score > good.score


def test_hybrid_without_embedder_falls_back_to_rules() -> None:
    assert isinstance(create_analyzer(SentimentConfig(), embedder=None), VaderSentimentAnalyzer)


@pytest.mark.slow
def test_transformers_engine_needs_a_model() -> None:
    with pytest.raises(AssistantError) as info:
        create_analyzer(SentimentConfig(engine="transformers"), embedder=None)
    assert info.value.code is ErrorCode.CONFIG_INVALID
    analyzer = create_analyzer(SentimentConfig(engine="transformers", model="/nonexistent/model"), embedder=None)
    assert isinstance(analyzer, TransformersSentimentAnalyzer)
    with pytest.raises(AssistantError) as load_error:
        analyzer.analyze("hello")
    assert load_error.value.code is ErrorCode.MODEL_UNAVAILABLE


def test_shipped_head_matches_shipped_data() -> None:
    import numpy as np

    assert HEAD_FILE.exists(), "run python -m assistant.sentiment.train"
    with np.load(HEAD_FILE) as data:
        assert str(data["fingerprint"]) == fingerprint("all-MiniLM-L6-v2")


@pytest.mark.slow
def test_commands_are_neutral(hybrid: HybridSentimentAnalyzer) -> None:
    for text in (
        "turn on the kitchen light",
        "turn off the lights",
        "set the thermostat to 20 degrees",
        "what time is it",
        "which windows are open",
    ):
        result = hybrid.analyze(text)
        assert result.label is SentimentLabel.NEUTRAL, (text, result)


@pytest.mark.slow
def test_negation_flips_polarity(hybrid: HybridSentimentAnalyzer) -> None:
    assert hybrid.analyze("the food was good").label is SentimentLabel.POSITIVE
    assert hybrid.analyze("the food was not good at all").label is SentimentLabel.NEGATIVE
    assert hybrid.analyze("it's not bad, actually").score > hybrid.analyze("it's bad").score


@pytest.mark.slow
def test_intensifier_strengthens(hybrid: HybridSentimentAnalyzer) -> None:
    assert hybrid.analyze("this is extremely good!").score > hybrid.analyze("this is good").score


@pytest.mark.slow
def test_conversational_examples(hybrid: HybridSentimentAnalyzer) -> None:
    for text in ("ugh, not again", "you're useless", "that's not what I asked"):
        result = hybrid.analyze(text)
        assert result.label is SentimentLabel.NEGATIVE, (text, result)
        assert any(s.startswith("pattern") for s in result.signals)
    thanks = hybrid.analyze("perfect, thanks!")
    assert thanks.label is SentimentLabel.POSITIVE and 0 < thanks.confidence <= 1


@pytest.mark.slow
def test_conversational_set_mostly_right(hybrid: HybridSentimentAnalyzer) -> None:
    data = yaml.safe_load(CONVERSATIONAL.read_text(encoding="utf-8"))
    total = right = 0
    for label, texts in data.items():
        for text in texts:
            total += 1
            right += hybrid.analyze(text).label.value == label
    assert right / total >= 0.85, f"{right}/{total}"


@pytest.mark.slow
def test_trains_a_head_when_the_shipped_one_does_not_fit(embedder: SentenceTransformerEmbedder) -> None:
    head = load_or_train_head(embedder, "another-model")
    assert head.fingerprint == fingerprint("another-model", lexicon=False)
    assert head.weights.shape == (384,)


def test_correction_patterns_cover_common_phrasings() -> None:
    for text in ("that's wrong, the other lamp", "you got it wrong again", "no, I meant the hallway", "not that one"):
        assert any(p.kind == "correction" for p in conversational_signals(text).hits), text
    assert not conversational_signals("is anything wrong with the boiler").hits
