"""The learned scorer: its artefact, its calibration, the generator it is trained from, and calibrated abstention."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest

from assistant.config import NluConfig
from assistant.nlu import create_understanding
from assistant.nlu.learn.generate import GOLD_INTENTS, examples, random_home
from assistant.nlu.learn.scorer import ARTEFACT, LearnedScorer, feature_vector, load_scorer
from assistant.nlu.polarity import request_polarity
from contracts.intents import WRITE_INTENTS
from devices import create_home

ROOT = Path(__file__).resolve().parents[2]


def test_the_artefact_loads_and_is_calibrated() -> None:
    scorer = load_scorer()
    assert scorer is not None, f"{ARTEFACT} is missing: python -m assistant.nlu.learn.train"
    assert len(scorer.coef) == len(feature_vector({}, "on", 1))
    ys = [scorer.calibrate(x) for x in np.linspace(0, 1, 21)]
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(ys))  # isotonic: never decreasing
    assert ys[0] < 0.5 < ys[-1]
    assert ARTEFACT.stat().st_size < 64_000  # small enough to commit
    held = scorer.meta.get("leave_homes_out", {})
    assert held.get("learned_top1", 0) >= held.get("rule_top1", 1)  # kept only because it does better held out


def test_a_scorer_round_trips() -> None:
    s = LearnedScorer(tuple(float(k) for k in range(len(feature_vector({}, "", 1)))), -1.0, (0.0, 1.0), (0.1, 0.9),
                      {"x": 1}, ((("home-a",), (0.0,) * len(feature_vector({}, "", 1)), 0.5),))  # fmt: skip
    back = LearnedScorer.from_json(s.to_json())
    assert back.coef == s.coef and back.cal_y == s.cal_y
    assert back.held_out("home-a") is not None and back.held_out("home-b") is None


def test_generation_is_seeded_and_labelled() -> None:
    homes = [random_home(random.Random(3), f"r{k}") for k in range(3)]
    a = [(e.text, e.intent, e.targets) for e in examples(homes, per_home=15, seed=7)]
    b = [(e.text, e.intent, e.targets) for e in examples(homes, per_home=15, seed=7)]
    assert a == b and len(a) == 45
    ids = {e.entity_id for h in homes for e in h.entities}
    assert all(intent in GOLD_INTENTS and set(targets) <= ids for _t, intent, targets in a)
    held = {e.template for e in examples(homes, per_home=15, seed=7)}
    left = list(examples(homes, per_home=10, seed=8, exclude_templates=frozenset(held)))
    assert all(e.template not in held for e in left)  # leave-templates-out really leaves them out


@pytest.mark.parametrize("threshold", [0.0, 1.0])
def test_abstention_threshold(threshold: float) -> None:
    home = create_home(file=ROOT / "config" / "homes" / "default.yaml", adapter="simulated", data_dir=None,
                       persist=False)  # fmt: skip
    cfg = NluConfig(llm=False, act_threshold=threshold)
    engine = create_understanding(cfg, home=home, intents=[], embedder=None, llm=None)
    m = engine.recognize("could you maybe get the kitchen light going", conversation_id="a")[0]
    if threshold == 0.0:
        assert m.intent == "HassTurnOn" and m.targets and not m.clarification
    else:  # below the threshold: a question with at most three choices, never an action
        assert m.clarification and not m.targets
        assert 0 < len(m.alternatives) <= 3
        said = request_polarity("could you maybe get the kitchen light going")
        assert all(c.intent in WRITE_INTENTS for c in m.alternatives) and said >= 0
    exact = engine.recognize("turn on the kitchen light", conversation_id="b")[0]
    assert exact.targets == ("light.kitchen",)  # an exact template match is not a guess
