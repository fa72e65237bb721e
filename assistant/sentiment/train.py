"""Regenerate the shipped sentiment head: ``python -m assistant.sentiment.train``."""

from __future__ import annotations

from assistant.config import EmbeddingsConfig
from assistant.embeddings import create_embedder
from assistant.sentiment.head import HEAD_FILE, save_head, train_head

__all__ = ["main"]


def main() -> None:
    """Train on the shipped sentences + VADER lexicon with the embedded embedder and save head.npz."""
    cfg = EmbeddingsConfig()
    head = train_head(create_embedder(cfg), cfg.model)
    save_head(head, HEAD_FILE)
    print(f"wrote {HEAD_FILE} ({head.fingerprint})")


if __name__ == "__main__":
    main()
