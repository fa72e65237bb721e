"""Per-turn sentiment (hybrid embedding + lexicon by default) and the response policy it drives."""

from __future__ import annotations

import logging

from assistant.config import SentimentConfig
from assistant.sentiment.analyzers import (
    HybridSentimentAnalyzer,
    TransformersSentimentAnalyzer,
    VaderSentimentAnalyzer,
    label_for,
)
from assistant.sentiment.head import sentences_text
from assistant.sentiment.probe import PROBE_MODEL, HiddenStateProbe, StatesFn, load_probe_weights, probe_fingerprint
from contracts.engines import Embedder, SentimentAnalyzer
from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "PROBE_MODEL",
    "HybridSentimentAnalyzer",
    "TransformersSentimentAnalyzer",
    "VaderSentimentAnalyzer",
    "create_analyzer",
    "label_for",
]

log = logging.getLogger(__name__)


def create_analyzer(
    cfg: SentimentConfig, *, embedder: Embedder | None, probe_states: StatesFn | None = None
) -> SentimentAnalyzer:
    """The configured analyzer; 'hybrid' without an embedder falls back to VADER + patterns.

    With ``llm_probe`` on, ``probe_states`` reads hidden states from an already loaded SmolLM2 (the assistant's own);
    without it the probe loads its own copy on the first unsure turn.
    """
    if cfg.engine == "transformers":
        if not cfg.model:
            raise AssistantError(
                ErrorCode.CONFIG_INVALID,
                "sentiment.model must name a classifier folder or hub id for engine 'transformers'.",
                details={"key": "sentiment.model"},
            )
        return TransformersSentimentAnalyzer(cfg.model, device=cfg.device, neutral_band=cfg.neutral_band)
    if cfg.engine == "vader" or embedder is None:
        return VaderSentimentAnalyzer(neutral_band=cfg.neutral_band)
    return HybridSentimentAnalyzer(
        embedder,
        model_name=str(getattr(embedder, "name", "unknown")),
        embedding_weight=cfg.embedding_weight,
        neutral_band=cfg.neutral_band,
        unmarked_damping=cfg.unmarked_damping,
        fast_path=cfg.fast_path,
        lexicon_margin=cfg.lexicon_margin,
        probe=_probe(cfg, probe_states),
    )


def _probe(cfg: SentimentConfig, states: StatesFn | None) -> HiddenStateProbe | None:
    """The LLM hidden-state probe when enabled and its shipped weights match the shipped sentences."""
    if not cfg.llm_probe:
        return None
    weights = load_probe_weights()
    if weights.fingerprint != probe_fingerprint(sentences_text()):
        log.warning("Shipped sentiment probe is stale (sentences changed): run python -m assistant.sentiment.train")
        return None
    return HiddenStateProbe(weights, states=states)
