"""Narrow engine interfaces. Each engine is a Protocol with one or two methods.

Swapping faster-whisper for a remote server, or the local LLM for an OpenAI-compatible endpoint, is a
configuration change: the pipeline only sees these Protocols.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # numpy only types the embeddings: contracts import nothing at run time
    import numpy as np
    import numpy.typing as npt

from contracts.messages import Passage, Sentiment, Transcript

__all__ = [
    "AudioInput",
    "Embedder",
    "KnowledgeRetriever",
    "LanguageModel",
    "Retriever",
    "SentimentAnalyzer",
    "SpeechRecognizer",
    "SpeechSynthesizer",
]

AudioInput = bytes | str | Path
"""Audio as raw file bytes (any common container) or a path."""


@runtime_checkable
class SpeechRecognizer(Protocol):
    """Speech to text."""

    def transcribe(self, audio: AudioInput, *, language: str | None = None, hotwords: Sequence[str] = ()) -> Transcript:
        """Transcribe one utterance. Raises AssistantError with an asr-* code on bad input."""
        ...


@runtime_checkable
class SpeechSynthesizer(Protocol):
    """Text to speech."""

    def synthesize(self, text: str) -> Iterator[bytes]:
        """Yield one WAV (bytes, with header) per sentence, so the first audio is ready early."""
        ...


@runtime_checkable
class SentimentAnalyzer(Protocol):
    """Per-turn sentiment."""

    def analyze(self, text: str) -> Sentiment:
        """Label, polarity score in [-1, 1] and confidence for one text."""
        ...


@runtime_checkable
class Embedder(Protocol):
    """Sentence embeddings."""

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised embeddings, shape (len(texts), dim)."""
        ...


@runtime_checkable
class LanguageModel(Protocol):
    """A (small) language model: free generation and likelihood scoring."""

    def generate(
        self, prompt: str, *, max_tokens: int = 128, stop: Sequence[str] = (), temperature: float = 0.0
    ) -> Iterator[str]:
        """Stream text pieces for a prompt (already formatted, chat template applied by the caller or backend)."""
        ...

    def score(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """Sum of token log-probabilities of each continuation given the prompt."""
        ...


@runtime_checkable
class Retriever(Protocol):
    """Knowledge-base search."""

    def search(self, query: str, *, k: int = 5) -> list[Passage]:
        """Best passages first, with fused relevance scores."""
        ...


@runtime_checkable
class KnowledgeRetriever(Retriever, Protocol):
    """A retriever that knows its own relevance floor and embedder (the engine's knowledge base)."""

    @property
    def embedder(self) -> Embedder | None:
        """The embedder its passages were indexed with (lets a reader rank sentences the same way), if any."""
        ...

    def relevant(self, query: str, *, k: int | None = None) -> list[Passage]:
        """Best passages at or above its configured relevance floor (none: nothing relevant enough)."""
        ...
