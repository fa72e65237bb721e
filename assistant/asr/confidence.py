"""The 0..1 confidence of a transcript, from Whisper's average token log-probability and no-speech probability.

``confidence = exp(avg_logprob) * (1 - no_speech_prob)``: the geometric-mean token probability, damped by the
probability that the audio held no speech at all. Clean commands score about 0.75-0.95; an avg_logprob of -1.0
(Whisper's own "failed decode" threshold) alone gives 0.37, near the default ``asr.min_confidence`` of 0.35.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["confidence", "weighted_mean"]


def confidence(avg_logprob: float, no_speech_prob: float) -> float:
    """Map (avg log-prob, no-speech probability) to 0..1."""
    if math.isnan(avg_logprob) or math.isnan(no_speech_prob):
        return 0.0
    token_prob = math.exp(min(0.0, avg_logprob))
    value = token_prob * (1.0 - min(1.0, max(0.0, no_speech_prob)))
    return round(min(1.0, max(0.0, value)), 4)


def weighted_mean(values: Sequence[float], weights: Sequence[float]) -> float:
    """Mean of ``values`` weighted by ``weights`` (e.g. segment token counts); plain mean when weights sum to 0."""
    if not values:
        return 0.0
    total = float(sum(weights))
    if total <= 0:
        return float(sum(values)) / len(values)
    return float(sum(v * w for v, w in zip(values, weights, strict=True))) / total
