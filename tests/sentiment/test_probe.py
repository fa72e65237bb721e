"""The optional LLM hidden-state probe: where it runs, how it blends, its weights file and its config switch."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assistant.config import SentimentConfig
from assistant.sentiment import HybridSentimentAnalyzer, create_analyzer
from assistant.sentiment.head import PolarityHead, sentences_text
from assistant.sentiment.probe import (
    PROBE_FILE,
    HiddenStateProbe,
    fit_probe,
    load_probe_weights,
    probe_fingerprint,
    save_probe_weights,
)


class ZeroEmbedder:
    """Fake embedder: zero vectors."""

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.zeros((len(texts), 2), dtype=np.float32)


class FixedProbe:
    """Fake probe: a fixed polarity, and a record of the texts it saw."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.calls: list[str] = []

    def predict(self, text: str) -> float:
        self.calls.append(text)
        return self.value


def _analyzer(probe: FixedProbe | None, head_bias: float = 0.0) -> HybridSentimentAnalyzer:
    head = PolarityHead(np.zeros(2, dtype=np.float32), head_bias, "fake")
    return HybridSentimentAnalyzer(ZeroEmbedder(), model_name="fake", head=head, probe=probe)


def test_probe_runs_only_on_unsure_turns() -> None:
    probe = FixedProbe(-0.8)
    analyzer = _analyzer(probe)
    analyzer.analyze("perfect, thanks!")  # fast path: confident lexicon
    analyzer.analyze("turn on the kitchen light")  # fast path: plain command
    assert probe.calls == []
    result = analyzer.analyze("the film was not what I hoped for")
    assert probe.calls == ["the film was not what I hoped for"]
    assert any(s.startswith("llm probe") for s in result.signals)


def test_probe_is_averaged_with_the_embedding_head() -> None:
    text = "the plot goes nowhere but it never stops moving"
    head_only = _analyzer(None, head_bias=0.6).analyze(text).score
    blended = _analyzer(FixedProbe(-0.6), head_bias=0.6).analyze(text).score
    same = _analyzer(FixedProbe(0.6), head_bias=0.6).analyze(text).score
    assert same == head_only
    assert blended < head_only  # (0.6 + -0.6) / 2 = 0 in place of 0.6


def test_fit_and_roundtrip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    states = rng.normal(size=(60, 8)) * 5.0 + 3.0
    targets = np.sign(states[:, 0] - 3.0)
    weights = fit_probe(states, targets, layer=2, fingerprint="x")
    assert np.mean(np.sign(weights.predict(states.astype(np.float32))) == targets) > 0.9
    save_probe_weights(weights, tmp_path / "p.npz")
    loaded = load_probe_weights(tmp_path / "p.npz")
    assert loaded.layer == 2 and loaded.fingerprint == "x"
    assert np.allclose(loaded.predict(states.astype(np.float32)), weights.predict(states.astype(np.float32)))


def test_shipped_probe_matches_the_shipped_sentences() -> None:
    assert PROBE_FILE.exists()
    assert load_probe_weights().fingerprint == probe_fingerprint(sentences_text())


def test_config_switch() -> None:
    off = create_analyzer(SentimentConfig(llm_probe=False), embedder=ZeroEmbedder())
    on = create_analyzer(SentimentConfig(llm_probe=True), embedder=ZeroEmbedder())
    assert isinstance(off, HybridSentimentAnalyzer) and off._probe is None
    assert isinstance(on, HybridSentimentAnalyzer) and isinstance(on._probe, HiddenStateProbe)


def _weights(dim: int) -> object:
    return fit_probe(
        np.random.default_rng(0).normal(size=(8, dim)),
        np.linspace(-1, 1, 8),
        layer=3,
        fingerprint="test",
    )


def test_shared_model_states_busy_and_mismatch() -> None:
    seen: list[tuple[tuple[str, ...], int]] = []
    answers: list[npt.NDArray[np.float32] | None] = [np.ones((1, 4), dtype=np.float32), None]

    def states(texts: Sequence[str], layer: int) -> npt.NDArray[np.float32] | None:
        seen.append((tuple(texts), layer))
        return answers.pop(0)

    probe = HiddenStateProbe(_weights(4), states=states)  # type: ignore[arg-type]
    assert isinstance(probe.predict("meh"), float)
    assert probe.predict("busy now") is None and probe.skipped == 1 and probe.disabled is None
    assert seen == [(("meh",), 3), (("busy now",), 3)]

    wrong = HiddenStateProbe(_weights(4), states=lambda t, layer: np.ones((1, 5), dtype=np.float32))  # type: ignore[arg-type]
    assert wrong.predict("x") is None and wrong.disabled is not None and "hidden size" in wrong.disabled
    assert wrong.predict("y") is None  # stays off, no second attempt


def test_a_skipped_probe_leaves_the_turn_to_the_head() -> None:
    class Busy:
        def predict(self, text: str) -> float | None:
            return None

    analyzer = create_analyzer(SentimentConfig(llm_probe=False), embedder=ZeroEmbedder())
    assert isinstance(analyzer, HybridSentimentAnalyzer)
    analyzer._head = PolarityHead(np.zeros(2, dtype=np.float32), 0.0, "fake")
    analyzer._probe = Busy()
    result = analyzer.analyze("the plot was not what I expected")
    assert "llm probe skipped" in result.signals


def test_the_assistant_shares_its_own_llm_with_the_probe(tmp_path: Path) -> None:
    from assistant.app import Assistant

    a = Assistant.create(data_dir=str(tmp_path / "data"))
    try:
        assert a._probe_states() is not None
        assert a.pipeline.sentiment._probe is not None  # type: ignore[attr-defined,union-attr]
    finally:
        a.close()
    other = Assistant.create(data_dir=str(tmp_path / "data2"), llm={"backend": "none"})
    try:
        assert other._probe_states() is None  # no local SmolLM2 to share: the probe stays off, no second copy
        assert other.pipeline.sentiment._probe is None  # type: ignore[attr-defined,union-attr]
    finally:
        other.close()
