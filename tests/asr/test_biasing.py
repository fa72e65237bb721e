"""Bias prompt construction and the confidence mapping."""

from __future__ import annotations

import math

from assistant.asr.biasing import bias_prompt, unique_names
from assistant.asr.confidence import confidence, weighted_mean


def test_names_deduplicated_in_order() -> None:
    assert unique_names(["Hue Go lamp", " kitchen ", "Kitchen", "", "Hue  Go lamp"]) == ["Hue Go lamp", "kitchen"]


def test_prompt_is_bounded_on_name_boundaries() -> None:
    names = ["Bed Light", "Kitchen", "Office", "Mood Lighting"]
    assert bias_prompt(names, 400) == "Bed Light, Kitchen, Office, Mood Lighting"
    cut = bias_prompt(names, 20)
    assert cut == "Bed Light, Kitchen"
    assert cut is not None and len(cut) <= 20
    assert bias_prompt(names, 0) is None
    assert bias_prompt([], 100) is None


def test_confidence_mapping() -> None:
    assert confidence(0.0, 0.0) == 1.0
    assert math.isclose(confidence(-1.0, 0.0), math.exp(-1.0), abs_tol=1e-4)
    assert confidence(-0.1, 0.9) < 0.1
    assert confidence(float("nan"), 0.0) == 0.0
    assert 0.0 <= confidence(-30.0, 0.5) <= 1.0
    assert confidence(-0.2, 0.05) > confidence(-0.6, 0.05)


def test_weighted_mean() -> None:
    assert weighted_mean([1.0, 3.0], [1, 3]) == 2.5
    assert weighted_mean([], []) == 0.0
