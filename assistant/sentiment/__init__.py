"""Per-turn sentiment (hybrid embedding + lexicon by default) and the response policy it drives."""

from __future__ import annotations

from assistant.config import SentimentConfig
from assistant.engines import Embedder, SentimentAnalyzer
from assistant.messages import AssistantError, ErrorCode
from assistant.sentiment.analyzers import (
    HybridSentimentAnalyzer,
    TransformersSentimentAnalyzer,
    VaderSentimentAnalyzer,
    label_for,
)

__all__ = [
    "HybridSentimentAnalyzer",
    "TransformersSentimentAnalyzer",
    "VaderSentimentAnalyzer",
    "create_analyzer",
    "label_for",
]


def create_analyzer(cfg: SentimentConfig, *, embedder: Embedder | None) -> SentimentAnalyzer:
    """The configured analyzer; 'hybrid' without an embedder falls back to VADER + patterns."""
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
    )
