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
    "rule",
    "embedder",
    "said_value",
    "uses_value",
)
"""Numeric candidate features computed by the ranker (see ``SemanticRanker._target_features``), the hand-weighted
score ('rule') and whether an embedder was there to compute the embedding feature."""

ACTION_KEYS: tuple[str, ...] = (
    "on", "off", "toggle", "open", "close", "lock", "unlock", "arm", "disarm", "water", "brightness", "color",
    "temperature", "position", "pause", "resume", "next", "previous", "volume", "vacuum", "dock", "add_item",
    "fan_speed", "get_state", "get_temperature",
)  # fmt: skip
"""One indicator per lexicon action (a learned prior per kind of action)."""


_PAIRS = ("action*target", "name*embedding", "group", "value*used")
"""The derived features, in ``feature_vector`` order after BASE_FEATURES."""


def feature_vector(features: Mapping[str, float], action: str, n_targets: int) -> list[float]:
    """The model's input for one candidate."""
    base = [float(features.get(k, 0.0)) for k in BASE_FEATURES]
    base[BASE_FEATURES.index("residual")] = min(3.0, base[BASE_FEATURES.index("residual")]) / 3.0
    extra = [
        base[0] * base[1],  # verb and target agree
        base[2] * base[3],  # name and embedding agree
        1.0 if n_targets > 1 else 0.0,
        float(features.get("said_value", 0.0)) * float(features.get("uses_value", 0.0)),  # a value said and used
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
    folds: tuple[tuple[tuple[str, ...], tuple[float, ...], float], ...] = ()
    """For leave-homes-out evaluation: (homes left out, weights, bias) fitted without those homes' requests."""
    rule_cal: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())
    """Isotonic calibration of the hand-weighted score (used when the learned weights are switched off)."""

    def calibrate_rule(self, score: float) -> float | None:
        """The probability that the best candidate is right, from its hand-weighted score (None: no table)."""
        xs, ys = self.rule_cal
        return float(np.interp(score, xs, ys)) if xs else None

    def held_out(self, home: str) -> LearnedScorer | None:
        """The same scorer fitted without ``home`` (one of the evaluation homes), or None when none was."""
        for homes, coef, bias in self.folds:
            if home in homes:
                return LearnedScorer(coef, bias, self.cal_x, self.cal_y, {**self.meta, "held_out": list(homes)})
        return None

    @property
    def actions(self) -> frozenset[str]:
        """The kinds of action the weights were trained on (others keep the hand-weighted score)."""
        return frozenset(self.meta.get("actions") or ACTION_KEYS)

    def score(self, features: Mapping[str, float], action: str, n_targets: int) -> float:
        """The probability-like score (0..1) that this candidate is the requested action."""
        if action not in self.actions:  # never seen in training: the hand-weighted score, as a probability
            rule = float(features.get("rule", 0.0))
            return 1.0 / (1.0 + math.exp(-14.0 * (rule - 0.5)))
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
            "features": [*BASE_FEATURES, *_PAIRS, *(f"a:{k}" for k in ACTION_KEYS)],
            "meta": dict(self.meta),
            "rule_calibration": {
                "x": [round(x, 5) for x in self.rule_cal[0]],
                "y": [round(y, 5) for y in self.rule_cal[1]],
            },
            "folds": [
                {"homes": list(h), "coef": [round(c, 6) for c in w], "intercept": round(b, 6)} for h, w, b in self.folds
            ],
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
            tuple(
                (tuple(f["homes"]), tuple(float(c) for c in f["coef"]), float(f["intercept"]))
                for f in data.get("folds") or ()
            ),
            (
                tuple(float(x) for x in (data.get("rule_calibration") or {}).get("x", ())),
                tuple(float(y) for y in (data.get("rule_calibration") or {}).get("y", ())),
            ),
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
