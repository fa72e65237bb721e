"""Regenerate the shipped sentiment head (and the LLM probe with ``--probe``): python -m assistant.sentiment.train."""

from __future__ import annotations

import sys

import numpy as np

from assistant.config import EmbeddingsConfig
from assistant.embeddings import create_embedder
from assistant.sentiment.head import HEAD_FILE, save_head, sentences_text, train_head, training_data
from assistant.sentiment.probe import (
    PROBE_FILE,
    PROBE_LAYER,
    HiddenStateProbe,
    fit_probe,
    probe_fingerprint,
    save_probe_weights,
)

__all__ = ["main", "train_probe"]


def train_probe() -> None:
    """Fit the SmolLM2 hidden-state probe on the shipped sentences (no lexicon words) and save llm_probe.npz."""
    texts, targets, _ = training_data(lexicon=False)
    read = HiddenStateProbe().hidden_states(texts, PROBE_LAYER)
    assert read is not None  # the probe's own model never reports busy
    states = read.astype(np.float64)
    probe = fit_probe(states, targets, layer=PROBE_LAYER, fingerprint=probe_fingerprint(sentences_text()))
    save_probe_weights(probe, PROBE_FILE)
    print(f"wrote {PROBE_FILE} ({probe.fingerprint})")


def main() -> None:
    """Train on the shipped sentences + VADER lexicon with the embedded embedder and save head.npz."""
    cfg = EmbeddingsConfig()
    head = train_head(create_embedder(cfg), cfg.model)
    save_head(head, HEAD_FILE)
    print(f"wrote {HEAD_FILE} ({head.fingerprint})")
    if "--probe" in sys.argv[1:]:
        train_probe()


if __name__ == "__main__":
    main()
