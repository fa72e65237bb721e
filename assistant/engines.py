"""Kept for compatibility (plugins written against the old path): this moved to ``contracts.engines``, the
dependency-free shared vocabulary. New code imports it from there."""

from contracts.engines import (
    AudioInput,
    Embedder,
    LanguageModel,
    Retriever,
    SentimentAnalyzer,
    SpeechRecognizer,
    SpeechSynthesizer,
)

__all__ = [
    "AudioInput",
    "Embedder",
    "LanguageModel",
    "Retriever",
    "SentimentAnalyzer",
    "SpeechRecognizer",
    "SpeechSynthesizer",
]
