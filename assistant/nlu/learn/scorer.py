"""The learned request→action scorer: a logistic model over the candidate features, and its calibration.

The artefact (``assistant/nlu/scorer.json``, a few kB, rebuilt by ``python -m assistant.nlu.learn.train``) holds the
feature names, the weights and an isotonic table mapping the best candidate's score to the probability that it is
the right action, fitted on generated requests in homes the weights never saw.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ACTION_KEYS", "ARTEFACT", "BASE_FEATURES", "LearnedScorer", "feature_vector", "load_scorer"]

ARTEFACT = Path(__file__).resolve().parent.parent / "scorer.json"
"""Where the trained scorer lives (committed; rebuilt by the trainer)."""

BASE_FEATURES: tuple[str, ...] = (
    "action",
    "target",
    "name",
    "embedding",
    "domain",
    "area",
    "context",
    "grounding",
    "residual",
    "state_penalty",
)
"""Numeric candidate features computed by the ranker (see ``SemanticRanker._target_features``)."""

ACTION_KEYS: tuple[str, ...] = (
    "on", "off", "toggle", "open", "close", "lock", "unlock", "arm", "disarm", "water", "brightness", "color",
    "temperature", "position", "pause", "resume", "next", "previous", "volume", "vacuum", "dock", "add_item",
    "fan_speed", "get_state", "get_temperature",
)  # fmt: skip
"""One indicator per lexicon action (a learned prior per kind of action)."""


def feature_vector(features: Mapping[str, float], action: str, n_targets: int) -> list[float]:
    """The model's input for one candidate."""
    base = [float(features.get(k, 0.0)) for k in BASE_FEATURES]
    base[BASE_FEATURES.index("residual")] = min(3.0, base[BASE_FEATURES.index("residual")]) / 3.0
    extra = [
        base[0] * base[1],  # verb and target agree
        base[2] * base[3],  # name and embedding agree
        1.0 if n_targets > 1 else 0.0,
    ]
    return base + extra + [1.0 if action == k else 0.0 for k in ACTION_KEYS]


@dataclass(frozen=True, slots=True)
class LearnedScorer:
    """Weights and calibration of the learned scorer."""

    coef: tuple[float, ...]
    """Weights, in ``feature_vector`` order."""
    intercept: float
    """Bias."""
    cal_x: tuple[float, ...]
    """Isotonic calibration: scores ..."""
    cal_y: tuple[float, ...]
    """... and the probability of being right at each."""
    meta: Mapping[str, Any]
    """How it was trained (seed, rows, held-out figures)."""

    def score(self, features: Mapping[str, float], action: str, n_targets: int) -> float:
        """The probability-like score (0..1) that this candidate is the requested action."""
        z = self.intercept + float(np.dot(self.coef, feature_vector(features, action, n_targets)))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def calibrate(self, score: float) -> float:
        """The probability that the best candidate, with this score, is the right action."""
        if not self.cal_x:
            return score
        return float(np.interp(score, self.cal_x, self.cal_y))

    def to_json(self) -> dict[str, Any]:
        """JSON form of the artefact."""
        return {
            "coef": [round(c, 6) for c in self.coef],
            "intercept": round(self.intercept, 6),
            "calibration": {"x": [round(x, 5) for x in self.cal_x], "y": [round(y, 5) for y in self.cal_y]},
            "features": [*BASE_FEATURES, "action*target", "name*embedding", "group", *(f"a:{k}" for k in ACTION_KEYS)],
            "meta": dict(self.meta),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LearnedScorer:
        """Read the artefact."""
        cal = data.get("calibration") or {}
        return cls(
            tuple(float(c) for c in data["coef"]),
            float(data["intercept"]),
            tuple(float(x) for x in cal.get("x", ())),
            tuple(float(y) for y in cal.get("y", ())),
            dict(data.get("meta") or {}),
        )


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> LearnedScorer | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        scorer = LearnedScorer.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    width = len(feature_vector({}, "", 1))
    return scorer if len(scorer.coef) == width else None


def load_scorer(path: Path | str | None = None) -> LearnedScorer | None:
    """The trained scorer, or None when there is no (valid) artefact."""
    p = Path(path) if path is not None else ARTEFACT
    try:
        mtime = p.stat().st_mtime
    except OSError:
        return None
    return _load(str(p), mtime)


def isotonic_table(scores: Sequence[float], correct: Sequence[bool], bins: int = 40) -> tuple[list[float], list[float]]:
    """An isotonic (monotone) map from score to accuracy, as a small interpolation table."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(list(scores), [float(c) for c in correct])
    xs = sorted({round(float(q), 4) for q in np.quantile(scores, np.linspace(0, 1, bins))})
    return xs, [float(v) for v in iso.predict(xs)]
